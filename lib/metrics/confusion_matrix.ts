/**
 * The confusion matrix: counts of each (true class, predicted class) pair.
 * @module
 */

import { checkClassCount, checkClassIndices, checkSameLength } from "./inputs.ts";

/**
 * Counts rows by true class (matrix row) and predicted class (matrix column), like
 * scikit-learn's `confusion_matrix` with `labels=range(nClasses)`.
 *
 * @example
 * ```ts
 * import { confusionMatrix } from "./confusion_matrix.ts";
 * confusionMatrix(new Int32Array([0, 1, 1]), new Int32Array([0, 1, 0]), 2); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: Int32Array,
  yPred: Int32Array,
  nClasses: number,
): number[][] {
  const fn = "confusionMatrix()";
  checkClassCount(fn, nClasses, 1);
  checkSameLength(fn, ["yTrue", "yPred"], yTrue, yPred);
  checkClassIndices(fn, "yTrue", yTrue, nClasses);
  checkClassIndices(fn, "yPred", yPred, nClasses);
  const counts = new Int32Array(nClasses * nClasses);
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i]! * nClasses + yPred[i]!]!++;
  const rows: number[][] = [];
  for (let r = 0; r < nClasses; r++) {
    rows.push(Array.from(counts.subarray(r * nClasses, (r + 1) * nClasses)));
  }
  return rows;
}
