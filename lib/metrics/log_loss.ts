/**
 * Log loss (cross-entropy) of predicted class probabilities.
 * @module
 */

import { checkClassCount, checkClassIndices, checkProbabilities } from "./inputs.ts";
import { InvalidInput } from "../errors.ts";

/** Options of {@link logLoss}. */
export interface LogLossOptions {
  /** Probabilities are clipped to `[eps, 1 - eps]` so a confident miss costs a finite amount. */
  eps?: number;
  /** Divide each clipped row by its sum, so rows that do not sum to 1 are scored fairly. */
  renormalize?: boolean;
}

/**
 * Returns the mean negative natural log of the probability given to the true class.
 *
 * The defaults (`eps = 1e-15`, renormalised rows) are scikit-learn's `log_loss` up to 1.1.
 * `{ eps: Number.EPSILON, renormalize: false }` reproduces scikit-learn 1.5 and later (1.2 to
 * 1.4 clip at `Number.EPSILON` but still renormalise). All agree unless a probability is within
 * `1e-15` of 0 or 1 or a row does not sum to 1.
 *
 * @param proba row-major `n x nClasses` class probabilities
 * @example
 * ```ts
 * import { logLoss } from "./log_loss.ts";
 * logLoss(new Int32Array([0, 1]), new Float64Array([0.9, 0.1, 0.2, 0.8]), 2); // 0.164...
 * ```
 */
export function logLoss(
  yTrue: Int32Array,
  proba: Float64Array,
  nClasses: number,
  { eps = 1e-15, renormalize = true }: LogLossOptions = {},
): number {
  const fn = "logLoss()";
  if (!(eps >= 0 && eps < 0.5)) {
    throw new InvalidInput(`${fn}: eps must be in [0, 0.5), got ${eps}`);
  }
  checkClassCount(fn, nClasses);
  checkClassIndices(fn, "yTrue", yTrue, nClasses);
  const n = yTrue.length;
  checkProbabilities(fn, proba, n, nClasses);
  const hi = 1 - eps;
  let total = 0;
  for (let r = 0, base = 0; r < n; r++, base += nClasses) {
    const p = clip(proba[base + yTrue[r]!]!, eps, hi);
    let rowSum = 1;
    if (renormalize) {
      rowSum = 0;
      for (let c = 0; c < nClasses; c++) rowSum += clip(proba[base + c]!, eps, hi);
    }
    total -= Math.log(p / rowSum);
  }
  return total / n;
}

function clip(p: number, lo: number, hi: number): number {
  return p < lo ? lo : p > hi ? hi : p;
}
