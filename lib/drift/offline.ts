/**
 * Drift of a file of recent rows against a model's training data, as `deno task drift` reports
 * it: the figures `GET /api/drift` gives for its window, computed over every row of the file,
 * with each feature's training and recent bin fractions for the HTML report.
 * @module
 */
import { join } from "node:path";
import { readFeatureTable } from "../data/csv.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { type LoadedModel, loadModel } from "../model/artifact.ts";
import { resolveModelPath } from "../model/local_store.ts";
import { driftFigures, type FeatureDrift } from "./figures.ts";
import { renderDriftReport } from "./html.ts";
import type { DriftStatus } from "./psi.ts";
import { binIndex, type DriftReference, driftReference } from "./reference.ts";

/** The format tag of drift.json. */
export const DRIFT_FORMAT = "fluxops.drift/v1" as const;

/** One feature in drift.json: its PSI and status, and the histograms they come from. */
export interface FeatureDriftDetail extends FeatureDrift {
  /** The training quantile edges, outer ones included (`bins + 1`). */
  readonly bin_edges: readonly number[];
  /** Fraction of training rows per bin. */
  readonly training: readonly number[];
  /** Fraction of recent rows per bin. */
  readonly recent: readonly number[];
}

/** drift.json: the same figures as `GET /api/drift`, over a file, with the histograms. */
export interface DriftReport {
  readonly format: typeof DRIFT_FORMAT;
  readonly model_version: string;
  /** The file of recent rows. */
  readonly data: string;
  readonly created_at: string;
  /** Rows the figures are computed on: every row of the file. */
  readonly window: number;
  readonly overall_psi: number;
  readonly status: DriftStatus;
  readonly features: Readonly<Record<string, FeatureDriftDetail>>;
}

/** Options of {@link driftOfRows}. */
export interface DriftOfRowsOptions {
  /** Names the rows' source in the report. */
  readonly data: string;
  /** Defaults to now. */
  readonly createdAt?: Date;
}

/** Per-feature bin counts of `nRows` rows of row-major `x`, laid out as `DriftWindow.counts`. */
export function countBins(ref: DriftReference, x: Float64Array, nRows: number): Uint32Array {
  const p = ref.names.length;
  const counts = new Uint32Array(p * ref.bins);
  for (let i = 0; i < nRows; i++) {
    for (let f = 0; f < p; f++) counts[f * ref.bins + binIndex(ref, f, x[i * p + f]!)]!++;
  }
  return counts;
}

/**
 * The drift of `nRows` rows of row-major `x` (the model's feature order) against `model`'s
 * training histograms.
 *
 * @throws {Error} (an `InvalidModel`) when the model has no training histograms
 */
export function driftOfRows(
  model: LoadedModel,
  x: Float64Array,
  nRows: number,
  { data, createdAt = new Date() }: DriftOfRowsOptions,
): DriftReport {
  const ref = driftReference(model.artifact.features, `model ${model.artifact.version}`);
  const counts = countBins(ref, x, nRows);
  const figures = driftFigures(ref, counts, nRows);
  const bins = ref.bins;
  const features = Object.fromEntries(ref.names.map((name, f) => {
    const recent = Array.from(counts.subarray(f * bins, (f + 1) * bins), (c) => c / nRows);
    return [name, {
      ...figures.features[name]!,
      bin_edges: ref.fullEdges[f]!,
      training: Array.from(ref.expected.subarray(f * bins, (f + 1) * bins)),
      recent,
    }];
  }));
  return {
    format: DRIFT_FORMAT,
    model_version: model.artifact.version,
    data,
    created_at: createdAt.toISOString(),
    window: nRows,
    overall_psi: figures.overall_psi,
    status: figures.status,
    features,
  };
}

/** Options of {@link runDrift}. */
export interface RunDriftOptions {
  /** model.json, or a model folder holding one. */
  readonly model: string;
  /** CSV of recent rows: the model's feature columns in any order, the target optional. */
  readonly data: string;
  /** Output folder; default `.fluxops/drift/<model version>`. */
  readonly out?: string | undefined;
}

/** What {@link runDrift} computed and wrote. */
export interface DriftRun {
  readonly report: DriftReport;
  readonly json: string;
  readonly html: string;
}

/**
 * Computes the drift of a CSV file against a model and writes `drift.json` and `drift.html`
 * into the output folder (each atomically).
 *
 * @throws {Error} a `ModelNotFound`, `InvalidModel` or `IntegrityError` for the model, a
 *   `DataError` for the CSV file (naming file, line and column)
 * @example
 * ```ts ignore
 * const { report, html } = await runDrift({ model: "model.json", data: "recent.csv" });
 * ```
 */
export async function runDrift({ model, data, out }: RunDriftOptions): Promise<DriftRun> {
  const loaded = await loadModel(await resolveModelPath(model));
  // Checked before the data is read, so a model without histograms fails fast.
  driftReference(loaded.artifact.features, `model ${loaded.artifact.version}`);
  const table = await readFeatureTable(data, {
    features: loaded.featureNames,
    target: loaded.artifact.target,
  });
  const report = driftOfRows(loaded, table.x, table.nRows, { data });
  const dir = out ?? join(".fluxops", "drift", loaded.artifact.version);
  const json = join(dir, "drift.json");
  const html = join(dir, "drift.html");
  await writeFileAtomic(json, JSON.stringify(report, null, 2) + "\n");
  await writeFileAtomic(html, renderDriftReport(report));
  return { report, json, html };
}
