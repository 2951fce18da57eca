/**
 * Deadlines for reading request bodies, so a client that sends a body slowly (or stops half-way)
 * cannot hold a request open forever. One timer sweeps every watched read: a timer per request
 * costs about 1.2 µs to set and clear, a few percent of a one-row prediction, where adding to
 * and deleting from a set costs about 0.1 µs.
 *
 * A read past its deadline is first only marked expired: a client that trickles its body sends
 * another chunk, and the reader, seeing `expired`, stops there. A read still waiting for data
 * one more timeout after a sweep marked it expired is cancelled. The grace counts from the
 * marking, not from the deadline: a sweep that runs late (a busy machine froze the process for
 * longer than the timeout) would otherwise mark and cancel in one go, and a trickling client
 * would never get the chunk that lets its reader stop. (Deno.serve 2.9.6 cannot close a connection whose body
 * read was cancelled while waiting for data, but closes one whose reader stopped between
 * chunks; see function/main.ts.)
 * @module
 */

/** One watched read. */
export interface ReadWatch {
  /** True once the deadline passed: the reader should stop at its next chunk. */
  readonly expired: boolean;
  /** Stops watching (the read finished). */
  done(): void;
}

interface Entry extends ReadWatch {
  expired: boolean;
  readonly deadline: number;
  /** When a sweep marked it expired (NaN before). */
  expiredAt: number;
  readonly cancel: () => void;
}

/** Options of {@link ReadDeadlines}. */
export interface ReadDeadlinesOptions {
  /** Longest time a body read may take, in ms. */
  readonly timeoutMs: number;
  /** How often the deadlines are checked, in ms. Default: a quarter of the timeout, at most 1 s. */
  readonly tickMs?: number;
  /** The clock, in ms. Default `performance.now`. */
  readonly now?: () => number;
}

/**
 * Watches body reads: marks those that outlive `timeoutMs` expired, and cancels those still
 * watched `timeoutMs` after they were marked (twice `timeoutMs` when the timer is on time).
 * The sweeping timer starts with
 * the first watch and runs until {@link close}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadDeadlines } from "./read_deadlines.ts";
 * const deadlines = new ReadDeadlines({ timeoutMs: 15_000 });
 * const req = new Request("http://localhost/api/predict", { method: "POST", body: "{}" });
 * const reader = req.body!.getReader();
 * const watch = deadlines.watch(() => void reader.cancel());
 * try {
 *   while (!(await reader.read()).done) {
 *     // read until done; if watch.expired, answer 408
 *   }
 * } finally {
 *   watch.done();
 * }
 * assert.equal(watch.expired, false);
 * deadlines.close(); // when the server stops
 * ```
 */
export class ReadDeadlines {
  readonly timeoutMs: number;
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #active = new Set<Entry>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor({ timeoutMs, tickMs, now = () => performance.now() }: ReadDeadlinesOptions) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs: expected > 0, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.#tickMs = tickMs ?? Math.min(1000, Math.max(10, timeoutMs / 4));
    this.#now = now;
  }

  /** Reads being watched right now. */
  get active(): number {
    return this.#active.size;
  }

  /** Starts watching a read; `cancel` is called once if it is still waiting after expiring. */
  watch(cancel: () => void): ReadWatch {
    const active = this.#active;
    const entry: Entry = {
      expired: false,
      deadline: this.#now() + this.timeoutMs,
      expiredAt: NaN,
      cancel,
      done() {
        active.delete(entry);
      },
    };
    active.add(entry);
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setInterval(() => this.sweep(), this.#tickMs);
    }
    return entry;
  }

  /**
   * Marks reads past their deadline expired and cancels those marked one timeout ago or more;
   * returns how many it cancelled. Called by the timer.
   */
  sweep(): number {
    const now = this.#now();
    let n = 0;
    for (const entry of this.#active) {
      if (entry.deadline > now) continue;
      if (!entry.expired) {
        entry.expired = true;
        entry.expiredAt = now;
      }
      if (entry.expiredAt + this.timeoutMs > now) continue;
      this.#active.delete(entry);
      n++;
      try {
        entry.cancel();
      } catch { /* the read already ended */ }
    }
    return n;
  }

  /** Stops the timer; reads still watched are no longer cancelled. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#active.clear();
  }
}
