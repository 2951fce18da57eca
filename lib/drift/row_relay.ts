/**
 * Rows on their way from a serving thread to the thread that keeps the drift window: a growing
 * buffer of the rows each request parsed and of the classes predicted for them, tagged with the
 * model they were scored by, and the requests refused per cause, handed over in one piece
 * (transferable typed arrays) every few milliseconds.
 * @module
 */
import type { LoadedModel } from "../model/artifact.ts";
import type { DriftSnapshot, DriftWatch } from "./monitor.ts";
import { noRefusals, refusalCause, type RefusalCounts } from "./quality.ts";

/** Rows of one model, row-major, in its feature order. */
export interface RowBatch {
  /** The model's checksum: the receiver adds the rows only to the window of this model. */
  readonly sha256: string;
  readonly x: Float64Array;
  readonly nRows: number;
  /** Predicted class per row; 255 where none was passed. */
  readonly predicted: Uint8Array;
  /** Requests refused since the last batch, per cause. */
  readonly refused: RefusalCounts;
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
 * import assert from "node:assert/strict";
 * import { seedWorkload } from "../data/make_classification.ts";
 * import { parseModel, serializeModel } from "../model/artifact.ts";
 * import { trainModel } from "../training/train_model.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const model = parseModel(serializeModel(artifact));
 * import { type RowBatch, DriftRowRelay } from "./row_relay.ts";
 * const rows = seedWorkload();
 * // On a serving thread `send` is `(b) => postMessage(b, [b.x.buffer])`.
 * const sent: RowBatch[] = [];
 * const relay = new DriftRowRelay({ send: (b) => sent.push(b) });
 * relay.observe(model, rows.x.subarray(0, 10), 1); // per request
 * relay.take(); // every few ms, and before answering a flush
 * assert.equal(sent.length, 1);
 * ```
 */
export class DriftRowRelay implements DriftWatch {
  readonly #send: (batch: RowBatch) => void;
  readonly #maxValues: number;
  #sha256: string | undefined;
  #buf = new Float64Array(1024);
  #classes = new Uint8Array(128);
  #used = 0;
  #rows = 0;
  #refused = noRefusals();
  #anyRefused = false;

  constructor({ send, maxValues = 65_536 }: DriftRowRelayOptions) {
    this.#send = send;
    this.#maxValues = maxValues;
  }

  /** Rows waiting to be sent. */
  get pending(): number {
    return this.#rows;
  }

  #switchTo(model: LoadedModel): void {
    const sha = model.artifact.sha256;
    if (sha !== this.#sha256) {
      this.take();
      this.#sha256 = sha;
    }
  }

  /** Queues `nRows` rows of `x` scored by `model`, with their predicted classes when given. */
  observe(
    model: LoadedModel,
    x: Float64Array | Float32Array,
    nRows: number,
    predicted?: ArrayLike<number>,
  ): void {
    this.#switchTo(model);
    const n = nRows * model.featureNames.length;
    if (this.#used + n > this.#buf.length) {
      const grown = new Float64Array(Math.max(this.#buf.length * 2, this.#used + n));
      grown.set(this.#buf.subarray(0, this.#used));
      this.#buf = grown;
    }
    if (this.#rows + nRows > this.#classes.length) {
      const grown = new Uint8Array(Math.max(this.#classes.length * 2, this.#rows + nRows));
      grown.set(this.#classes.subarray(0, this.#rows));
      this.#classes = grown;
    }
    this.#buf.set(n === x.length ? x : x.subarray(0, n), this.#used);
    for (let i = 0; i < nRows; i++) {
      const c = predicted === undefined ? 255 : predicted[i]!;
      this.#classes[this.#rows + i] = c >= 0 && c < 255 ? c : 255;
    }
    this.#used += n;
    this.#rows += nRows;
    if (this.#used >= this.#maxValues) this.take();
  }

  /** Queues a refused request's rows (`count`, default the request as one) by cause. */
  refuse(model: LoadedModel, message: string, count = 1): void {
    this.#switchTo(model);
    this.#refused[refusalCause(message)] += count;
    this.#anyRefused = true;
  }

  /** Sends the rows and refusals waiting, if any. */
  take(): void {
    if ((this.#rows === 0 && !this.#anyRefused) || this.#sha256 === undefined) return;
    const batch: RowBatch = {
      sha256: this.#sha256,
      x: this.#buf.slice(0, this.#used),
      nRows: this.#rows,
      predicted: this.#classes.slice(0, this.#rows),
      refused: this.#refused,
    };
    this.#used = 0;
    this.#rows = 0;
    this.#refused = noRefusals();
    this.#anyRefused = false;
    this.#send(batch);
  }

  /** Never answered here: the receiver keeps the window. */
  snapshot(_model: LoadedModel): DriftSnapshot {
    throw new Error("drift figures are kept by the main thread");
  }
}
