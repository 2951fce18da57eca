/**
 * Rows on their way from a serving thread to the thread that keeps the drift window: a growing
 * buffer of the rows each request parsed, tagged with the model they were scored by, handed
 * over in one piece (a transferable `Float64Array`) every few milliseconds.
 * @module
 */
import type { LoadedModel } from "../model/artifact.ts";
import type { DriftSnapshot, DriftWatch } from "./monitor.ts";

/** Rows of one model, row-major, in its feature order. */
export interface RowBatch {
  /** The model's checksum: the receiver adds the rows only to the window of this model. */
  readonly sha256: string;
  readonly x: Float64Array;
  readonly nRows: number;
}

/** Options of {@link DriftRowRelay}. */
export interface DriftRowRelayOptions {
  /** Receives each batch. */
  readonly send: (batch: RowBatch) => void;
  /** Send at once when this many values are waiting (default 65,536). */
  readonly maxValues?: number;
}

/**
 * A {@link DriftWatch} that keeps no window: {@link observe} queues rows and {@link take} (or a
 * full buffer, or another model's rows) sends them. The window, and so `GET /api/drift`, lives
 * with the receiver.
 *
 * @example
 * ```ts
 * const relay = new DriftRowRelay({ send: (b) => postMessage(b, [b.x.buffer]) });
 * relay.observe(model, x, nRows); // per request
 * relay.take(); // every few ms, and before answering a flush
 * ```
 */
export class DriftRowRelay implements DriftWatch {
  readonly #send: (batch: RowBatch) => void;
  readonly #maxValues: number;
  #sha256: string | undefined;
  #buf = new Float64Array(1024);
  #used = 0;
  #rows = 0;

  constructor({ send, maxValues = 65_536 }: DriftRowRelayOptions) {
    this.#send = send;
    this.#maxValues = maxValues;
  }

  /** Rows waiting to be sent. */
  get pending(): number {
    return this.#rows;
  }

  /** Queues `nRows` rows of `x` scored by `model`. */
  observe(model: LoadedModel, x: Float64Array | Float32Array, nRows: number): void {
    const sha = model.artifact.sha256;
    if (sha !== this.#sha256) {
      this.take();
      this.#sha256 = sha;
    }
    const n = nRows * model.featureNames.length;
    if (this.#used + n > this.#buf.length) {
      const grown = new Float64Array(Math.max(this.#buf.length * 2, this.#used + n));
      grown.set(this.#buf.subarray(0, this.#used));
      this.#buf = grown;
    }
    this.#buf.set(n === x.length ? x : x.subarray(0, n), this.#used);
    this.#used += n;
    this.#rows += nRows;
    if (this.#used >= this.#maxValues) this.take();
  }

  /** Sends the rows waiting, if any. */
  take(): void {
    if (this.#rows === 0 || this.#sha256 === undefined) return;
    const batch = { sha256: this.#sha256, x: this.#buf.slice(0, this.#used), nRows: this.#rows };
    this.#used = 0;
    this.#rows = 0;
    this.#send(batch);
  }

  /** Never answered here: the receiver keeps the window. */
  snapshot(_model: LoadedModel): DriftSnapshot {
    throw new Error("drift figures are kept by the main thread");
  }
}
