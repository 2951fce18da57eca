/**
 * Cumulative true- and false-positive counts at each distinct score, the table that ROC curves
 * and ROC AUC are drawn from (scikit-learn's `confusion_matrix_at_thresholds`).
 * @module
 */

/** Counts of rows scored at or above each distinct threshold. */
export interface ThresholdCounts {
  /** The distinct scores, highest first. */
  thresholds: Float64Array;
  /** Positive rows with a score >= the threshold at the same index. */
  tps: Float64Array;
  /** Negative rows with a score >= the threshold at the same index. */
  fps: Float64Array;
}

/**
 * Sorts rows by score, highest first, and counts positives and negatives at or above each
 * distinct score; tied rows share one threshold. Scores must be finite (callers check).
 *
 * @param positive 1 for a positive row, 0 for a negative one.
 */
export function thresholdCounts(positive: Uint8Array, scores: Float64Array): ThresholdCounts {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]!);
  const thresholds = new Float64Array(n);
  const tps = new Float64Array(n);
  const fps = new Float64Array(n);
  let tp = 0, fp = 0, m = 0;
  for (let i = 0; i < n; i++) {
    const row = order[i]!;
    if (positive[row] === 1) tp++;
    else fp++;
    const score = scores[row]!;
    if (i === n - 1 || scores[order[i + 1]!] !== score) {
      thresholds[m] = score;
      tps[m] = tp;
      fps[m] = fp;
      m++;
    }
  }
  return {
    thresholds: thresholds.subarray(0, m),
    tps: tps.subarray(0, m),
    fps: fps.subarray(0, m),
  };
}
