/**
 * Turning class probabilities into predicted classes.
 * @module
 */

import { checkClassCount, checkProbabilities } from "./inputs.ts";
import { InvalidInput } from "../errors.ts";

/**
 * Returns the index of the largest value in each row of a row-major `n x nClasses` matrix; the
 * first maximum wins a tie, as in NumPy's `argmax`.
 *
 * @example
 * ```ts
 * import { argmaxRows } from "./argmax.ts";
 * argmaxRows(new Float64Array([0.2, 0.8, 0.5, 0.5]), 2); // Int32Array [1, 0]
 * ```
 */
export function argmaxRows(proba: Float64Array, nClasses: number): Int32Array {
  checkClassCount("argmaxRows()", nClasses, 1);
  if (proba.length % nClasses !== 0) {
    throw new InvalidInput(
      `argmaxRows(): proba has ${proba.length} values, not a multiple of ${nClasses} classes`,
    );
  }
  const n = proba.length / nClasses;
  checkProbabilities("argmaxRows()", proba, n, nClasses);
  const out = new Int32Array(n);
  for (let r = 0, base = 0; r < n; r++, base += nClasses) {
    let best = 0;
    let bestValue = proba[base]!;
    for (let c = 1; c < nClasses; c++) {
      const v = proba[base + c]!;
      if (v > bestValue) {
        best = c;
        bestValue = v;
      }
    }
    out[r] = best;
  }
  return out;
}
