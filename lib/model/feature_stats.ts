/**
 * Per-feature training statistics kept in the model: range, mean, spread and a 10-bin quantile
 * histogram, used for input hints and, later, drift detection.
 * @module
 */

/** Number of quantile bins kept per feature. */
export const QUANTILE_BINS = 10;

/** What the model remembers of one training feature. */
export interface FeatureStats {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation. */
  readonly std: number;
  /** Eleven edges at the 0, 10, ..., 100th percentiles (linear interpolation, as numpy). */
  readonly bin_edges: readonly number[];
  /** Fraction of training rows in each of the ten bins (see {@link binOf}). */
  readonly bin_frequencies: readonly number[];
}

/**
 * The bin of value `v`: the number of interior edges (`edges[1..9]`) at or below it, so values
 * below the 10th percentile fall in bin 0 and values at or above the 90th in bin 9.
 */
export function binOf(edges: readonly number[], v: number): number {
  let b = 0;
  for (let j = 1; j < edges.length - 1; j++) if (v >= edges[j]!) b = j;
  return b;
}

/** Computes the statistics of every feature of row-major `x`. */
export function featureStats(
  names: readonly string[],
  x: Float64Array,
  nRows: number,
): FeatureStats[] {
  const p = names.length;
  const col = new Float64Array(nRows);
  return names.map((name, f) => {
    let sum = 0;
    for (let i = 0; i < nRows; i++) {
      const v = x[i * p + f]!;
      col[i] = v;
      sum += v;
    }
    const mean = sum / nRows;
    let ss = 0;
    for (let i = 0; i < nRows; i++) ss += (col[i]! - mean) ** 2;
    col.sort();
    const edges: number[] = [];
    for (let q = 0; q <= QUANTILE_BINS; q++) {
      const pos = (q / QUANTILE_BINS) * (nRows - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, nRows - 1);
      edges.push(col[lo]! + (col[hi]! - col[lo]!) * (pos - lo));
    }
    const counts = new Array<number>(QUANTILE_BINS).fill(0);
    for (let i = 0; i < nRows; i++) counts[binOf(edges, col[i]!)]!++;
    return {
      name,
      min: col[0]!,
      max: col[nRows - 1]!,
      mean,
      std: Math.sqrt(ss / nRows),
      bin_edges: edges,
      bin_frequencies: counts.map((c) => c / nRows),
    };
  });
}
