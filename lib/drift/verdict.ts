/**
 * From per-feature p-values to a verdict: which features drifted (a p-value below α after a
 * correction for testing every feature at once), each feature's status, and whether the data
 * set as a whole drifted (at least a share of its features did, as Evidently decides).
 * @module
 */
import { type Correction, rejected } from "./stats/correction.ts";
import type { DriftStatus } from "./psi.ts";

/** How drift is decided. */
export interface DriftSettings {
  /** Significance level of the family of feature tests. */
  readonly alpha: number;
  /** `bonferroni`: p < α / features; `fdr`: Benjamini-Hochberg at α. */
  readonly correction: Correction;
  /** The data set drifted when at least this share of its features did. */
  readonly share: number;
}

/** Offline defaults: α 0.05, Bonferroni, half of the features. */
export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  alpha: 0.05,
  correction: "bonferroni",
  share: 0.5,
};

/** The verdict over a set of features. */
export interface DriftVerdict {
  /** Per feature, in order: whether it drifted. */
  readonly drifted: readonly boolean[];
  /**
   * Per feature: `alert` when it drifted, `warn` when its p-value is under α before the
   * correction (worth a look, not significant across all features), else `ok`.
   */
  readonly status: readonly DriftStatus[];
  readonly share_drifted: number;
  readonly dataset_drift: boolean;
}

/**
 * Decides drift from each feature's p-value.
 *
 * @example
 * ```ts
 * import { decideDrift, DEFAULT_DRIFT_SETTINGS } from "./verdict.ts";
 * decideDrift([0.001, 0.03, 0.6], DEFAULT_DRIFT_SETTINGS).status; // ["alert", "warn", "ok"]
 * ```
 */
export function decideDrift(pValues: readonly number[], settings: DriftSettings): DriftVerdict {
  const drifted = rejected(pValues, settings.alpha, settings.correction);
  const status = pValues.map((p, i): DriftStatus =>
    drifted[i] ? "alert" : p < settings.alpha ? "warn" : "ok"
  );
  const count = drifted.filter(Boolean).length;
  const share = pValues.length === 0 ? 0 : count / pValues.length;
  return {
    drifted,
    status,
    share_drifted: share,
    dataset_drift: pValues.length > 0 && count > 0 && share >= settings.share,
  };
}

/** Checks settings, naming the bad one. */
export function checkDriftSettings(s: DriftSettings, where = "drift"): void {
  if (!(s.alpha > 0 && s.alpha < 1)) {
    throw new RangeError(`${where}: alpha must be between 0 and 1 (exclusive), got ${s.alpha}`);
  }
  if (!(s.share > 0 && s.share <= 1)) {
    throw new RangeError(`${where}: share must be in (0, 1], got ${s.share}`);
  }
  if (s.correction !== "bonferroni" && s.correction !== "fdr") {
    throw new RangeError(`${where}: correction must be bonferroni or fdr, got ${s.correction}`);
  }
}
