/**
 * A rolling window over the last N rows a model was asked about, kept as counts: a ring buffer
 * of each row's bin indices (one byte per feature: the bin, plus 128 when the value lies outside
 * the training range) and of its predicted class, and per feature how many rows of the window
 * are in each bin and out of range, per class how many were predicted as it. Adding a row costs
 * O(features) and allocates nothing: the row leaving the window is subtracted as the new one is
 * added.
 * @module
 */
import type { DriftReference } from "./reference.ts";

const OUT = 128;
const BIN = 127;
/** A row whose prediction was not passed on. */
const NO_CLASS = 255;

/** A fixed-size window of the most recent rows, as per-feature bin counts. */
export class DriftWindow {
  /** The histograms rows are binned on. */
  readonly reference: DriftReference;
  /** Most rows the window holds. */
  readonly capacity: number;
  /** Bin counts, `reference.bins` per feature; they sum to {@link size} for each feature. */
  readonly counts: Uint32Array;
  /** Per feature, rows of the window whose value lies outside the training range. */
  readonly outOfRange: Uint32Array;
  /** Per class, rows of the window predicted as it (rows without a prediction are not counted). */
  readonly predicted: Uint32Array;
  readonly #ring: Uint8Array;
  readonly #classRing: Uint8Array;
  #next = 0;
  #size = 0;
  #total = 0;

  /**
   * @param capacity rows kept, at least 1
   * @param classes classes of the model (at most 254), for the prediction counts
   * @throws {RangeError} for a capacity that is not a positive integer
   */
  constructor(reference: DriftReference, capacity: number, classes = 0) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`drift window: expected a positive integer size, got ${capacity}`);
    }
    this.reference = reference;
    this.capacity = capacity;
    const p = reference.names.length;
    this.counts = new Uint32Array(p * reference.bins);
    this.outOfRange = new Uint32Array(p);
    this.predicted = new Uint32Array(Math.min(classes, NO_CLASS - 1));
    this.#ring = new Uint8Array(capacity * p);
    this.#classRing = new Uint8Array(capacity).fill(NO_CLASS);
  }

  /** Rows in the window now: every row seen, up to {@link capacity}. */
  get size(): number {
    return this.#size;
  }

  /** Rows added since the window was made. */
  get total(): number {
    return this.#total;
  }

  /**
   * Adds `nRows` rows of row-major `x` (one value per feature, in the model's order), and their
   * predicted class indices when given, pushing the oldest rows out once the window is full.
   */
  add(x: Float64Array | Float32Array, nRows: number, classes?: ArrayLike<number>): void {
    const ref = this.reference;
    const p = ref.names.length;
    const bins = ref.bins;
    const k = bins - 1;
    const edges = ref.edges;
    const min = ref.min;
    const max = ref.max;
    const counts = this.counts;
    const out = this.outOfRange;
    const ring = this.#ring;
    const classRing = this.#classRing;
    const predicted = this.predicted;
    const nClasses = predicted.length;
    // A batch larger than the window: only its last `capacity` rows can stay.
    const skip = nRows > this.capacity ? nRows - this.capacity : 0;
    let next = this.#next;
    let size = this.#size;
    for (let i = skip; i < nRows; i++) {
      const row = i * p;
      const slot = next * p;
      const replacing = size === this.capacity;
      for (let f = 0; f < p; f++) {
        // binIndex() inlined: the number of interior edges at or below the value.
        const v = x[row + f]!;
        const base = f * k;
        let b = 0;
        while (b < k && v >= edges[base + b]!) b++;
        const flag = v < min[f]! || v > max[f]! ? OUT : 0;
        if (replacing) {
          const old = ring[slot + f]!;
          counts[f * bins + (old & BIN)]!--;
          if (old & OUT) out[f]!--;
        }
        ring[slot + f] = b | flag;
        counts[f * bins + b]!++;
        if (flag) out[f]!++;
      }
      if (replacing) {
        const old = classRing[next]!;
        if (old !== NO_CLASS) predicted[old]!--;
      }
      const c = classes === undefined ? NO_CLASS : classes[i]!;
      if (c < nClasses) {
        classRing[next] = c;
        predicted[c]!++;
      } else classRing[next] = NO_CLASS;
      next = next + 1 === this.capacity ? 0 : next + 1;
      if (size < this.capacity) size++;
    }
    this.#next = next;
    this.#size = size;
    this.#total += nRows;
  }

  /** The bin fractions of feature `f` in the window (all zero when it is empty). */
  fractions(f: number): Float64Array {
    const bins = this.reference.bins;
    const out = new Float64Array(bins);
    if (this.#size === 0) return out;
    for (let b = 0; b < bins; b++) out[b] = this.counts[f * bins + b]! / this.#size;
    return out;
  }

  /** Empties the window. */
  clear(): void {
    this.counts.fill(0);
    this.outOfRange.fill(0);
    this.predicted.fill(0);
    this.#classRing.fill(NO_CLASS);
    this.#next = 0;
    this.#size = 0;
    this.#total = 0;
  }
}
