/**
 * Area under the ROC curve, binary or one-vs-rest multiclass.
 * @module
 */

import { checkClassCount, checkClassIndices, checkProbabilities } from "./inputs.ts";
import { thresholdCounts } from "./threshold_counts.ts";

/**
 * Computes ROC AUC like scikit-learn's `roc_auc_score`: the trapezoid area under the ROC curve,
 * so tied scores count half. With two classes it scores the probability column of class index
 * 1; with more it is the unweighted mean of each class against the rest (`multi_class="ovr"`,
 * `average="macro"`), over the classes present in `yTrue`.
 *
 * @param proba row-major `n x nClasses` class probabilities
 * @returns the AUC, or `null` when `yTrue` holds a single class and the AUC is undefined
 * @example
 * ```ts
 * import { rocAuc } from "./roc_auc.ts";
 * rocAuc(new Int32Array([0, 1]), new Float64Array([0.7, 0.3, 0.4, 0.6]), 2); // 1
 * ```
 */
export function rocAuc(yTrue: Int32Array, proba: Float64Array, nClasses: number): number | null {
  const fn = "rocAuc()";
  checkClassCount(fn, nClasses);
  checkClassIndices(fn, "yTrue", yTrue, nClasses);
  checkProbabilities(fn, proba, yTrue.length, nClasses);
  if (nClasses === 2) return columnAuc(yTrue, proba, 2, 1);
  let sum = 0, present = 0;
  for (let c = 0; c < nClasses; c++) {
    const auc = columnAuc(yTrue, proba, nClasses, c);
    if (auc === null) continue;
    sum += auc;
    present++;
  }
  return present === 0 ? null : sum / present;
}

/** AUC of class `c` against the rest, scored by probability column `c`. */
function columnAuc(
  yTrue: Int32Array,
  proba: Float64Array,
  nClasses: number,
  c: number,
): number | null {
  const n = yTrue.length;
  const positive = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    positive[i] = yTrue[i] === c ? 1 : 0;
    scores[i] = proba[i * nClasses + c]!;
  }
  const { tps, fps } = thresholdCounts(positive, scores);
  const m = tps.length;
  const totalP = tps[m - 1]!;
  const totalN = fps[m - 1]!;
  if (totalP === 0 || totalN === 0) return null;
  let area = 0, prevTp = 0, prevFp = 0;
  for (let i = 0; i < m; i++) {
    const tp = tps[i]!, fp = fps[i]!;
    area += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  }
  return area / (2 * totalP * totalN);
}
