/**
 * A keep-alive HTTP/1.1 load generator on raw TCP, for fault tests that must know exactly what
 * happened to every request: answered in full, refused at connect, closed before any byte of the
 * answer (the server never read it: the keep-alive race every HTTP/1.1 client must retry), or cut
 * off part-way through the answer (lost). `fetch` hides those differences behind one error type.
 * @module
 */

/** What became of one request. */
export type Outcome =
  /** A complete response (status in {@link RequestRecord.status}). */
  | "answered"
  /** The connection could not be opened: nothing was sent. */
  | "refused"
  /** The request was written, then the connection closed before any byte of a response. */
  | "closed_before_response"
  /** Part of a response arrived, then the connection closed or was reset. */
  | "truncated";

/** One request as the client saw it. */
export interface RequestRecord {
  readonly outcome: Outcome;
  readonly status: number;
  /** Milliseconds since the load started, when the outcome was known. */
  readonly at: number;
  /** Request latency in milliseconds (answered requests). */
  readonly ms: number;
  /** Whether the request went on a connection that had carried a request before. */
  readonly reused: boolean;
  /** The response asked to close the connection. */
  readonly connectionClose: boolean;
}

/** Options of {@link keepAliveLoad}. */
export interface KeepAliveLoadOptions {
  /** 127.0.0.1 port to load. */
  readonly port: number;
  /** Concurrent connections, each with one request at a time. */
  readonly clients: number;
  /** The full request bytes (request line, headers, body), sent as is. */
  readonly request: Uint8Array;
  /** Stop a client once a connect is refused (the server is gone). Default true. */
  readonly stopWhenRefused?: boolean;
}

/** A running load. */
export interface KeepAliveLoad {
  /** `performance.now()` when the load started: {@link RequestRecord.at} counts from it. */
  readonly startedAt: number;
  /** Requests finished so far. */
  readonly records: readonly RequestRecord[];
  /** Stops sending new requests; resolves when every client has finished. */
  stop(): Promise<readonly RequestRecord[]>;
  /** Resolves when every client has stopped (on its own, or after {@link stop}). */
  readonly finished: Promise<readonly RequestRecord[]>;
}

const CRLFCRLF = [13, 10, 13, 10];

function headerEnd(buf: Uint8Array, length: number): number {
  outer: for (let i = 0; i + 3 < length; i++) {
    for (let j = 0; j < 4; j++) if (buf[i + j] !== CRLFCRLF[j]) continue outer;
    return i + 4;
  }
  return -1;
}

interface Head {
  status: number;
  contentLength: number;
  close: boolean;
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? NaN);
  let contentLength = 0;
  let close = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === "content-length") contentLength = Number(value);
    if (name === "connection" && value.includes("close")) close = true;
    if (name === "transfer-encoding") throw new Error("chunked responses are not supported");
  }
  if (!Number.isFinite(status)) throw new Error(`not an HTTP response: ${lines[0]}`);
  return { status, contentLength, close };
}

/** Starts `clients` keep-alive connections that send `request` back to back until stopped. */
export function keepAliveLoad(options: KeepAliveLoadOptions): KeepAliveLoad {
  const { port, clients, request, stopWhenRefused = true } = options;
  const records: RequestRecord[] = [];
  const t0 = performance.now();
  let stopped = false;
  const dec = new TextDecoder();

  const client = async (): Promise<void> => {
    let conn: Deno.TcpConn | undefined;
    let used = 0;
    const buf = new Uint8Array(1 << 16);
    const drop = () => {
      try {
        conn?.close();
      } catch { /* already closed */ }
      conn = undefined;
      used = 0;
    };
    while (!stopped) {
      if (!conn) {
        try {
          conn = await Deno.connect({ hostname: "127.0.0.1", port });
        } catch {
          records.push({
            outcome: "refused",
            status: 0,
            at: performance.now() - t0,
            ms: 0,
            reused: false,
            connectionClose: false,
          });
          if (stopWhenRefused) return;
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
      }
      const reused = used > 0;
      const started = performance.now();
      const fail = (outcome: Outcome) => {
        records.push({
          outcome,
          status: 0,
          at: performance.now() - t0,
          ms: performance.now() - started,
          reused,
          connectionClose: false,
        });
        drop();
      };
      try {
        let written = 0;
        while (written < request.length) written += await conn.write(request.subarray(written));
      } catch {
        fail("closed_before_response");
        continue;
      }
      used++;
      // Read the head, then exactly content-length bytes of body.
      let have = 0;
      let end = -1;
      let head: Head | undefined;
      let failed = false;
      try {
        for (;;) {
          if (have === buf.length) throw new Error("response head too large");
          const n = await conn.read(buf.subarray(have));
          if (n === null) {
            failed = true;
            break;
          }
          have += n;
          if (end < 0) {
            end = headerEnd(buf, have);
            if (end >= 0) head = parseHead(dec.decode(buf.subarray(0, end)));
          }
          if (head && have - end >= head.contentLength) break;
        }
      } catch (err) {
        if (err instanceof Error && /not supported|too large|not an HTTP/.test(err.message)) {
          throw err;
        }
        failed = true;
      }
      if (failed) {
        fail(have === 0 ? "closed_before_response" : "truncated");
        continue;
      }
      records.push({
        outcome: "answered",
        status: head!.status,
        at: performance.now() - t0,
        ms: performance.now() - started,
        reused,
        connectionClose: head!.close,
      });
      if (head!.close) drop();
    }
    drop();
  };

  const finished = Promise.all(Array.from({ length: clients }, client)).then(() => records);
  return {
    startedAt: t0,
    records,
    finished,
    stop: () => {
      stopped = true;
      return finished;
    },
  };
}

/** Builds a `POST` request with a JSON body, keep-alive. */
export function postRequest(path: string, body: string): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  const head = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    `content-length: ${bytes.length}\r\n\r\n`;
  const out = new Uint8Array(head.length + bytes.length);
  out.set(new TextEncoder().encode(head));
  out.set(bytes, head.length);
  return out;
}
