/**
 * The scoring half of `deno task bench:compare`: FluxOps' `predictProba` against scikit-learn and
 * ONNX Runtime on the SAME trees (FluxOps' model.json converted with bench/fluxops_to_sklearn.py,
 * and exported with lib/model/onnx_export.ts), one thread each, in one run, on three shapes:
 * breast cancer (small shallow forest), digits (10 classes) and a 16,000 x 10 synthetic set
 * (deep trees, ~130k nodes). Returns a Markdown section for docs/benchmarks.md.
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { readDataset, readFeatureTable } from "../lib/data/csv.ts";
import { makeClassification, SEED_WORKLOAD } from "../lib/data/make_classification.ts";
import { seedWorkload } from "../lib/data/make_classification.ts";
import { predictProba } from "../lib/forest/predict.ts";
import { referenceProba } from "../lib/forest/reference_walk.ts";
import { trainForest } from "../lib/forest/train.ts";
import { buildArtifact, parseModel, serializeModel } from "../lib/model/artifact.ts";
import { featureStats } from "../lib/model/feature_stats.ts";
import { exportOnnx } from "../lib/model/onnx_export.ts";
import { BENCH_PYTHON as PY, datasetCsv, exists, median, run } from "./common.ts";

const HERE = import.meta.dirname!;
const DATA = join(HERE, "data");

/** The three shapes of issue 15's table. */
export const SCORING_CASES = ["breast_cancer", "digits", "synthetic"] as const;

interface PeerTiming {
  seconds: number;
  cpu_seconds: number;
  all: number[];
  one_row_us: number;
  one_row_cpu_us: number;
  one_rows: number;
  max_abs_diff_vs_fluxops: number;
}

interface PeerCase {
  rows: number;
  features: number;
  classes: number;
  trees: number;
  nodes: number;
  sklearn: PeerTiming;
  onnxruntime_f64: PeerTiming;
  onnxruntime_f32: PeerTiming;
}

interface OurCase {
  seconds: number;
  cpuSeconds: number;
  all: number[];
  firstSeconds: number;
  walkSeconds: number;
  oneRowUs: number;
  oneRowCpuUs: number;
  oneRows: number;
}

/** The 20,000-row synthetic set (the seed workload's recipe), split 80/20 like the others. */
async function prepareSynthetic(): Promise<void> {
  if (await exists(join(DATA, "synthetic_score100k.csv"))) return;
  const ds = makeClassification({ ...SEED_WORKLOAD, nSamples: 20_000 });
  const path = join(DATA, "synthetic_full.csv");
  await Deno.writeTextFile(path, datasetCsv(ds));
  await run([
    PY,
    join(HERE, "export_datasets.py"),
    "--datasets",
    "none",
    "--seed-csv",
    path,
    "--seed-name",
    "synthetic",
  ]);
}

/** Trains the case's forest (100 trees, seed 0) and writes model.json and both ONNX files. */
async function prepareCase(name: string): Promise<string> {
  const train = await readDataset(join(DATA, `${name}_train.csv`), { target: "target" });
  const forest = trainForest({ ...train, nClasses: train.classes.length }, {
    n_estimators: 100,
    seed: 0,
  });
  const artifact = buildArtifact({
    target: train.target,
    classes: train.classes,
    features: featureStats(train.featureNames, train.x, train.nRows),
    forest,
    params: { n_estimators: 100, seed: 0 },
    metrics: {},
    engine: { name: "native", version: "1.0.0" },
  });
  const modelPath = join(DATA, `${name}_model.json`);
  await Deno.writeTextFile(modelPath, serializeModel(artifact));
  const input = { forest, classes: train.classes, featureNames: train.featureNames };
  await Deno.writeFile(join(DATA, `${name}_f64.onnx`), exportOnnx(input));
  await Deno.writeFile(join(DATA, `${name}_f32.onnx`), exportOnnx(input, { precision: "float32" }));
  const rows = await readFeatureTable(join(DATA, `${name}_score100k.csv`), {
    features: train.featureNames,
  });
  const proba = predictProba(forest, rows.x, rows.nRows);
  await Deno.writeFile(join(DATA, `${name}_fluxops_proba.f64`), new Uint8Array(proba.buffer));
  return modelPath;
}

/** FluxOps' timings, as the peers are timed, on a freshly loaded model. */
async function timeOurs(name: string): Promise<OurCase> {
  const { forest, featureNames } = parseModel(
    await Deno.readTextFile(join(DATA, `${name}_model.json`)),
  );
  const { x, nRows } = await readFeatureTable(join(DATA, `${name}_score100k.csv`), {
    features: featureNames,
  });
  const t0 = performance.now();
  predictProba(forest, x, nRows); // first call: builds the kernel, then V8 tiers it up
  const firstSeconds = (performance.now() - t0) / 1000;
  predictProba(forest, x, nRows); // warm-up, as the peers get
  const all: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < 3; r++) {
    const c = process.cpuUsage();
    const t1 = performance.now();
    predictProba(forest, x, nRows);
    all.push((performance.now() - t1) / 1000);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1e6);
  }
  referenceProba(forest, x, nRows);
  const walk: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t1 = performance.now();
    referenceProba(forest, x, nRows);
    walk.push((performance.now() - t1) / 1000);
  }
  const p = forest.nFeatures;
  const oneRows = Math.min(10_000, nRows);
  for (let i = 0; i < 200; i++) predictProba(forest, x.subarray(i * p, (i + 1) * p), 1);
  // As the peer: the median over 10 chunks of the mean wall time, and the mean CPU time.
  const chunk = Math.max(1, Math.floor(oneRows / 10));
  const walls: number[] = [];
  const c2 = process.cpuUsage();
  for (let a = 0; a < oneRows; a += chunk) {
    const b = Math.min(oneRows, a + chunk);
    const t2 = performance.now();
    for (let i = a; i < b; i++) predictProba(forest, x.subarray(i * p, (i + 1) * p), 1);
    walls.push((performance.now() - t2) * 1000 / (b - a));
  }
  const d2 = process.cpuUsage(c2);
  const oneRowUs = median(walls);
  const oneRowCpuUs = (d2.user + d2.system) / oneRows;
  return {
    seconds: median(all),
    cpuSeconds: median(cpu),
    all,
    firstSeconds,
    walkSeconds: median(walk),
    oneRowUs,
    oneRowCpuUs,
    oneRows,
  };
}

/**
 * The machine's speed now: the reference array walk (frozen code) of a 100-tree forest on the
 * seed workload over 100,000 rows, one thread, median of three (ms).
 */
export function calibrate(): number {
  const ds = seedWorkload();
  const forest = trainForest({ ...ds, nClasses: 2 }, { n_estimators: 100, seed: 0 });
  const n = 100_000;
  const x = new Float64Array(n * ds.nFeatures);
  for (let i = 0; i < x.length; i++) x[i] = ds.x[i % ds.x.length]!;
  referenceProba(forest, x, n);
  const ts: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    referenceProba(forest, x, n);
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** The 1-minute load average. */
export async function loadAverage(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

const s3 = (v: number) => v.toFixed(3);
const x2 = (v: number) => `${v.toFixed(2)}x`;

/** Runs the scoring comparison; returns the Markdown section. */
export async function compareScoring(machine: string): Promise<string> {
  await prepareSynthetic();
  const specs: string[] = [];
  for (const name of SCORING_CASES) {
    console.error(`scoring: preparing ${name}`);
    const model = await prepareCase(name);
    specs.push(
      `${name}=${model},${join(DATA, `${name}_f64.onnx`)},${join(DATA, `${name}_f32.onnx`)},${
        join(DATA, `${name}_score100k.csv`)
      },${join(DATA, `${name}_fluxops_proba.f64`)}`,
    );
  }
  const loadBefore = await loadAverage();
  const calBefore = calibrate();
  const env = { ...Deno.env.toObject() };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  // Case by case, the peers then FluxOps, so a change in the machine's load hits both sides.
  const peer: Record<string, PeerCase> = {};
  const ours: Record<string, OurCase> = {};
  let peerDoc: Record<string, string> = {};
  for (const [i, name] of SCORING_CASES.entries()) {
    const doc = JSON.parse(await run([PY, join(HERE, "scoring_peer.py"), specs[i]!], env));
    peer[name] = doc.results[name] as PeerCase;
    peerDoc = doc;
    console.error(`scoring: fluxops ${name}`);
    ours[name] = await timeOurs(name);
  }
  const calAfter = calibrate();
  const loadAfter = await loadAverage();
  const label: Record<string, string> = {
    breast_cancer: "breast cancer 455x30",
    digits: "digits 1,437x64, 10 classes",
    synthetic: "synthetic 16,000x10",
  };
  const rows = SCORING_CASES.map((n) => {
    const p = peer[n]!;
    const o = ours[n]!;
    const best = Math.min(p.sklearn.seconds, p.onnxruntime_f64.seconds, p.onnxruntime_f32.seconds);
    const ns = (s: number) => (s * 1e9 / (p.rows * p.trees)).toFixed(1);
    const oneBest = Math.min(p.onnxruntime_f64.one_row_us, p.onnxruntime_f32.one_row_us);
    return `| ${label[n]} (${p.trees} trees, ${p.nodes.toLocaleString("en")} nodes) | ${
      s3(o.seconds)
    } (${s3(o.firstSeconds)}) | ${s3(o.walkSeconds)} | ${s3(p.sklearn.seconds)} | ${
      s3(p.onnxruntime_f64.seconds)
    } / ${s3(p.onnxruntime_f32.seconds)} | **${x2(best / o.seconds)}** | ${ns(o.seconds)} / ${
      ns(best)
    } | ${o.oneRowUs.toFixed(1)} / ${oneBest.toFixed(1)} / ${p.sklearn.one_row_us.toFixed(0)} | **${
      x2(oneBest / o.oneRowUs)
    }** | ${Math.max(p.onnxruntime_f64.max_abs_diff_vs_fluxops, 0).toExponential(1)} / ${
      p.onnxruntime_f32.max_abs_diff_vs_fluxops.toExponential(1)
    } / ${p.sklearn.max_abs_diff_vs_fluxops.toExponential(1)} |`;
  });
  const cpuRows = SCORING_CASES.map((n) => {
    const p = peer[n]!;
    const o = ours[n]!;
    const best = Math.min(
      p.sklearn.cpu_seconds,
      p.onnxruntime_f64.cpu_seconds,
      p.onnxruntime_f32.cpu_seconds,
    );
    const oneBest = Math.min(p.onnxruntime_f64.one_row_cpu_us, p.onnxruntime_f32.one_row_cpu_us);
    return `| ${label[n]} | ${s3(o.cpuSeconds)} | ${s3(p.sklearn.cpu_seconds)} | ${
      s3(p.onnxruntime_f64.cpu_seconds)
    } / ${s3(p.onnxruntime_f32.cpu_seconds)} | ${x2(best / o.cpuSeconds)} | ${
      o.oneRowCpuUs.toFixed(1)
    } / ${oneBest.toFixed(1)} | ${x2(oneBest / o.oneRowCpuUs)} |`;
  });
  const warn = Math.max(loadBefore, loadAfter) > 1.5
    ? `\n\n**Warning:** the 1-minute load average was ${loadBefore} before and ${loadAfter} after ` +
      "the run: other work on this machine skews these figures; the ratios are from one run."
    : "";
  return [
    `Measured ${
      new Date().toISOString().slice(0, 16)
    }Z on ${machine}; Deno ${Deno.version.deno}, ` +
    `scikit-learn ${peerDoc.sklearn}, ONNX Runtime ${peerDoc.onnxruntime}, numpy ` +
    `${peerDoc.numpy}, Python ${peerDoc.python}. The same 100-tree forest on every side ` +
    "(FluxOps' model.json; scikit-learn gets it through `bench/fluxops_to_sklearn.py`, ONNX " +
    "Runtime through `deno task model export --format onnx`, float64 and float32 models), one " +
    "thread each (`predict_proba` with `n_jobs=None`; ORT `intra_op_num_threads=1`), 100,000 " +
    "rows sampled from each data set, one warm-up call then the median of three. One row: each " +
    "of 10,000 different rows scored alone (scikit-learn: 300), the median over 10 chunks of " +
    "rows of the mean time per row. Calibration (the reference " +
    `array walk, seed workload, 100 trees, 100,000 rows): ${calBefore.toFixed(0)} ms before, ` +
    `${calAfter.toFixed(0)} ms after; 1-minute load ${loadBefore} before, ${loadAfter} after.` +
    warn,
    "",
    "| data set | FluxOps `predictProba` s (first call) | FluxOps array walk before (reference) s | scikit-learn s | ONNX Runtime s, f64 / f32 model | FluxOps speed-up vs the faster peer | ns per tree per row, FluxOps / faster peer | one row µs, FluxOps / ONNX Runtime / scikit-learn | one row vs ONNX Runtime | max abs diff from FluxOps: ORT f64 / ORT f32 / sklearn |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    "The same runs in CPU time of each process (batch: median of the three timed calls; one " +
    "row: mean over the 10,000 rows), " +
    "which other work on the machine inflates far less than wall time:",
    "",
    "| data set | FluxOps CPU s | scikit-learn CPU s | ONNX Runtime CPU s, f64 / f32 | FluxOps speed-up vs the faster peer (CPU) | one row CPU µs, FluxOps / ONNX Runtime | one row vs ONNX Runtime (CPU) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...cpuRows,
  ].join("\n");
}
