/**
 * Drift figures from bin counts: each feature's PSI, Jensen-Shannon distance and chi-square
 * p-value over the training deciles, whether it drifted (its p-value after the correction for
 * testing every feature), and the data set's verdict. The same figures come from the
 * function's rolling window (`GET /api/drift`) and from a file (`deno task drift`).
 * @module
 */
import { type BinnedFigures, binnedFigures } from "./binned_tests.ts";
import { type DriftStatus, overallPsi, psiTerm, worseStatus } from "./psi.ts";
import type { DriftReference } from "./reference.ts";
import { decideDrift, DEFAULT_DRIFT_SETTINGS, type DriftSettings } from "./verdict.ts";

/** One feature's drift over the bins. */
export interface FeatureDrift extends BinnedFigures {
  /** The p-value the decision rests on. */
  readonly p_value: number;
  /** `chi2` on the bins, or `ks` on the raw values when the training values are at hand. */
  readonly test: "chi2" | "ks";
  readonly drifted: boolean;
  readonly status: DriftStatus;
}

/** The drift of a window (or file) of rows against the training data. */
export interface DriftFigures {
  /** Rows the figures are computed on. */
  readonly window: number;
  /** Mean of the features' PSI (see `overallPsi`); for reading beside older reports. */
  readonly overall_psi: number;
  /** The most severe feature status. */
  readonly status: DriftStatus;
  /** Share of features that drifted. */
  readonly share_drifted: number;
  /** Whether at least `settings.share` of the features drifted. */
  readonly dataset_drift: boolean;
  /** How drift was decided. */
  readonly settings: DriftSettings;
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
 * The drift figures of bin `counts` over `n` rows. `ks`, when given, holds a KS p-value per
 * feature that decides drift in place of the bins' chi-square.
 *
 * @example
 * ```ts
 * import { seedWorkload } from "../data/make_classification.ts";
 * import { parseModel, serializeModel } from "../model/artifact.ts";
 * import { trainModel } from "../training/train_model.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const model = parseModel(serializeModel(artifact));
 * import { driftFigures } from "./figures.ts";
 * import { driftReference } from "./reference.ts";
 * import { DriftWindow } from "./window.ts";
 * const rows = seedWorkload();
 * const window = new DriftWindow(driftReference(model.artifact.features), 1000);
 * window.add(rows.x, rows.nRows);
 * driftFigures(window.reference, window.counts, window.size).dataset_drift; // false
 * ```
 */
export function driftFigures(
  ref: DriftReference,
  counts: ArrayLike<number>,
  n: number,
  settings: DriftSettings = DEFAULT_DRIFT_SETTINGS,
  ks?: readonly number[],
  rowsPerFeature?: ArrayLike<number>,
): DriftFigures {
  const binned = ref.names.map((_, f) =>
    binnedFigures(ref, counts, rowsPerFeature ? rowsPerFeature[f]! : n, f)
  );
  const pValues = binned.map((b, f) => ks?.[f] ?? b.chi2_p_value);
  const verdict = decideDrift(pValues, settings);
  let status: DriftStatus = "ok";
  const features = Object.fromEntries(ref.names.map((name, f) => {
    const s = verdict.status[f]!;
    status = worseStatus(status, s);
    return [name, {
      ...binned[f]!,
      p_value: pValues[f]!,
      test: ks?.[f] !== undefined ? "ks" as const : "chi2" as const,
      drifted: verdict.drifted[f]!,
      status: s,
    }];
  }));
  return {
    window: n,
    overall_psi: overallPsi(binned.map((b) => b.psi)),
    status,
    share_drifted: verdict.share_drifted,
    dataset_drift: verdict.dataset_drift,
    settings,
    features,
  };
}
