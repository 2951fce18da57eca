/**
 * Accuracy: the share of predictions that match the true class.
 * @module
 */

import { checkSameLength } from "./inputs.ts";
import { InvalidInput } from "../errors.ts";

/**
 * Returns the fraction of rows where `yPred` equals `yTrue`, like scikit-learn's
 * `accuracy_score`.
 *
 * @example
 * ```ts
 * import { accuracy } from "./accuracy.ts";
 * accuracy(new Int32Array([0, 1, 1]), new Int32Array([0, 1, 0])); // 0.666...
 * ```
 */
export function accuracy(yTrue: Int32Array, yPred: Int32Array): number {
  checkSameLength("accuracy()", ["yTrue", "yPred"], yTrue, yPred);
  if (yTrue.length === 0) throw new InvalidInput("accuracy(): yTrue is empty");
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}
