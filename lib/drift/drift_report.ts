/**
 * drift.json's shape: the report `deno task drift` writes (`runDrift` in `offline.ts`) and
 * `html.ts` renders. Apart from both so that neither imports the other.
 * @module
 */
import type { FeatureDrift } from "./figures.ts";
import type { PredictionDrift } from "./prediction.ts";
import type { DriftStatus } from "./psi.ts";
import type { FeatureQuality } from "./quality.ts";
import type { DriftSettings } from "./verdict.ts";

/** The format tag of drift.json. */
export const DRIFT_FORMAT = "fluxops.drift/v2" as const;

/** One feature in drift.json: its tests, verdict, quality and the histograms. */
export interface FeatureDriftDetail extends FeatureDrift {
  /** With a reference: `scipy.stats.ks_2samp(reference, current)`. */
  readonly ks_statistic?: number;
  readonly ks_p_value?: number;
  /** With a reference: Wasserstein distance over the reference's standard deviation. */
  readonly wasserstein_norm?: number | null;
  /** The training quantile edges, outer ones included (`bins + 1`). */
  readonly bin_edges: readonly number[];
  /** Fraction of training rows per bin. */
  readonly training: readonly number[];
  /** Fraction of recent rows per bin. */
  readonly recent: readonly number[];
  readonly quality: FeatureQuality;
}

/** Accuracy and F1 of the model on the recent rows, beside its training metrics. */
export interface Performance {
  /** Rows scored against their label (rows with an unknown label or unreadable cell left out). */
  readonly rows: number;
  /** Rows whose label is not one of the model's classes. */
  readonly unknown_labels: number;
  readonly accuracy: number;
  readonly f1: number;
  /** The model's held-out metrics at training. */
  readonly training: { readonly accuracy: number | null; readonly f1: number | null };
}

/** drift.json. */
export interface DriftReport {
  readonly format: typeof DRIFT_FORMAT;
  readonly model_version: string;
  /** The rows compared. */
  readonly data: string;
  /** The training rows compared against, when given. */
  readonly reference: string | null;
  readonly created_at: string;
  /** Rows the figures are computed on: every row of the file. */
  readonly window: number;
  readonly settings: DriftSettings;
  /** The test that decides drift: `ks` with a reference, else `chi2` on the bins. */
  readonly test: "ks" | "chi2";
  readonly share_drifted: number;
  readonly dataset_drift: boolean;
  readonly overall_psi: number;
  readonly status: DriftStatus;
  readonly features: Readonly<Record<string, FeatureDriftDetail>>;
  readonly prediction: PredictionDrift & { readonly unscored_rows?: number };
  readonly performance: Performance | null;
}
