/**
 * More threads serving the main thread's port. One JavaScript thread answers about 30,000
 * one-row predictions a second; each serving thread is a Web Worker with its own `Deno.serve`
 * on the same port (SO_REUSEPORT: the kernel spreads new connections over the listeners).
 *
 * The main thread keeps the state: it loads and follows the models, keeps the drift window and
 * the release counters, decides rollbacks, and writes the log. A serving thread mirrors the
 * models (sent whole on every change), answers requests itself, and passes its log lines,
 * drift rows and release counts to the main thread; a `GET` or `HEAD` request (health, model
 * info, drift, metadata) is answered by the main thread. Before the main thread answers such a
 * request, every serving thread hands over what it has gathered, so a report includes every
 * request answered before it was asked for.
 * @module
 */
import type { DriftMonitor } from "../lib/drift/monitor.ts";
import { describeError } from "../lib/errors.ts";
import type { ModelHolder } from "./serving/model_holder.ts";
import type { Release, RollbackEvent } from "./serving/release.ts";
import type { ServerLog } from "./http_server.ts";
import type { ForwardedResponse, FromThread, ThreadSettings, ToThread } from "./thread_messages.ts";

/** Longest wait for a serving thread to hand over what it gathered, in ms. */
const SYNC_TIMEOUT_MS = 1000;

/** Options of {@link ServingThreads}. */
export interface ServingThreadsOptions {
  /** The module that runs `runServingThread()` (serving_thread.ts) when loaded in a worker. */
  readonly entry: string | URL;
  /** Settings every thread gets; `thread` is filled in. */
  readonly settings: Omit<ThreadSettings, "thread">;
  readonly holder: ModelHolder;
  readonly candidate: ModelHolder;
  readonly release: Release | undefined;
  readonly drift: DriftMonitor | null;
  /** Answers the requests the serving threads pass on (the main thread's handler). */
  readonly handler: (req: Request) => Promise<Response>;
  /** Writes a batch of log lines from a serving thread. */
  readonly write: (bytes: Uint8Array) => void;
  readonly log: ServerLog;
}

interface Member {
  readonly worker: Worker;
  readonly thread: number;
  listening: boolean;
  stopped: boolean;
}

/** The serving threads beside the main thread. */
export class ServingThreads {
  readonly #o: ServingThreadsOptions;
  readonly #members: Member[] = [];
  readonly #flushes = new Map<number, { left: Set<Member>; done: () => void }>();
  readonly #stopped: (() => void)[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  #nextFlush = 1;

  constructor(options: ServingThreadsOptions) {
    this.#o = options;
  }

  /** Serving threads running (listening, or starting). */
  get size(): number {
    return this.#members.filter((m) => !m.stopped).length;
  }

  /**
   * Starts `count` serving threads; resolves with how many are listening. A thread that cannot
   * listen is logged and stopped; the others serve.
   */
  async start(count: number): Promise<number> {
    const o = this.#o;
    const ready: Promise<boolean>[] = [];
    for (let i = 1; i <= count; i++) {
      const worker = new Worker(o.entry, { type: "module", name: `fluxops-serving-${i}` });
      const member: Member = { worker, thread: i, listening: false, stopped: false };
      this.#members.push(member);
      ready.push(
        new Promise<boolean>((resolve) => {
          worker.onmessage = (e: MessageEvent<FromThread>) => {
            const m = e.data;
            if (m.type === "listening") {
              member.listening = true;
              resolve(true);
            } else if (m.type === "failed") {
              o.log("warn", "serving thread could not listen", { thread: i, error: m.error });
              this.#gone(member);
              resolve(false);
            } else {
              this.#receive(member, m);
            }
          };
          worker.onerror = (e) => {
            e.preventDefault();
            o.log("error", "serving thread failed", { thread: i, error: e.message });
            this.#gone(member);
            resolve(false);
          };
        }),
      );
      this.#send(member, {
        type: "init",
        settings: { ...o.settings, thread: i },
        production: o.holder.served?.model,
        candidate: o.candidate.served?.model,
        productionError: o.holder.state().lastError,
        candidateError: o.candidate.state().lastError,
      });
    }
    for (const [role, holder] of [["production", o.holder], ["candidate", o.candidate]] as const) {
      this.#unsubscribe.push(
        holder.subscribe((change) => this.#broadcast({ type: "model", role, change })),
      );
    }
    const up = (await Promise.all(ready)).filter(Boolean).length;
    return up;
  }

  /** Resolves once every serving thread has handed over its log lines, rows and counts. */
  sync(): Promise<void> {
    const live = this.#members.filter((m) => !m.stopped);
    if (live.length === 0) return Promise.resolve();
    const id = this.#nextFlush++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), SYNC_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        this.#flushes.delete(id);
        resolve();
      };
      this.#flushes.set(id, { left: new Set(live), done: finish });
      for (const m of live) this.#send(m, { type: "flush", id });
    });
  }

  /**
   * Drains every serving thread (as the main thread drains); resolves when all have stopped, or
   * after `limitMs`, when any still running is terminated and logged.
   */
  async drain(signal: string, limitMs: number): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    const live = this.#members.filter((m) => !m.stopped);
    if (live.length === 0) return;
    const all = new Promise<void>((resolve) => this.#stopped.push(resolve));
    for (const m of live) this.#send(m, { type: "drain", signal });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), limitMs)));
    if (await Promise.race([all, late]) === "late") {
      for (const m of this.#members.filter((x) => !x.stopped)) {
        this.#o.log("error", "serving thread did not stop; terminated", { thread: m.thread });
        this.#gone(m);
      }
    }
    clearTimeout(timer);
  }

  /** Tells every serving thread that the main thread rolled the candidate back. */
  rollBack(event: RollbackEvent): void {
    this.#broadcast({ type: "rollback", event });
  }

  /** Stops every serving thread at once. */
  terminate(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const m of this.#members) {
      m.worker.terminate();
      m.stopped = true;
    }
    for (const wake of this.#stopped.splice(0)) wake();
  }

  #send(m: Member, message: ToThread, transfer: Transferable[] = []): void {
    if (!m.stopped) m.worker.postMessage(message, transfer);
  }

  #broadcast(message: ToThread): void {
    for (const m of this.#members) this.#send(m, message);
  }

  #gone(m: Member): void {
    if (m.stopped) return;
    m.stopped = true;
    m.worker.terminate();
    for (const f of this.#flushes.values()) {
      f.left.delete(m);
      if (f.left.size === 0) f.done();
    }
    if (this.#members.every((x) => x.stopped)) {
      for (const wake of this.#stopped.splice(0)) wake();
    }
  }

  #receive(member: Member, m: FromThread): void {
    const o = this.#o;
    switch (m.type) {
      case "log":
        o.write(m.bytes);
        break;
      case "rows": {
        const served = o.holder.served;
        if (o.drift && served && served.model.artifact.sha256 === m.batch.sha256) {
          o.drift.observe(served.model, m.batch.x, m.batch.nRows, m.batch.predicted);
          o.drift.addRefusals(served.model, m.batch.refused);
        }
        break;
      }
      case "counts":
        o.release?.addCounts(m.counts);
        break;
      case "flushed": {
        const f = this.#flushes.get(m.id);
        if (f) {
          f.left.delete(member);
          if (f.left.size === 0) f.done();
        }
        break;
      }
      case "forward":
        void this.#answer(member, m);
        break;
      case "stopped":
        this.#gone(member);
        break;
    }
  }

  /** Answers a request a serving thread passed on, after every thread has synced. */
  async #answer(
    member: Member,
    m: Extract<FromThread, { type: "forward" }>,
  ): Promise<void> {
    let response: ForwardedResponse;
    try {
      await this.sync();
      const res = await this.#o.handler(
        new Request(m.url, { method: m.method, headers: m.headers }),
      );
      response = {
        status: res.status,
        headers: [...res.headers],
        body: new Uint8Array(await res.arrayBuffer()),
      };
    } catch (err) {
      this.#o.log("error", "unhandled error", { error: describeError(err) });
      response = {
        status: 500,
        headers: [["content-type", "application/json"]],
        body: new TextEncoder().encode(
          JSON.stringify({ error: { code: "internal", message: "internal error" } }),
        ),
      };
    }
    this.#send(member, { type: "forwarded", id: m.id, response }, [response.body.buffer]);
  }
}
