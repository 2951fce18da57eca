/**
 * `deno task bench:compare`: FluxOps' engines against scikit-learn in one run, on the same CSV
 * files, on this machine (training, accuracy, batch prediction, model size), then scoring
 * against scikit-learn and ONNX Runtime on the same trees (scoring_compare.ts). Prints a
 * Markdown report and, with `--write`, puts each part in docs/benchmarks.md between its markers.
 *
 * Needs Python 3 (bench/setup_python.sh makes bench/.venv with scikit-learn and ONNX Runtime
 * from PyPI).
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { join } from "node:path";
import { readDataset, readFeatureTable } from "../lib/data/csv.ts";
import { seedWorkload } from "../lib/data/make_classification.ts";
import { predictProba } from "../lib/forest/predict.ts";
import { trainMlRandomForest } from "../lib/forest/ml_random_forest.ts";
import { trainForest } from "../lib/forest/train.ts";
import { buildArtifact, serializeModel } from "../lib/model/artifact.ts";
import { featureStats } from "../lib/model/feature_stats.ts";
import { argmaxRows } from "../lib/metrics/argmax.ts";
import { compareScoring } from "./scoring_compare.ts";
import {
  BENCH_PYTHON as PY,
  datasetCsv,
  exists,
  machine,
  median,
  runAddingEnv as sh,
} from "./common.ts";

const HERE = import.meta.dirname!;
const DATA = join(HERE, "data");

const DATASETS = ["seed", "breast_cancer", "wine", "digits"] as const;

interface PeerResult {
  n_train: number;
  n_test: number;
  n_features: number;
  n_classes: number;
  fit_seconds_median: number;
  accuracy_mean: number;
  predict_proba_100k_seconds: number;
  pickle_bytes: number;
}

interface OurResult {
  fit_seconds_median: number;
  accuracy_mean: number;
  predict_100k_seconds: number;
  predict_100k_first_seconds: number;
  predict_100k_compiled_seconds: number;
  predict_100k_compiled_first_seconds: number;
  model_bytes: number;
  ml_fit_seconds?: number;
  ml_accuracy?: number;
}

/** Writes the seed workload (1,000 rows) as CSV so both sides split the same file. */
async function writeSeedCsv(path: string): Promise<void> {
  await Deno.writeTextFile(path, datasetCsv(seedWorkload()));
}

async function prepareData(): Promise<void> {
  await sh(["bash", join(HERE, "setup_python.sh")]);
  const seedCsv = join(DATA, "seed_full.csv");
  if (!(await exists(join(DATA, "digits_score100k.csv")))) {
    await sh([PY, join(HERE, "export_datasets.py")]);
  }
  if (!(await exists(join(DATA, "seed_score100k.csv")))) {
    await Deno.mkdir(DATA, { recursive: true });
    await writeSeedCsv(seedCsv);
    await sh([PY, join(HERE, "export_datasets.py"), "--datasets", "none", "--seed-csv", seedCsv]);
  }
}

async function runOurs(name: string, seeds: number, withMl: boolean): Promise<OurResult> {
  const train = await readDataset(join(DATA, `${name}_train.csv`), { target: "target" });
  const test = await readDataset(join(DATA, `${name}_test.csv`), { target: "target" });
  const data = { ...train, nClasses: train.classes.length };
  const accuracyOf = (proba: Float64Array) => {
    const pred = argmaxRows(proba, data.nClasses);
    let hits = 0;
    for (let i = 0; i < test.nRows; i++) {
      if (String(train.classes[pred[i]!]) === String(test.classes[test.y[i]!])) hits++;
    }
    return hits / test.nRows;
  };
  trainForest(data, { n_estimators: 10, seed: 99 }); // JIT warm-up, not timed
  const times: number[] = [];
  const accs: number[] = [];
  let first = trainForest(data, { n_estimators: 1 });
  for (let s = 0; s < seeds; s++) {
    const t0 = performance.now();
    const forest = trainForest(data, { n_estimators: 100, seed: s });
    times.push((performance.now() - t0) / 1000);
    accs.push(accuracyOf(predictProba(forest, test.x, test.nRows)));
    if (s === 0) first = forest;
  }
  const table = await readFeatureTable(join(DATA, `${name}_score100k.csv`), {
    features: train.featureNames,
  });
  // As the peer is timed: one warm-up call, then the median of three.
  const timed = (compile: boolean) => {
    const t0 = performance.now();
    predictProba(first, table.x, table.nRows, { compile });
    const cold = (performance.now() - t0) / 1000;
    const pt: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t1 = performance.now();
      predictProba(first, table.x, table.nRows, { compile });
      pt.push((performance.now() - t1) / 1000);
    }
    return { cold, warm: median(pt) };
  };
  const walk = timed(false);
  const compiled = timed(true);
  const artifact = buildArtifact({
    target: train.target,
    classes: train.classes,
    features: featureStats(train.featureNames, train.x, train.nRows),
    forest: first,
    params: {},
    metrics: {},
    engine: { name: "native", version: "1.0.0" },
  });
  const result: OurResult = {
    fit_seconds_median: median(times),
    accuracy_mean: accs.reduce((a, b) => a + b, 0) / accs.length,
    predict_100k_seconds: walk.warm,
    predict_100k_first_seconds: walk.cold,
    predict_100k_compiled_seconds: compiled.warm,
    predict_100k_compiled_first_seconds: compiled.cold,
    model_bytes: new TextEncoder().encode(serializeModel(artifact)).length,
  };
  if (withMl) {
    const t0 = performance.now();
    const ml = trainMlRandomForest(data, { n_estimators: 100, seed: 0 });
    result.ml_fit_seconds = (performance.now() - t0) / 1000;
    result.ml_accuracy = accuracyOf(predictProba(ml, test.x, test.nRows));
  }
  return result;
}

const f3 = (v: number) => v.toFixed(3);
const pct = (v: number) => (v * 100).toFixed(2);

/** Runs the comparison; returns the Markdown section. */
export async function compare(seeds: number, withMl: boolean): Promise<string> {
  await prepareData();
  const env = { ...Deno.env.toObject() };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const peerJson = JSON.parse(
    await sh([PY, join(HERE, "sklearn_peer.py"), ...DATASETS, "--seeds", String(seeds)], env),
  );
  const peer = peerJson.results as Record<string, PeerResult>;
  const ours: Record<string, OurResult> = {};
  for (const name of DATASETS) {
    console.error(`fluxops: ${name}`);
    ours[name] = await runOurs(name, seeds, withMl);
  }
  const rows = DATASETS.map((n) => {
    const p = peer[n]!;
    const o = ours[n]!;
    return `| ${n} | ${p.n_train}/${p.n_test} x ${p.n_features}, ${p.n_classes} classes | ${
      pct(o.accuracy_mean)
    } | ${pct(p.accuracy_mean)} | ${(100 * (o.accuracy_mean - p.accuracy_mean)).toFixed(2)} | ${
      f3(o.fit_seconds_median)
    } | ${f3(p.fit_seconds_median)} | ${
      (o.fit_seconds_median / p.fit_seconds_median).toFixed(2)
    }x | ${o.ml_fit_seconds === undefined ? "not run" : f3(o.ml_fit_seconds)} |`;
  });
  const rows2 = DATASETS.map((n) => {
    const p = peer[n]!;
    const o = ours[n]!;
    const speed = (s: number) => `${(p.predict_proba_100k_seconds / s).toFixed(2)}x`;
    return `| ${n} | ${f3(o.predict_100k_seconds)} (${f3(o.predict_100k_first_seconds)}) | ${
      f3(o.predict_100k_compiled_seconds)
    } (${f3(o.predict_100k_compiled_first_seconds)}) | ${f3(p.predict_proba_100k_seconds)} | ${
      speed(o.predict_100k_seconds)
    } / ${speed(o.predict_100k_compiled_seconds)} | ${o.model_bytes.toLocaleString("en")} | ${
      p.pickle_bytes.toLocaleString("en")
    } | ${(o.model_bytes / p.pickle_bytes * 100).toFixed(0)}% |`;
  });
  return [
    `Measured ${
      new Date().toISOString().slice(0, 16)
    }Z on ${await machine()}; Deno ${Deno.version.deno}, ` +
    `scikit-learn ${peerJson.version}, numpy ${peerJson.numpy}, Python ${peerJson.python}. ` +
    `Both sides single-threaded (scikit-learn \`n_jobs=1\` for fit, default \`n_jobs=None\` for ` +
    `\`predict_proba\`), 100 trees, default hyper-parameters, the same CSV files; accuracy is the ` +
    `mean over seeds 0..${seeds - 1}, fit time the median.`,
    "",
    "| dataset | train/test x features | FluxOps acc. % | sklearn acc. % | diff (points) | FluxOps fit s | sklearn fit s | ratio | ml-random-forest fit s |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "| dataset | FluxOps predictProba 100k s (first call) | FluxOps compiled trees s (first call) | sklearn predict_proba 100k s | speed-up default / compiled | model.json bytes | sklearn pickle bytes | size ratio |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows2,
  ].join("\n");
}

/** Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in docs/benchmarks.md. */
async function writeSection(name: string, section: string): Promise<void> {
  const path = join(HERE, "..", "docs", "benchmarks.md");
  const doc = await Deno.readTextFile(path);
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path}: markers ${start} / ${end} not found`);
  await Deno.writeTextFile(
    path,
    doc.slice(0, a + start.length) + "\n" + section + "\n" + doc.slice(b),
  );
}

if (import.meta.main) {
  const cli = parseCli(
    Deno.args,
    {
      seeds: { type: "integer", min: 1, default: 5 },
      "skip-ml": { type: "boolean" },
      only: { type: "string", choices: ["training", "scoring"] },
      write: { type: "boolean" },
    },
    `deno task bench:compare [--seeds N] [--skip-ml] [--only training|scoring] [--write]

Training: trains FluxOps' native engine and scikit-learn's RandomForestClassifier on the seed
workload and the breast-cancer, wine and digits datasets (same CSV files), and prints accuracy,
fit time, 100k-row prediction time and model size side by side. --skip-ml skips the slow
ml-random-forest engine (about 100 s on digits).

Scoring: the same 100-tree forests scored by FluxOps' predictProba, scikit-learn and ONNX
Runtime (one thread each) on breast cancer, digits and a 16,000 x 10 synthetic set: 100,000 rows
(one warm-up, median of three), ns per tree per row, and one row at a time over 10,000 rows,
with a calibration figure and the machine's load.

--only runs one part. --write updates docs/benchmarks.md.`,
  );
  if (cli.exit !== undefined) Deno.exit(cli.exit);
  const { values } = cli;
  const only = values.only;
  if (only !== "scoring") {
    const section = await compare(values.seeds, !values["skip-ml"]);
    console.log(section);
    if (values.write) await writeSection("compare", section);
  }
  if (only !== "training") {
    await prepareData();
    const section = await compareScoring(await machine());
    console.log(section);
    if (values.write) await writeSection("scoring", section);
  }
}
