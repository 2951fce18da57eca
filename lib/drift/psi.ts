/**
 * The population stability index (PSI) of a feature: how far the distribution of recent values
 * has moved from the training distribution, over the same bins.
 *
 * PSI = Σ_i (a_i − e_i) · ln(a_i / e_i), with `e_i` the training and `a_i` the recent fraction
 * of rows in bin `i`. It is the symmetric Kullback-Leibler divergence of the two histograms:
 * zero when they agree, growing without bound as they part. An empty bin would make a term
 * infinite, so every fraction below {@link PSI_EPSILON} counts as {@link PSI_EPSILON}, the usual
 * practice (an empty bin "holds" 0.01% of the rows). Bins empty on both sides then add nothing.
 *
 * The usual reading, which FluxOps adopts as statuses: under 0.1 no significant change (`ok`),
 * 0.1 up to 0.25 a moderate change worth a look (`warn`), 0.25 and above a significant shift
 * (`alert`).
 * @module
 */

/** Fraction an empty (or nearly empty) bin counts as. */
export const PSI_EPSILON = 1e-4;

/** PSI from which a feature is in `warn`. */
export const WARN_PSI = 0.1;

/** PSI from which a feature is in `alert`. */
export const ALERT_PSI = 0.25;

/** A feature's drift status: `ok` (PSI < 0.1), `warn` (0.1 ≤ PSI < 0.25), `alert` (PSI ≥ 0.25). */
export type DriftStatus = "ok" | "warn" | "alert";

/** Statuses from least to most severe. */
export const DRIFT_STATUSES: readonly DriftStatus[] = ["ok", "warn", "alert"];

/** One bin's term of the PSI, for training fraction `e` and recent fraction `a`. */
export function psiTerm(e: number, a: number): number {
  const ee = e > PSI_EPSILON ? e : PSI_EPSILON;
  const aa = a > PSI_EPSILON ? a : PSI_EPSILON;
  return (aa - ee) * Math.log(aa / ee);
}

/**
 * The PSI of recent bin fractions `actual` against training fractions `expected`.
 *
 * @throws {RangeError} when the two have different lengths
 * @example
 * ```ts
 * import { psi } from "./psi.ts";
 * psi([0.5, 0.5], [0.5, 0.5]); // 0
 * psi([0.5, 0.5], [0.25, 0.75]); // 0.2747 (= 0.25 · ln 3)
 * ```
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) {
    throw new RangeError(
      `psi(): ${expected.length} training fractions but ${actual.length} recent ones`,
    );
  }
  let sum = 0;
  for (let i = 0; i < expected.length; i++) sum += psiTerm(expected[i]!, actual[i]!);
  return sum;
}

/** The status of a PSI value. */
export function driftStatus(value: number): DriftStatus {
  return value >= ALERT_PSI ? "alert" : value >= WARN_PSI ? "warn" : "ok";
}

/** The more severe of two statuses. */
export function worseStatus(a: DriftStatus, b: DriftStatus): DriftStatus {
  return DRIFT_STATUSES.indexOf(a) >= DRIFT_STATUSES.indexOf(b) ? a : b;
}

/**
 * The overall PSI of a model's inputs: the mean of the features' PSI. A mean rather than a
 * maximum, so that it says how much of the input moved (one feature of ten at 0.5 gives 0.05,
 * all ten at 0.5 give 0.5); the worst feature is in each feature's own figure and status.
 */
export function overallPsi(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
