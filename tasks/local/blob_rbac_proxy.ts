/**
 * A TCP proxy in front of Azurite that answers like Blob Storage before a new role assignment
 * has taken effect: for `delayMs` after a grant (the first request it sees, or the first after
 * {@link BlobRbacProxy.grantRole}) every request gets 403 `AuthorizationPermissionMismatch`,
 * with Azure's XML body and `x-ms-error-code` header, and its connection is closed. Afterwards it
 * passes connections through byte for byte, so Azurite's shared-key signatures still verify.
 *
 * Azure's window is seconds to minutes (terraform-provider-azurerm#23927); Azurite itself has no
 * such behaviour. A connection that was let through stays through if a new grant starts another
 * window (only new connections are refused): enough for the rehearsal, which meets the window
 * on its first requests. Plain HTTP only: the first request of a TLS connection cannot be read.
 * @module
 */

/** A running proxy. */
export interface BlobRbacProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** How many requests it refused with 403 so far. */
  readonly refused: number;
  /** A new role assignment: the next request starts a new window of `delayMs` (or the given). */
  grantRole(delayMs?: number): void;
  stop(): Promise<void>;
}

/** Options of {@link startBlobRbacProxy}. */
export interface BlobRbacProxyOptions {
  /** Azurite's port on 127.0.0.1. */
  readonly targetPort: number;
  /** The window after a grant during which requests are refused, in ms. */
  readonly delayMs: number;
}

const MESSAGE = "This request is not authorized to perform this operation using this permission.";

/** Blob Storage's 403 for a caller whose data role has not taken effect (the bytes sent). */
export function permissionMismatch(method: string): Uint8Array {
  const requestId = crypto.randomUUID();
  const body = method === "HEAD" ? "" : '<?xml version="1.0" encoding="utf-8"?><Error>' +
    `<Code>AuthorizationPermissionMismatch</Code><Message>${MESSAGE}\n` +
    `RequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
  const bytes = new TextEncoder().encode(body);
  const head = [
    `HTTP/1.1 403 ${MESSAGE}`,
    "Content-Type: application/xml",
    `Content-Length: ${bytes.length}`,
    "Server: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
    `x-ms-request-id: ${requestId}`,
    "x-ms-version: 2025-01-05",
    "x-ms-error-code: AuthorizationPermissionMismatch",
    `Date: ${new Date().toUTCString()}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  const head8 = new TextEncoder().encode(head);
  const out = new Uint8Array(head8.length + bytes.length);
  out.set(head8);
  out.set(bytes, head8.length);
  return out;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Starts the proxy on 127.0.0.1 and a free port. */
export function startBlobRbacProxy(options: BlobRbacProxyOptions): BlobRbacProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let delayMs = options.delayMs;
  let effectiveAt: number | undefined;
  let refused = 0;
  const open = new Set<Deno.Conn>();

  const refuse = async (conn: Deno.Conn, first: Uint8Array, headEnd: number) => {
    const head = new TextDecoder().decode(first.subarray(0, headEnd));
    const method = head.split(" ", 1)[0] ?? "GET";
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    // Read the body the client is sending, so it sees the answer rather than a reset.
    let left = length - (first.length - headEnd - 4);
    const buf = new Uint8Array(64 * 1024);
    while (left > 0) {
      const n = await conn.read(buf);
      if (n === null) break;
      left -= n;
    }
    refused++;
    await writeAll(conn, permissionMismatch(method));
  };

  const handle = async (conn: Deno.Conn) => {
    open.add(conn);
    let upstream: Deno.Conn | undefined;
    try {
      let first = new Uint8Array(0);
      let headEnd = -1;
      const buf = new Uint8Array(16 * 1024);
      while (headEnd < 0) {
        const n = await conn.read(buf);
        if (n === null) return;
        const next = new Uint8Array(first.length + n);
        next.set(first);
        next.set(buf.subarray(0, n), first.length);
        first = next;
        headEnd = indexOf(first, CRLF2);
        if (first.length > 64 * 1024) return;
      }
      effectiveAt ??= Date.now() + delayMs;
      if (Date.now() < effectiveAt) {
        await refuse(conn, first, headEnd);
        return;
      }
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: options.targetPort });
      open.add(upstream);
      await writeAll(upstream, first);
      const up = upstream;
      await Promise.allSettled([
        conn.readable.pipeTo(up.writable),
        up.readable.pipeTo(conn.writable),
      ]);
    } catch {
      // A client or Azurite that went away: the connection ends, as through any proxy.
    } finally {
      for (const c of [conn, upstream]) {
        if (!c) continue;
        open.delete(c);
        try {
          c.close();
        } catch { /* closed by its stream */ }
      }
    }
  };

  const handling = new Set<Promise<void>>();
  const serving = (async () => {
    for await (const conn of listener) {
      const h = handle(conn).finally(() => handling.delete(h));
      handling.add(h);
    }
  })().catch(() => {});

  return {
    port: listener.addr.port,
    get refused() {
      return refused;
    },
    grantRole(ms?: number) {
      if (ms !== undefined) delayMs = ms;
      effectiveAt = undefined;
    },
    async stop() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await serving;
      await Promise.allSettled([...handling]);
    },
  };
}
