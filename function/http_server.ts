/**
 * One serving thread's HTTP server: `Deno.serve` around a web-standard handler, with the drain
 * the function needs on SIGTERM and the connection closing a 408 needs. The main thread and
 * every serving thread (see serving_threads.ts) run one each.
 * @module
 */
import { describeError } from "../lib/errors.ts";

/** Longest time a drain answers with "connection: close" before it stops accepting. */
const DRAIN_GRACE_MS = 1000;
/** A pause in traffic this long ends that phase early: the keep-alive clients have gone. */
const DRAIN_QUIET_MS = 200;

/** Structured log lines, as the rest of the function writes them. */
export type ServerLog = (level: string, msg: string, fields?: Record<string, unknown>) => void;

/** Options of {@link serveHttp}. */
export interface HttpServerOptions {
  readonly port: number;
  readonly hostname: string;
  /**
   * Share the port with the other serving threads (SO_REUSEPORT: the kernel spreads the
   * connections). Deno 2.9.6 needs `--unstable-net` for it, else `serveHttp` throws.
   */
  readonly reusePort?: boolean;
  /**
   * With `reusePort`: this listener opens the port for the process's serving threads, so it first
   * makes sure no other process listens there. SO_REUSEPORT lets any process of the same user
   * share a port, and a second function started on a port in use would otherwise take part of
   * the first one's traffic instead of failing.
   */
  readonly claimPort?: boolean;
  /** Longest wait for the requests in flight once a drain has begun, in ms. */
  readonly drainMs: number;
  readonly log: ServerLog;
  /** Called once the listener is bound. */
  readonly onListen?: (addr: { hostname: string; port: number }) => void;
}

/** A running server. */
export interface HttpServer {
  /** The port bound (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** Resolves when the server has shut down. */
  readonly finished: Promise<void>;
  /** Drains and shuts down (once; later calls return the same promise). */
  stop(signal: string): Promise<void>;
}

/** Errors a response body on purpose: the one way to make Deno.serve drop a connection. */
class CloseConnection extends Error {
  constructor() {
    super("closing the connection of a request whose body never arrived");
    this.name = "CloseConnection";
  }
}

/**
 * The answer, then the connection closed. After a `connection: close` answer Deno.serve (2.9.6)
 * keeps reading a request body that has not ended, so a client trickling one would keep its
 * connection; a response body that errors once its content is sent makes Deno.serve drop the
 * connection. (The answer then lacks the final empty chunk of its chunked encoding.)
 */
async function answerThenClose(res: Response): Promise<Response> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(bytes),
    pull: (controller) => controller.error(new CloseConnection()),
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

/** Binds through `bind`, giving an address in use a message that names it. */
function bindOrExplain<T>(options: HttpServerOptions, bind: () => T): T {
  try {
    return bind();
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    throw new Deno.errors.AddrInUse(
      `${options.hostname}:${options.port} is in use: another process listens there`,
    );
  }
}

/**
 * Serves `handler`. On {@link HttpServer.stop} it answers every request with
 * "connection: close" until traffic pauses (at most a second), finishes the requests in flight
 * (at most `drainMs`), then stops accepting and resolves.
 *
 * The drain is done here because Deno's server.shutdown() both stops accepting and closes every
 * idle keep-alive connection at once: a request a client has just written on one is lost
 * without an answer, and a request body still arriving is cut off.
 *
 * @throws {Deno.errors.AddrInUse} when another process listens on the port (the message names
 * the address)
 * @throws {Error} when the port cannot be bound otherwise (`reusePort` without `--unstable-net`)
 */
export function serveHttp(
  handler: (req: Request) => Promise<Response>,
  options: HttpServerOptions,
): HttpServer {
  const { log, drainMs } = options;
  let inFlight = 0;
  let draining = false;
  let lastArrival = 0;
  const finish = (res: Response): Response | Promise<Response> => {
    if (draining) res.headers.set("connection", "close");
    // 408: the body did not arrive in time (see answerThenClose).
    if (res.status === 408) return answerThenClose(res).finally(() => inFlight--);
    inFlight--;
    return res;
  };
  const failed = (err: unknown): never => {
    inFlight--;
    throw err;
  };
  // Not an async function: one promise a request less (the handler's is passed on).
  const counted = (req: Request): Promise<Response> => {
    inFlight++;
    if (draining) lastArrival = performance.now();
    let pending: Promise<Response>;
    try {
      pending = handler(req);
    } catch (err) {
      inFlight--;
      throw err;
    }
    return pending.then(finish, failed);
  };
  if (options.reusePort && options.claimPort && options.port !== 0) {
    // A listener without SO_REUSEPORT cannot bind a port another socket listens on, with or
    // without it: a short-lived one is the test. (Two functions starting on one port within the
    // microseconds between this check and the bind could still share it.)
    const { hostname, port } = options;
    bindOrExplain(options, () => Deno.listen({ hostname, port }).close());
  }
  const server = bindOrExplain(options, () =>
    Deno.serve({
      port: options.port,
      hostname: options.hostname,
      ...(options.reusePort ? { reusePort: true } : {}),
      onListen: (addr) => options.onListen?.(addr),
      onError: (err) => {
        if (err instanceof CloseConnection) return new Response(null, { status: 408 });
        log("error", "unhandled error", { error: describeError(err) });
        return new Response(
          JSON.stringify({ error: { code: "internal", message: "internal error" } }),
          { status: 500, headers: { "content-type": "application/json" } },
        );
      },
    }, counted));

  let stopping: Promise<void> | undefined;
  const drain = async (signal: string) => {
    draining = true;
    const t0 = performance.now();
    lastArrival = t0;
    log("info", "draining", { signal, in_flight: inFlight });
    const deadline = t0 + drainMs;
    const graceEnd = Math.min(deadline, t0 + DRAIN_GRACE_MS);
    const sleep = () => new Promise((r) => setTimeout(r, 5));
    while (performance.now() < graceEnd && performance.now() - lastArrival < DRAIN_QUIET_MS) {
      await sleep();
    }
    while (inFlight > 0 && performance.now() < deadline) await sleep();
    if (inFlight > 0) log("warn", "drain timed out", { in_flight: inFlight });
    log("info", "closing the listener", {
      in_flight: inFlight,
      drain_ms: Math.round(performance.now() - t0),
    });
    await server.shutdown();
  };
  return {
    port: server.addr.port,
    finished: server.finished,
    stop: (signal) => stopping ??= drain(signal),
  };
}
