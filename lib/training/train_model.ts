/**
 * The training pipeline behind `deno task train` and the single-binary trainer: load or generate
 * data, split, train with the chosen engine, evaluate, and produce the model, its metrics and
 * its report, written to a folder all at once.
 * @module
 */
import { basename, dirname, join } from "node:path";
import { type Dataset, type Label } from "../data/dataset.ts";
import { type DataLineage, dataRecord, datasetSha256, SEED_URI } from "../data/lineage.ts";
import { readSourcedDataset } from "../data/source.ts";
import { seedWorkload } from "../data/make_classification.ts";
import { stratifiedSplit } from "../data/split.ts";
import { DataError } from "../errors.ts";
import type { Forest } from "../forest/forest.ts";
import { ML_RANDOM_FOREST_VERSION, trainMlRandomForest } from "../forest/ml_random_forest.ts";
import { type ForestParams, resolveParams } from "../forest/params.ts";
import { predictProba } from "../forest/predict.ts";
import { type OnTree, trainForest } from "../forest/train.ts";
import { defaultWorkers, trainForestParallel } from "../forest/parallel_train.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { type ClassificationMetrics, evaluate, rocAuc, rocCurve } from "../metrics/mod.ts";
import {
  buildArtifact,
  classFrequencies,
  type EngineInfo,
  type ModelArtifact,
  serializeModel,
} from "../model/artifact.ts";
import { featureStats } from "../model/feature_stats.ts";
import type { BuildInfo } from "./provenance.ts";
import { encodeSignature, type SigningKey, signModel } from "../model/signing.ts";
import { renderReport } from "../report/html.ts";

/** The engines a model can be trained with. */
export type EngineName = EngineInfo["name"];

/** The native engine's version: FluxOps' own. */
export const NATIVE_ENGINE_VERSION = "1.0.0";

/** What to train. */
export interface TrainOptions {
  /** Training CSV; the seed workload when absent. */
  readonly data?: string | undefined;
  /** Target column (default: the last one). */
  readonly target?: string | undefined;
  /** Evaluate on this CSV instead of a held-out split. */
  readonly eval?: string | undefined;
  /** Held-out fraction when no eval file is given. */
  readonly testSize?: number;
  readonly params?: Partial<ForestParams>;
  readonly engine?: EngineName;
  /**
   * Web Workers that train the native engine's trees; 0 trains on this thread. The model is
   * the same whatever the number. Default: the CPUs.
   */
  readonly workers?: number | undefined;
  /** Commit and CI ids to record in model.json. */
  readonly build?: BuildInfo | undefined;
}

/** metrics.json. */
export interface MetricsFile extends ClassificationMetrics {
  n_train: number;
  n_test: number;
  train_seconds: number;
  engine: EngineName;
  evaluated_on: string;
}

/** Everything a training run produces. */
export interface TrainResult {
  readonly artifact: ModelArtifact;
  readonly metrics: MetricsFile;
  readonly report: string;
}

/** Options of {@linkcode trainWith}. */
export interface TrainWithOptions {
  /** Called after each tree with the number done and the total. */
  readonly onTree?: OnTree | undefined;
  /** Web Workers for the native engine; 0 trains on this thread. Default: the CPUs. */
  readonly workers?: number | undefined;
}

/** Trains a forest with the named engine (`ml-random-forest` always on this thread). */
export async function trainWith(
  engine: EngineName,
  ds: Dataset,
  params: Partial<ForestParams>,
  { onTree, workers = defaultWorkers() }: TrainWithOptions = {},
): Promise<Forest> {
  const data = { ...ds, nClasses: ds.classes.length };
  if (engine !== "native") return trainMlRandomForest(data, params, onTree);
  if (workers === 0) return trainForest(data, params, onTree);
  return await trainForestParallel(data, params, { workers, onTree });
}

/** Re-encodes an evaluation set's labels into the training classes, refusing unknown labels. */
export function alignClasses(ds: Dataset, classes: readonly Label[], source: string): Dataset {
  const index = new Map<Label, number>(classes.map((c, i) => [c, i]));
  const map = ds.classes.map((c) => {
    const at = index.get(c) ?? index.get(String(c)) ??
      (typeof c === "string" && c.trim() !== "" ? index.get(Number(c)) : undefined);
    if (at === undefined) {
      throw new DataError(
        `${source}: class ${
          JSON.stringify(c)
        } of column "${ds.target}" was not in the training data (${JSON.stringify(classes)})`,
      );
    }
    return at;
  });
  return { ...ds, classes, y: ds.y.map((c) => map[c]!) };
}

/** Checks that an evaluation file has the training features, in the same order. */
function checkSameFeatures(train: Dataset, other: Dataset, source: string): void {
  const a = train.featureNames.join("\u0000");
  const b = other.featureNames.join("\u0000");
  if (a !== b || train.target !== other.target) {
    const missing = train.featureNames.filter((n) => !other.featureNames.includes(n));
    const extra = other.featureNames.filter((n) => !train.featureNames.includes(n));
    throw new DataError(
      `${source}: columns do not match the training data: missing [${missing.join(", ")}]; extra [${
        extra.join(", ")
      }]${missing.length + extra.length === 0 ? " (same names, different order)" : ""}`,
    );
  }
}

/** The data of a training run: the rows to train on, the rows to evaluate on, their lineage. */
export interface TrainingSets {
  readonly train: Dataset;
  readonly test: Dataset;
  /** How the evaluation rows were chosen, for metrics.json. */
  readonly evaluatedOn: string;
  readonly lineage: DataLineage;
}

/**
 * Reads (or generates) the data of a training run and splits off its evaluation rows: a
 * stratified split seeded by `seed`, or the `eval` file. Same options, same bytes: same sets.
 */
export async function loadTrainingSets(
  options: Pick<TrainOptions, "data" | "target" | "eval" | "testSize">,
  seed: number,
): Promise<TrainingSets> {
  let all: Dataset;
  let trainRecord;
  if (options.data === undefined) {
    all = seedWorkload();
    trainRecord = dataRecord(SEED_URI, datasetSha256(all), all);
  } else {
    const read = await readSourcedDataset(
      options.data,
      options.target === undefined ? {} : { target: options.target },
    );
    all = read.dataset;
    trainRecord = read.record;
  }
  if (options.eval !== undefined) {
    const read = await readSourcedDataset(options.eval, { target: all.target });
    checkSameFeatures(all, read.dataset, options.eval);
    return {
      train: all,
      test: alignClasses(read.dataset, all.classes, options.eval),
      evaluatedOn: basename(options.eval),
      lineage: { train: trainRecord, eval: read.record },
    };
  }
  const testSize = options.testSize ?? 0.2;
  const { train, test } = stratifiedSplit(all, { testSize, seed });
  return {
    train,
    test,
    evaluatedOn: `stratified split, test_size=${testSize}, seed=${seed}`,
    lineage: { train: trainRecord, held_out: { test_size: testSize, seed } },
  };
}

/**
 * Runs a whole training: data, split, forest, metrics, report.
 *
 * @example
 * ```ts
 * import { trainModel } from "./train_model.ts";
 * const { artifact, metrics } = await trainModel({ params: { n_estimators: 10 } });
 * ```
 */
export async function trainModel(
  options: TrainOptions = {},
  onTree?: OnTree,
): Promise<TrainResult> {
  const engine = options.engine ?? "native";
  const params = resolveParams(options.params);
  const sets = await loadTrainingSets(options, params.seed);
  const started = performance.now();
  const forest = await trainWith(engine, sets.train, params, {
    onTree,
    workers: options.workers,
  });
  const trainSeconds = (performance.now() - started) / 1000;
  return finishTraining({ engine, params, sets, forest, trainSeconds, build: options.build });
}

/** What {@linkcode finishTraining} makes a model of. */
export interface FinishInput {
  readonly engine: EngineName;
  readonly params: ForestParams;
  readonly sets: TrainingSets;
  readonly forest: Forest;
  readonly trainSeconds: number;
  readonly build?: BuildInfo | undefined;
}

/** Evaluates a trained forest on the evaluation rows and makes the artifact, metrics and report. */
export function finishTraining(
  { engine, params, sets, forest, trainSeconds, build }: FinishInput,
): TrainResult {
  const { train, test, evaluatedOn } = sets;
  const proba = predictProba(forest, test.x, test.nRows);
  const scores = evaluate(test.y, proba, train.classes);
  const metrics: MetricsFile = {
    ...scores,
    n_train: train.nRows,
    n_test: test.nRows,
    train_seconds: Math.round(trainSeconds * 1000) / 1000,
    engine,
    evaluated_on: evaluatedOn,
  };
  const engineInfo: EngineInfo = {
    name: engine,
    version: engine === "native" ? NATIVE_ENGINE_VERSION : ML_RANDOM_FOREST_VERSION,
  };
  const artifact = buildArtifact({
    target: train.target,
    classes: train.classes,
    features: featureStats(train.featureNames, train.x, train.nRows),
    classFrequencies: classFrequencies(train.y, train.classes.length),
    forest,
    params: { ...params, engine },
    metrics: {
      accuracy: scores.accuracy,
      precision: scores.precision,
      recall: scores.recall,
      f1: scores.f1,
      roc_auc: scores.roc_auc,
      log_loss: scores.log_loss,
      n_train: train.nRows,
      n_test: test.nRows,
    },
    engine: engineInfo,
    data: sets.lineage,
    build,
  });

  let roc: { fpr: number[]; tpr: number[]; auc: number } | undefined;
  if (train.classes.length === 2) {
    const positive = new Float64Array(test.nRows);
    for (let i = 0; i < test.nRows; i++) positive[i] = proba[i * 2 + 1]!;
    const curve = rocCurve(test.y, positive);
    const auc = rocAuc(test.y, proba, 2);
    if (curve && auc !== null) roc = { fpr: curve.fpr, tpr: curve.tpr, auc };
  }
  const report = renderReport({
    title: `FluxOps model ${artifact.version}`,
    version: artifact.version,
    createdAt: artifact.created_at,
    engine: `${engineInfo.name} ${engineInfo.version}`,
    target: train.target,
    classes: [...train.classes],
    metrics: scores,
    featureNames: [...train.featureNames],
    importances: Array.from(forest.importances),
    ...(roc ? { roc } : {}),
    params: { ...params, engine },
    nTrain: train.nRows,
    nTest: test.nRows,
    trainSeconds,
    lineage: { data: sets.lineage, build },
  });
  return { artifact, metrics, report };
}

/** The files of a trained model folder, model.json last; model.sig when a key is given. */
export function modelFiles(result: TrainResult, key?: SigningKey): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  const model = enc.encode(serializeModel(result.artifact));
  const files = new Map<string, Uint8Array>([
    ["metrics.json", enc.encode(JSON.stringify(result.metrics, null, 2) + "\n")],
    ["report.html", enc.encode(result.report)],
  ]);
  if (key) files.set("model.sig", encodeSignature(signModel(model, key)));
  files.set("model.json", model);
  return files;
}

/**
 * Writes a model folder's files to `dir`, model.json last. A new folder is staged beside its
 * final name and renamed into place; in an existing folder each file is replaced atomically.
 * Either way a failure leaves no new model.json behind.
 */
export async function writeModelDir(
  dir: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  let exists = false;
  try {
    exists = (await Deno.stat(dir)).isDirectory;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (exists) {
    for (const [name, bytes] of files) await writeFileAtomic(join(dir, name), bytes);
    return;
  }
  const parent = dirname(dir);
  await Deno.mkdir(parent, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: parent, prefix: ".staging-" });
  try {
    for (const [name, bytes] of files) await Deno.writeFile(join(staging, name), bytes);
    await Deno.chmod(staging, 0o755); // makeTempDir creates 0700
    await Deno.rename(staging, dir);
  } catch (err) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw err;
  }
}
