/**
 * The column-wise view of training data that every tree of a forest shares: each feature's rows
 * in ascending order of value and where each new distinct value starts. Built once per forest,
 * optionally on SharedArrayBuffers so that training workers read it without a copy.
 * @module
 */
import { InvalidInput } from "../errors.ts";

/** The training inputs the engine needs: a subset of a Dataset. */
export interface TrainingData {
  readonly nRows: number;
  readonly nFeatures: number;
  /** Row-major feature values. */
  readonly x: Float64Array;
  /** Class index of each row. */
  readonly y: Int32Array;
  /** Number of classes (class indices are 0..nClasses-1). */
  readonly nClasses: number;
}

/** Training data sorted once for all trees; plain data, so it can be posted to a worker. */
export interface PreparedData {
  readonly nRows: number;
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Class index of each row. */
  readonly y: Int32Array;
  /** Column-major: `order[f * nRows + k]` is the row with the k-th smallest value of feature f. */
  readonly order: Uint32Array;
  /** Parallel to `order`: 1 where a new distinct value starts (always at k = 0), else 0. */
  readonly starts: Uint8Array;
  /** Column-major: `ranks[f * nRows + i]` is the rank of row i's value among feature f's. */
  readonly ranks: Uint32Array;
  /** Number of distinct values of each feature. */
  readonly distinctCounts: Int32Array;
  /** Row-major feature values, as given (for split thresholds). */
  readonly x: Float64Array;
}

/** Options of {@linkcode prepare}. */
export interface PrepareOptions {
  /**
   * Allocate the arrays on SharedArrayBuffers, to share them with workers; `x` and `y` are then
   * copied once, else they are the caller's arrays. Default false.
   */
  readonly shared?: boolean;
}

/**
 * Checks training inputs, naming the first problem.
 * @throws {InvalidInput} on an empty table, mismatched lengths, a bad label or a non-finite value.
 */
export function checkTrainingData(data: TrainingData): void {
  const { nRows, nFeatures, x, y, nClasses } = data;
  if (nRows < 1 || nFeatures < 1) {
    throw new InvalidInput(`training data: need at least one row and one feature`);
  }
  if (x.length !== nRows * nFeatures) {
    throw new InvalidInput(
      `training data: x has ${x.length} values, expected ${nRows * nFeatures}`,
    );
  }
  if (y.length !== nRows) {
    throw new InvalidInput(`training data: y has ${y.length} labels, expected ${nRows}`);
  }
  for (let i = 0; i < nRows; i++) {
    const c = y[i]!;
    if (c < 0 || c >= nClasses) {
      throw new InvalidInput(
        `training data: y[${i}] = ${c} is not a class index below ${nClasses}`,
      );
    }
  }
  for (let k = 0; k < x.length; k++) {
    const v = x[k]!;
    if (v - v !== 0) {
      const i = Math.floor(k / nFeatures);
      throw new InvalidInput(
        `training data: row ${i}, feature ${k - i * nFeatures}: ${v} is not finite`,
      );
    }
  }
}

function buffer(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/**
 * Checks the training inputs and sorts every feature once (a stable radix sort, so rows with
 * equal values stay in row order).
 *
 * @example
 * ```ts
 * import { prepare } from "./prepare.ts";
 * const p = prepare({ nRows: 3, nFeatures: 1, nClasses: 2,
 *   x: new Float64Array([5, 1, 5]), y: new Int32Array([0, 1, 0]) });
 * p.order; // [1, 0, 2]
 * p.starts; // [1, 1, 0]
 * ```
 */
export function prepare(data: TrainingData, { shared = false }: PrepareOptions = {}): PreparedData {
  checkTrainingData(data);
  const { nRows: n, nFeatures, nClasses } = data;
  let { x, y } = data;
  if (shared) {
    x = new Float64Array(buffer(x.length * 8, true));
    x.set(data.x);
    y = new Int32Array(buffer(n * 4, true));
    y.set(data.y);
  }
  const order = new Uint32Array(buffer(n * nFeatures * 4, shared));
  const starts = new Uint8Array(buffer(n * nFeatures, shared));
  const ranks = new Uint32Array(buffer(n * nFeatures * 4, shared));
  const distinctCounts = new Int32Array(buffer(nFeatures * 4, shared));
  const sorter = new RadixArgsort(n);
  const col = sorter.values;
  for (let f = 0; f < nFeatures; f++) {
    for (let i = 0; i < n; i++) {
      const v = x[i * nFeatures + f]!;
      col[i] = v === 0 ? 0 : v; // fold -0 into 0 so equal values sort together
    }
    const rows = sorter.sort();
    const base = f * n;
    order.set(rows, base);
    let prev = NaN;
    let rank = -1;
    for (let k = 0; k < n; k++) {
      const row = rows[k]!;
      const v = col[row]!;
      if (v !== prev) {
        starts[base + k] = 1;
        prev = v;
        rank++;
      }
      ranks[base + row] = rank;
    }
    distinctCounts[f] = rank + 1;
  }
  return { nRows: n, nFeatures, nClasses, y, order, starts, ranks, distinctCounts, x };
}

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const DIGIT_MASK = BUCKETS - 1;
/** A 64-bit key has six 11-bit digits (the last one 9 bits). */
const PASSES = 6;

/**
 * Sorts row indices by float64 value with an LSD radix sort on the values' bits, turned into
 * unsigned keys that order as the numbers do. Stable, linear in the rows, no comparisons.
 */
class RadixArgsort {
  /** Fill with the values to sort (finite, no -0), then call `sort()`. */
  readonly values: Float64Array;
  readonly #bits: Uint32Array;
  readonly #lo: Uint32Array[];
  readonly #hi: Uint32Array[];
  readonly #rows: Uint32Array[];
  readonly #hist = new Uint32Array(BUCKETS * PASSES);

  constructor(readonly n: number) {
    this.values = new Float64Array(n);
    this.#bits = new Uint32Array(this.values.buffer);
    this.#lo = [new Uint32Array(n), new Uint32Array(n)];
    this.#hi = [new Uint32Array(n), new Uint32Array(n)];
    this.#rows = [new Uint32Array(n), new Uint32Array(n)];
  }

  /** Returns the rows in ascending order of value (a view valid until the next call). */
  sort(): Uint32Array {
    const { n } = this;
    const bits = this.#bits;
    const hist = this.#hist;
    hist.fill(0);
    let lo = this.#lo[0]!;
    let hi = this.#hi[0]!;
    let rows = this.#rows[0]!;
    // Platforms FluxOps runs on are little-endian: the low word of a float64 comes first.
    for (let i = 0; i < n; i++) {
      let l = bits[2 * i]!;
      let h = bits[2 * i + 1]!;
      // Negative numbers: flip every bit; positive: flip the sign bit.
      if (h >>> 31) {
        l = ~l >>> 0;
        h = ~h >>> 0;
      } else {
        h = (h | 0x80000000) >>> 0;
      }
      lo[i] = l;
      hi[i] = h;
      rows[i] = i;
      hist[l & DIGIT_MASK]!++;
      hist[BUCKETS + ((l >>> 11) & DIGIT_MASK)]!++;
      hist[2 * BUCKETS + (((l >>> 22) | (h << 10)) & DIGIT_MASK)]!++;
      hist[3 * BUCKETS + ((h >>> 1) & DIGIT_MASK)]!++;
      hist[4 * BUCKETS + ((h >>> 12) & DIGIT_MASK)]!++;
      hist[5 * BUCKETS + (h >>> 23)]!++;
    }
    let which = 0;
    for (let d = 0; d < PASSES; d++) {
      const h0 = d * BUCKETS;
      // A digit that every key shares moves nothing: skip its pass.
      let trivial = false;
      for (let b = 0; b < BUCKETS; b++) {
        const c = hist[h0 + b]!;
        if (c === n) trivial = true;
        if (c !== 0) break;
      }
      if (trivial) continue;
      let sum = 0;
      for (let b = 0; b < BUCKETS; b++) {
        const c = hist[h0 + b]!;
        hist[h0 + b] = sum;
        sum += c;
      }
      const lo2 = this.#lo[1 - which]!;
      const hi2 = this.#hi[1 - which]!;
      const rows2 = this.#rows[1 - which]!;
      for (let i = 0; i < n; i++) {
        const l = lo[i]!;
        const h = hi[i]!;
        let digit: number;
        if (d === 0) digit = l & DIGIT_MASK;
        else if (d === 1) digit = (l >>> 11) & DIGIT_MASK;
        else if (d === 2) digit = ((l >>> 22) | (h << 10)) & DIGIT_MASK;
        else if (d === 3) digit = (h >>> 1) & DIGIT_MASK;
        else if (d === 4) digit = (h >>> 12) & DIGIT_MASK;
        else digit = h >>> 23;
        const to = hist[h0 + digit]!++;
        lo2[to] = l;
        hi2[to] = h;
        rows2[to] = rows[i]!;
      }
      which = 1 - which;
      lo = lo2;
      hi = hi2;
      rows = rows2;
    }
    return rows;
  }
}
