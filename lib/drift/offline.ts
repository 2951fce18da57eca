/**
 * Drift of a file of recent rows against a model's training data, as `deno task drift`
 * reports it: the binned figures `GET /api/drift` gives for its window (PSI, Jensen-Shannon
 * distance, chi-square p-value), computed over every row of the file; with the training rows
 * at hand (`--reference`), the two-sample Kolmogorov-Smirnov test and the normalised
 * Wasserstein distance on the raw values, KS then deciding drift; the data set's verdict;
 * prediction drift; performance when the rows carry the target; and data quality.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic.ts";
import { predictProba } from "../forest/predict.ts";
import { argmaxRows } from "../metrics/argmax.ts";
import { precisionRecallF1 } from "../metrics/precision_recall_f1.ts";
import { type LoadedModel, loadModel } from "../model/artifact.ts";
import { resolveModelPath } from "../model/local_store.ts";
import { driftFigures } from "./figures.ts";
import { renderDriftReport } from "./html.ts";
import {
  DRIFT_FORMAT,
  type DriftReport,
  type FeatureDriftDetail,
  type Performance,
} from "./drift_report.ts";
import { predictionDrift } from "./prediction.ts";
import { featureQuality } from "./quality.ts";
import { binIndex, type DriftReference, driftReference, trainRowsOf } from "./reference.ts";
import { ks2SampSorted } from "./stats/ks.ts";
import { populationStd, wassersteinSorted } from "./stats/wasserstein.ts";
import { type DriftTable, readDriftTable } from "./table_reader.ts";
import { checkDriftSettings, DEFAULT_DRIFT_SETTINGS, type DriftSettings } from "./verdict.ts";

export {
  DRIFT_FORMAT,
  type DriftReport,
  type FeatureDriftDetail,
  type Performance,
} from "./drift_report.ts";

/** Options of {@link driftOfTable}. */
export interface DriftOfTableOptions {
  /** Names the rows' source in the report. */
  readonly data: string;
  /** Training rows, in the model's feature order, for KS and Wasserstein. */
  readonly reference?: { readonly name: string; readonly table: DriftTable } | undefined;
  readonly settings?: DriftSettings;
  /** Defaults to now. */
  readonly createdAt?: Date;
}

/** The finite values of column `f` of a table, sorted. */
function sortedColumn(t: DriftTable, p: number, f: number): Float64Array {
  const out = new Float64Array(t.nRows);
  let k = 0;
  for (let i = 0; i < t.nRows; i++) {
    const v = t.x[i * p + f]!;
    if (v === v) out[k++] = v;
  }
  return out.subarray(0, k).sort();
}

/** Per-feature bin counts and out-of-range counts of finite values, and finite rows per feature. */
export function countBins(
  ref: DriftReference,
  x: Float64Array,
  nRows: number,
): { counts: Uint32Array; outOfRange: Uint32Array; rows: Uint32Array } {
  const p = ref.names.length;
  const counts = new Uint32Array(p * ref.bins);
  const outOfRange = new Uint32Array(p);
  const rows = new Uint32Array(p);
  for (let i = 0; i < nRows; i++) {
    for (let f = 0; f < p; f++) {
      const v = x[i * p + f]!;
      if (v !== v) continue;
      counts[f * ref.bins + binIndex(ref, f, v)]!++;
      rows[f]!++;
      if (v < ref.min[f]! || v > ref.max[f]!) outOfRange[f]!++;
    }
  }
  return { counts, outOfRange, rows };
}

/** Predictions of the rows without a missing cell; class counts and per-row classes (-1: none). */
function predict(model: LoadedModel, t: DriftTable): { counts: Uint32Array; classes: Int32Array } {
  const p = model.featureNames.length;
  const k = model.artifact.classes.length;
  const keep: number[] = [];
  for (let i = 0; i < t.nRows; i++) {
    let ok = true;
    for (let f = 0; f < p && ok; f++) ok = t.x[i * p + f] === t.x[i * p + f];
    if (ok) keep.push(i);
  }
  const x = new Float64Array(keep.length * p);
  keep.forEach((i, r) => x.set(t.x.subarray(i * p, (i + 1) * p), r * p));
  const predicted = argmaxRows(predictProba(model.forest, x, keep.length), k);
  const counts = new Uint32Array(k);
  const classes = new Int32Array(t.nRows).fill(-1);
  keep.forEach((i, r) => {
    classes[i] = predicted[r]!;
    counts[predicted[r]!]!++;
  });
  return { counts, classes };
}

/** Accuracy and F1 of the predictions against the labels (rows with an unknown label left out). */
function scorePerformance(
  model: LoadedModel,
  labels: readonly string[],
  classes: Int32Array,
): Performance {
  const index = new Map(model.artifact.classes.map((c, i) => [String(c), i]));
  const yTrue: number[] = [];
  const yPred: number[] = [];
  let unknown = 0;
  labels.forEach((label, i) => {
    const c = index.get(label.trim());
    if (c === undefined) {
      unknown++;
      return;
    }
    if (classes[i]! < 0) return;
    yTrue.push(c);
    yPred.push(classes[i]!);
  });
  const m = model.artifact.metrics;
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const training = { accuracy: num(m.accuracy), f1: num(m.f1) };
  if (yTrue.length === 0) {
    return { rows: 0, unknown_labels: unknown, accuracy: NaN, f1: NaN, training };
  }
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  const k = model.artifact.classes.length;
  const f1 = precisionRecallF1(Int32Array.from(yTrue), Int32Array.from(yPred), k).f1;
  return {
    rows: yTrue.length,
    unknown_labels: unknown,
    accuracy: hits / yTrue.length,
    f1,
    training,
  };
}

/**
 * The drift of a table of rows (the model's feature order) against `model`'s training data,
 * and against `reference`'s rows when given.
 *
 * @throws {Error} (an `InvalidModel`) when the model has no training histograms
 */
export function driftOfTable(
  model: LoadedModel,
  table: DriftTable,
  { data, reference, settings = DEFAULT_DRIFT_SETTINGS, createdAt = new Date() }:
    DriftOfTableOptions,
): DriftReport {
  checkDriftSettings(settings);
  const a = model.artifact;
  const ref = driftReference(a.features, `model ${a.version}`, trainRowsOf(a.metrics));
  const p = ref.names.length;
  const n = table.nRows;
  const { counts, outOfRange, rows } = countBins(ref, table.x, n);
  let ks: { statistic: number; pValue: number; wasserstein: number | null }[] | undefined;
  if (reference) {
    ks = ref.names.map((_, f) => {
      const r = sortedColumn(reference.table, p, f);
      const c = sortedColumn(table, p, f);
      if (r.length === 0 || c.length === 0) return { statistic: 0, pValue: 1, wasserstein: null };
      const test = ks2SampSorted(r, c);
      const sd = populationStd(r);
      const w = wassersteinSorted(r, c);
      return {
        statistic: test.statistic,
        pValue: test.pValue,
        wasserstein: sd > 0 ? w / sd : null,
      };
    });
  }
  const figures = driftFigures(ref, counts, n, settings, ks?.map((k) => k.pValue), rows);
  const bins = ref.bins;
  const features = Object.fromEntries(ref.names.map((name, f) => {
    const rf = rows[f]!;
    const recent = Array.from(
      counts.subarray(f * bins, (f + 1) * bins),
      (c) => (rf === 0 ? 0 : c / rf),
    );
    const detail: FeatureDriftDetail = {
      ...figures.features[name]!,
      ...(ks
        ? {
          ks_statistic: ks[f]!.statistic,
          ks_p_value: ks[f]!.pValue,
          wasserstein_norm: ks[f]!.wasserstein,
        }
        : {}),
      bin_edges: ref.fullEdges[f]!,
      training: Array.from(ref.expected.subarray(f * bins, (f + 1) * bins)),
      recent,
      quality: featureQuality(outOfRange[f]!, table.missing[f]!, table.nonNumeric[f]!, n),
    };
    return [name, detail];
  }));
  const scored = predict(model, table);
  const pred = predictionDrift(
    a.classes,
    a.class_frequencies,
    scored.counts,
    settings.alpha,
    ref.trainRows,
  );
  const unscored = n - scored.counts.reduce((s, c) => s + c, 0);
  return {
    format: DRIFT_FORMAT,
    model_version: a.version,
    data,
    reference: reference?.name ?? null,
    created_at: createdAt.toISOString(),
    window: n,
    settings,
    test: ks ? "ks" : "chi2",
    share_drifted: figures.share_drifted,
    dataset_drift: figures.dataset_drift,
    overall_psi: figures.overall_psi,
    status: figures.status,
    features,
    prediction: unscored > 0 ? { ...pred, unscored_rows: unscored } : pred,
    performance: table.targetValues
      ? scorePerformance(model, table.targetValues, scored.classes)
      : null,
  };
}

/** Options of {@link runDrift}. */
export interface RunDriftOptions {
  /** model.json, or a model folder holding one. */
  readonly model: string;
  /** Recent rows: a CSV path (or a URI with a registered reader). */
  readonly data: string;
  /** Training rows, for KS and Wasserstein. */
  readonly reference?: string | undefined;
  readonly settings?: DriftSettings | undefined;
  /** Count unreadable cells instead of failing. */
  readonly quality?: boolean | undefined;
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
 * Computes the drift of a file against a model and writes `drift.json` and `drift.html` into
 * the output folder (each atomically).
 *
 * @throws {Error} a `ModelNotFound`, `InvalidModel` or `IntegrityError` for the model, a
 *   `DataError` for a file (naming file, line and column)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { seedWorkload } from "../data/make_classification.ts";
 * import { serializeModel } from "../model/artifact.ts";
 * import { trainModel } from "../training/train_model.ts";
 * import { runDrift } from "./offline.ts";
 * const dir = await Deno.makeTempDir();
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * await Deno.writeTextFile(join(dir, "model.json"), serializeModel(artifact));
 * const ds = seedWorkload(); // the rows it was trained on: no drift
 * const lines = [ds.featureNames.join(",")];
 * for (let r = 0; r < ds.nRows; r++) {
 *   lines.push(Array.from(ds.x.subarray(r * ds.nFeatures, (r + 1) * ds.nFeatures)).join(","));
 * }
 * await Deno.writeTextFile(join(dir, "recent.csv"), lines.join("\n") + "\n");
 * const { report, html } = await runDrift({
 *   model: join(dir, "model.json"),
 *   data: join(dir, "recent.csv"),
 *   out: dir,
 * });
 * assert.equal(report.dataset_drift, false);
 * assert.equal(html, join(dir, "drift.html"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runDrift(
  { model, data, reference, settings = DEFAULT_DRIFT_SETTINGS, quality = false, out }:
    RunDriftOptions,
): Promise<DriftRun> {
  checkDriftSettings(settings);
  const loaded = await loadModel(await resolveModelPath(model));
  const a = loaded.artifact;
  // Checked before the data is read, so a model without histograms fails fast.
  driftReference(a.features, `model ${a.version}`);
  const options = { features: loaded.featureNames, target: a.target, lenient: quality };
  const table = await readDriftTable(data, options);
  const ref = reference === undefined
    ? undefined
    : { name: reference, table: await readDriftTable(reference, { ...options, lenient: true }) };
  const report = driftOfTable(loaded, table, { data, reference: ref, settings });
  const dir = out ?? join(".fluxops", "drift", a.version);
  const json = join(dir, "drift.json");
  const html = join(dir, "drift.html");
  await writeFileAtomic(json, JSON.stringify(report, null, 2) + "\n");
  await writeFileAtomic(html, renderDriftReport(report));
  return { report, json, html };
}

/** {@link driftOfTable} of `nRows` rows of row-major `x` (every cell read), without a reference. */
export function driftOfRows(
  model: LoadedModel,
  x: Float64Array,
  nRows: number,
  options: DriftOfTableOptions,
): DriftReport {
  const p = model.featureNames.length;
  const table: DriftTable = {
    x,
    nRows,
    missing: new Uint32Array(p),
    nonNumeric: new Uint32Array(p),
  };
  return driftOfTable(model, table, options);
}
