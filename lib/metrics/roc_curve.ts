/**
 * The receiver operating characteristic (ROC) curve of a binary score.
 * @module
 */

import { checkSameLength } from "./inputs.ts";
import { thresholdCounts } from "./threshold_counts.ts";
import { InvalidInput } from "../errors.ts";

/** Points of a ROC curve, from (0, 0) to (1, 1), one per threshold. */
export interface RocCurve {
  /** False-positive rate at each threshold. */
  fpr: number[];
  /** True-positive rate at each threshold. */
  tpr: number[];
  /** Decreasing score thresholds; the first is `Infinity` (no row is predicted positive). */
  thresholds: number[];
}

/** Options of {@link rocCurve}. */
export interface RocCurveOptions {
  /** Class index counted as positive. Default 1. */
  positiveClass?: number;
  /** Drop thresholds whose point lies on a straight segment between its neighbours. */
  dropIntermediate?: boolean;
}

/**
 * Computes the ROC curve of `scores` (higher = more likely `positiveClass`), like
 * scikit-learn's `roc_curve`. Returns `null` when `yTrue` holds only positives or only
 * negatives, where the curve is undefined.
 *
 * @param yTrue class index of each row
 * @param scores one score per row, e.g. the positive-class probability column
 * @example
 * ```ts
 * import { rocCurve } from "./roc_curve.ts";
 * const roc = rocCurve(new Int32Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8]));
 * roc?.tpr; // [0, 0.5, 0.5, 1, 1]
 * ```
 */
export function rocCurve(
  yTrue: Int32Array,
  scores: Float64Array,
  { positiveClass = 1, dropIntermediate = false }: RocCurveOptions = {},
): RocCurve | null {
  const fn = "rocCurve()";
  checkSameLength(fn, ["yTrue", "scores"], yTrue, scores);
  if (yTrue.length === 0) throw new InvalidInput(`${fn}: yTrue is empty`);
  if (!Number.isInteger(positiveClass) || positiveClass < 0) {
    throw new InvalidInput(
      `${fn}: positiveClass must be a class index (an integer >= 0), got ${positiveClass}`,
    );
  }
  const positive = new Uint8Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new InvalidInput(`${fn}: scores[${i}]: expected a finite number, got ${scores[i]}`);
    }
    positive[i] = yTrue[i] === positiveClass ? 1 : 0;
  }
  const { thresholds, tps, fps } = thresholdCounts(positive, scores);
  const m = thresholds.length;
  const totalP = tps[m - 1]!;
  const totalN = fps[m - 1]!;
  if (totalP === 0 || totalN === 0) return null;
  const curve: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  for (let i = 0; i < m; i++) {
    if (dropIntermediate && m > 2 && i > 0 && i < m - 1) {
      const bendsFp = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0;
      const bendsTp = tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
      if (!bendsFp && !bendsTp) continue;
    }
    curve.fpr.push(fps[i]! / totalN);
    curve.tpr.push(tps[i]! / totalP);
    curve.thresholds.push(thresholds[i]!);
  }
  return curve;
}
