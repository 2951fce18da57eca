/**
 * A serving thread: a Web Worker that serves predictions on the main thread's port (see
 * serving_threads.ts). It answers every request itself, scoring with mirrors of the main
 * thread's models, except `GET` and `HEAD` ones (health, model info, drift, metadata), which it
 * passes to the main thread, which holds the state those report. Its request log lines, drift
 * rows and release counts go to the main thread every few milliseconds, and at once when the
 * main thread asks (before it answers a report), so a report counts every request answered
 * before it.
 * @module
 */
import { describeError } from "../lib/errors.ts";
import { DriftRowRelay } from "../lib/drift/row_relay.ts";
import { LineWriter } from "../lib/log/line_writer.ts";
import { formatRequestLog } from "../lib/log/request_line.ts";
import { ModelHolder } from "./serving/model_holder.ts";
import { ReadDeadlines } from "./serving/read_deadlines.ts";
import { Release } from "./serving/release.ts";
import { createHandler } from "./handler.ts";
import { type HttpServer, serveHttp } from "./http_server.ts";
import type { ForwardedResponse, FromThread, ThreadSettings, ToThread } from "./thread_messages.ts";

/** How long gathered rows and counts wait before they are sent, in ms. */
const SEND_MS = 20;

interface WorkerScope {
  postMessage(message: FromThread, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToThread>) => void) | null;
  close(): void;
}

/** Whether this code runs in a Web Worker (a serving thread) rather than the main thread. */
export function inServingThread(): boolean {
  return "WorkerGlobalScope" in globalThis;
}

/** Runs this worker as a serving thread: waits for its settings, then serves until drained. */
export function runServingThread(): void {
  const scope = globalThis as unknown as WorkerScope;
  const post = (m: FromThread, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  let started: Thread | undefined;
  scope.onmessage = (event) => {
    const m = event.data;
    if (m.type !== "init") {
      started?.receive(m);
      return;
    }
    // The models come with the settings, so the thread never listens without them.
    const holder = new ModelHolder();
    const candidate = new ModelHolder();
    if (m.production) holder.set(m.production);
    if (m.candidate) candidate.set(m.candidate);
    if (m.productionError !== undefined) holder.fail(m.productionError);
    if (m.candidateError !== undefined) candidate.fail(m.candidateError);
    try {
      started = new Thread(m.settings, holder, candidate, post);
    } catch (err) {
      post({ type: "failed", error: describeError(err) });
      scope.close();
    }
  };
}

class Thread {
  readonly #post: (m: FromThread, transfer?: Transferable[]) => void;
  readonly #holder: ModelHolder;
  readonly #candidate: ModelHolder;
  readonly #out: LineWriter;
  readonly #relay: DriftRowRelay | null;
  readonly #release: Release | undefined;
  readonly #deadlines: ReadDeadlines;
  readonly #server: HttpServer;
  readonly #waiting = new Map<number, (r: ForwardedResponse) => void>();
  #nextId = 1;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    s: ThreadSettings,
    holder: ModelHolder,
    candidate: ModelHolder,
    post: (m: FromThread, transfer?: Transferable[]) => void,
  ) {
    this.#post = post;
    this.#holder = holder;
    this.#candidate = candidate;
    this.#out = new LineWriter((bytes) =>
      post({ type: "log", bytes }, [bytes.buffer as ArrayBuffer])
    );
    const logLine = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
      this.#out.line(
        JSON.stringify({ time: new Date().toISOString(), level, msg, thread: s.thread, ...fields }),
      );
    this.#relay = s.drift
      ? new DriftRowRelay({
        send: (batch) => post({ type: "rows", batch }, [batch.x.buffer as ArrayBuffer]),
      })
      : null;
    this.#release = s.release
      ? new Release({
        config: s.release,
        production: holder,
        candidate,
        judge: false,
        onCandidateError: () => queueMicrotask(() => this.#send()),
      })
      : undefined;
    this.#deadlines = new ReadDeadlines({ timeoutMs: s.bodyTimeoutS * 1000 });
    const handler = createHandler({
      holder,
      readDeadlines: this.#deadlines,
      modelName: s.modelName,
      maxBodyBytes: s.maxBodyBytes,
      maxInstances: s.maxInstances,
      log: (entry) => this.#out.line(formatRequestLog(entry, s.thread)),
      release: this.#release,
      drift: this.#relay,
    });
    const serve = (req: Request): Promise<Response> => {
      if (req.method === "GET" || req.method === "HEAD") return this.#forward(req);
      this.#schedule();
      return handler(req);
    };
    this.#server = serveHttp(serve, {
      port: s.port,
      hostname: s.hostname,
      reusePort: true,
      drainMs: s.drainMs,
      log: logLine,
      onListen: () => post({ type: "listening" }),
    });
    void this.#server.finished.then(async () => {
      await this.#release?.settled();
      this.#deadlines.close();
      this.#send();
      this.#out.flush();
      post({ type: "stopped" });
    });
  }

  receive(m: ToThread): void {
    switch (m.type) {
      case "model": {
        const holder = m.role === "production" ? this.#holder : this.#candidate;
        if (m.change.kind === "model") holder.set(m.change.model);
        else holder.fail(m.change.reason);
        break;
      }
      case "rollback":
        this.#release?.rollBack(m.event);
        break;
      case "flush":
        this.#send();
        this.#out.flush();
        this.#post({ type: "flushed", id: m.id });
        break;
      case "forwarded":
        this.#waiting.get(m.id)?.(m.response);
        this.#waiting.delete(m.id);
        break;
      case "drain":
        void this.#server.stop(m.signal);
        break;
    }
  }

  /** Sends the rows and counts gathered soon, unless a send is already due. */
  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#send(), SEND_MS);
  }

  #send(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#relay?.take();
    if (this.#release) {
      const counts = this.#release.takeCounts();
      if (counts.versions.length > 0 || counts.compared > 0 || counts.skipped > 0) {
        this.#post({ type: "counts", counts });
      }
    }
  }

  /** Has the main thread answer `req` (a report of the state it holds). */
  async #forward(req: Request): Promise<Response> {
    await req.body?.cancel().catch(() => {});
    const id = this.#nextId++;
    const reply = new Promise<ForwardedResponse>((resolve) => this.#waiting.set(id, resolve));
    this.#post({
      type: "forward",
      id,
      method: req.method,
      url: req.url,
      headers: [...req.headers],
    });
    const r = await reply;
    return new Response(req.method === "HEAD" || r.status === 204 ? null : r.body, {
      status: r.status,
      headers: r.headers,
    });
  }
}
