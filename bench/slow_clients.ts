/**
 * Slowloris-style clients: many TCP connections that send a request head or body a byte at a
 * time, and a prober that times single requests on fresh connections meanwhile. Loopback only.
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Where a slow client stalls. */
export type SlowPhase =
  /** The request head never ends: `GET /api/health` with one more header byte now and then. */
  | "header"
  /** The head is complete and announces a body that arrives one byte now and then. */
  | "body"
  /** As `body`, but after its first bytes nothing more is sent. */
  | "stall";

/** What became of one slow connection. */
export interface SlowClientResult {
  readonly phase: SlowPhase;
  /** The status line the server sent, if any (`HTTP/1.1 408 Request Timeout`). */
  readonly statusLine: string | undefined;
  /** Milliseconds from connect until the status line arrived, or undefined if none did. */
  readonly statusAfterMs: number | undefined;
  /** Milliseconds from connect until the server closed the connection, or undefined if open. */
  readonly closedAfterMs: number | undefined;
  /**
   * The longest pause, in ms, between two bytes this client sent (from connect until the status
   * line, or until now): how long the server saw it silent. A busy machine stretches the
   * trickle; a pause of a whole body timeout makes a trickling client a stalled one.
   */
  readonly maxGapMs: number;
}

/** Options of {@link startSlowClients}. */
export interface SlowClientsOptions {
  readonly port: number;
  /** Connections stalling in the request head. */
  readonly header: number;
  /** Connections trickling the request body. */
  readonly body: number;
  /** Connections that stop sending part-way through the body. Default 0. */
  readonly stall?: number;
  /** Milliseconds between two trickled bytes. Default 500. */
  readonly trickleMs?: number;
}

/** Running slow clients. */
export interface SlowClients {
  /** Connections open right now (not closed by the server). */
  open(): number;
  /**
   * How late the trickle timer fired at worst, in ms: a measure of how busy the machine is
   * (about 0 on a quiet one), by which a test may widen a bound on wall-clock time.
   */
  latenessMs(): number;
  /** What happened to each connection so far, without closing any. */
  results(): SlowClientResult[];
  /** Closes every connection and reports what happened to each. */
  stop(): Promise<SlowClientResult[]>;
}

interface Slow {
  phase: SlowPhase;
  conn: Deno.TcpConn;
  startedAt: number;
  statusLine: string | undefined;
  statusAfterMs: number | undefined;
  closedAfterMs: number | undefined;
  lastSentAt: number;
  maxGapMs: number;
  reading: Promise<void>;
}

/** Opens the slow connections (in parallel batches) and starts trickling. */
export async function startSlowClients(options: SlowClientsOptions): Promise<SlowClients> {
  const { port, trickleMs = 500 } = options;
  const phases: SlowPhase[] = [
    ...Array<SlowPhase>(options.header).fill("header"),
    ...Array<SlowPhase>(options.body).fill("body"),
    ...Array<SlowPhase>(options.stall ?? 0).fill("stall"),
  ];
  const all: Slow[] = [];
  let stopping = false;
  const open = async (phase: SlowPhase): Promise<Slow> => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const first = phase === "header"
      ? "GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: "
      : "POST /api/predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        'content-length: 100000\r\n\r\n{"features":[';
    await conn.write(enc.encode(first));
    const slow: Slow = {
      phase,
      conn,
      startedAt: performance.now(),
      statusLine: undefined,
      statusAfterMs: undefined,
      closedAfterMs: undefined,
      lastSentAt: performance.now(),
      maxGapMs: 0,
      reading: Promise.resolve(),
    };
    slow.reading = (async () => {
      const buf = new Uint8Array(4096);
      let text = "";
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          text += dec.decode(buf.subarray(0, n));
          if (slow.statusLine === undefined) {
            slow.statusLine = /^HTTP\/1\.1 [^\r\n]*/.exec(text)?.[0];
            if (slow.statusLine !== undefined) {
              slow.statusAfterMs = performance.now() - slow.startedAt;
            }
          }
        }
      } catch { /* reset, or closed by stop() */ }
      if (!stopping) slow.closedAfterMs = performance.now() - slow.startedAt;
    })();
    return slow;
  };
  for (let i = 0; i < phases.length; i += 100) {
    all.push(...await Promise.all(phases.slice(i, i + 100).map(open)));
  }
  let lastTick = performance.now();
  let lateness = 0;
  const trickle = setInterval(() => {
    const now = performance.now();
    lateness = Math.max(lateness, now - lastTick - trickleMs);
    lastTick = now;
    for (const s of all) {
      if (s.closedAfterMs !== undefined || s.phase === "stall") continue;
      if (s.statusLine === undefined) s.maxGapMs = Math.max(s.maxGapMs, now - s.lastSentAt);
      s.lastSentAt = now;
      s.conn.write(enc.encode(s.phase === "header" ? "a" : "1")).catch(() => {});
    }
  }, trickleMs);
  const report = (s: Slow): SlowClientResult => ({
    phase: s.phase,
    statusLine: s.statusLine,
    statusAfterMs: s.statusAfterMs,
    closedAfterMs: s.closedAfterMs,
    // A client still waiting for its status line has been silent since its last byte.
    maxGapMs: s.statusLine === undefined
      ? Math.max(s.maxGapMs, performance.now() - s.lastSentAt)
      : s.maxGapMs,
  });
  return {
    open: () => all.filter((s) => s.closedAfterMs === undefined).length,
    latenessMs: () => lateness,
    results: () => all.map(report),
    stop: async () => {
      clearInterval(trickle);
      stopping = true;
      for (const s of all) {
        try {
          s.conn.close();
        } catch { /* closed by the server already */ }
      }
      const results = all.map(report);
      await Promise.all(all.map((s) => s.reading));
      return results.map((r, i) => ({ ...r, closedAfterMs: all[i]!.closedAfterMs }));
    },
  };
}

/** One `GET` on a fresh connection (`connection: close`); its status and total milliseconds. */
export async function timedGet(
  port: number,
  path: string,
): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let text = "";
  try {
    await conn.write(
      enc.encode(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`),
    );
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, ms: performance.now() - t0 };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
