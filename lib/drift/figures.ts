/**
 * Drift figures from bin counts: each feature's PSI and status, and the overall PSI. The same
 * figures come from the function's rolling window (`GET /api/drift`) and from a file
 * (`deno task drift`).
 * @module
 */
import { type DriftStatus, driftStatus, overallPsi, psiTerm, worseStatus } from "./psi.ts";
import type { DriftReference } from "./reference.ts";

/** One feature's drift. */
export interface FeatureDrift {
  readonly psi: number;
  readonly status: DriftStatus;
}

/** The drift of a window (or file) of rows against the training data. */
export interface DriftFigures {
  /** Rows the figures are computed on. */
  readonly window: number;
  /** Mean of the features' PSI (see `overallPsi`). */
  readonly overall_psi: number;
  /** The most severe feature status. */
  readonly status: DriftStatus;
  /** Per feature, by name, in the model's feature order. */
  readonly features: Readonly<Record<string, FeatureDrift>>;
}

/**
 * The PSI of feature `f` for bin `counts` (laid out as `DriftWindow.counts`: `ref.bins` per
 * feature) over `n` rows; 0 when there are no rows (no evidence of drift).
 */
export function featurePsi(
  ref: DriftReference,
  counts: ArrayLike<number>,
  n: number,
  f: number,
): number {
  if (n === 0) return 0;
  const bins = ref.bins;
  let sum = 0;
  for (let b = 0; b < bins; b++) {
    sum += psiTerm(ref.expected[f * bins + b]!, counts[f * bins + b]! / n);
  }
  return sum;
}

/** Every feature's PSI for bin `counts` over `n` rows. */
export function featurePsis(ref: DriftReference, counts: ArrayLike<number>, n: number): number[] {
  return ref.names.map((_, f) => featurePsi(ref, counts, n, f));
}

/**
 * The drift figures of bin `counts` over `n` rows.
 *
 * @example
 * ```ts
 * const window = new DriftWindow(driftReference(model.artifact.features), 1000);
 * window.add(rows.x, rows.nRows);
 * driftFigures(window.reference, window.counts, window.size).overall_psi;
 * ```
 */
export function driftFigures(
  ref: DriftReference,
  counts: ArrayLike<number>,
  n: number,
): DriftFigures {
  const values = featurePsis(ref, counts, n);
  let status: DriftStatus = "ok";
  const features = Object.fromEntries(ref.names.map((name, f) => {
    const s = driftStatus(values[f]!);
    status = worseStatus(status, s);
    return [name, { psi: values[f]!, status: s }];
  }));
  return { window: n, overall_psi: overallPsi(values), status, features };
}
