import assert from "node:assert/strict";
import { join } from "node:path";
import type { Label } from "../../lib/data/dataset.ts";
import { makeClassification } from "../../lib/data/make_classification.ts";
import { argmaxRows, predictProba } from "../../lib/forest/predict.ts";
import { trainForest } from "../../lib/forest/train.ts";
import { buildArtifact, saveModel } from "../../lib/model/artifact.ts";
import { featureStats } from "../../lib/model/feature_stats.ts";
import { main as model } from "../../tasks/model.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";
import { needsTool, pythonWith } from "../support/python.ts";

const SCORER = join(import.meta.dirname!, "..", "python", "score_exported.py");
const ortPython = pythonWith("onnxruntime");
const sklearnPython = pythonWith("sklearn");

/** Trains a 20-tree model on `classes`, saves it in `dir`, returns its path and 10,000 fresh rows. */
async function savedModel(dir: string, classes: Label[], seed: number) {
  const nFeatures = 12;
  const gen = (nSamples: number, s: number) =>
    makeClassification({
      nSamples,
      nFeatures,
      nInformative: 6,
      nClasses: classes.length,
      flipY: 0.05,
      seed: s,
    });
  const ds = gen(1500, seed);
  const forest = trainForest({ ...ds, nClasses: classes.length }, { n_estimators: 20, seed });
  const path = join(dir, "model.json");
  await saveModel(
    path,
    buildArtifact({
      target: "y",
      classes,
      features: featureStats(ds.featureNames, ds.x, ds.nRows),
      forest,
      params: { n_estimators: 20 },
      metrics: {},
      engine: { name: "native", version: "1.0.0" },
    }),
  );
  const rows = gen(10_000, seed + 100); // fresh rows from the same distribution
  return { path, forest, x: rows.x, nRows: rows.nRows, nFeatures };
}

/** Scores the rows with the Python runtime; returns its probabilities and its JSON report. */
async function scoreWith(
  python: string,
  kind: "onnx" | "sklearn",
  file: string,
  x: Float64Array,
  p: number,
  dir: string,
) {
  const rows = join(dir, "rows.f64");
  const out = join(dir, "proba.f64");
  await Deno.writeFile(rows, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  const res = await new Deno.Command(python, {
    args: [SCORER, kind, file, rows, String(p), out],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(res.code, 0, dec.decode(res.stderr));
  const bytes = await Deno.readFile(out);
  return {
    proba: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8),
    report: JSON.parse(dec.decode(res.stdout)),
  };
}

/** Largest |a - b| over all values. */
function maxDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j]! - b[j]!));
  return m;
}

/** Rows whose predicted labels differ, ignoring near-ties (top two within `tie`). */
function labelMismatches(
  labels: Label[],
  proba: Float64Array,
  k: number,
  classes: Label[],
  tie: number,
): number {
  const ours = argmaxRows(proba, k);
  let bad = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(proba.subarray(i * k, (i + 1) * k)).sort((a, b) => b - a);
    if (row[0]! - row[1]! < tie) continue;
    if (String(labels[i]) !== String(classes[ours[i]!])) bad++;
  }
  return bad;
}

const CASES: [string, Label[]][] = [
  ["two integer classes", [0, 1]],
  ["four string classes", ["setosa", "versicolor", "virginica", "other"]],
  ["ten integer classes", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
];

for (const [name, classes] of CASES) {
  Deno.test(
    `model export --format onnx: ONNX Runtime gives FluxOps' probabilities on 10,000 rows to float32 rounding (${name})`,
    needsTool(ortPython !== undefined, "onnxruntime in the test venv"),
    async () => {
      await withTempDir(async (dir) => {
        const m = await savedModel(dir, classes, classes.length);
        const ours = predictProba(m.forest, m.x, m.nRows);
        const k = classes.length;
        for (const precision of ["float64", "float32"]) {
          const out = join(dir, `model_${precision}.onnx`);
          const args = ["export", "--format", "onnx", "--precision", precision, "--out", out];
          assert.equal(await model([...args, dir]), 0);
          const { proba, report } = await scoreWith(ortPython!, "onnx", out, m.x, m.nFeatures, dir);
          assert.equal(
            report.input_type,
            precision === "float64" ? "tensor(double)" : "tensor(float)",
          );
          assert.deepEqual(report.outputs, ["label", "probabilities"]);
          assert.deepEqual(JSON.parse(report.metadata.class_labels), classes);
          // float64: the same branches; ORT returns float32 probabilities, so each differs from
          // FluxOps' by at most float32 rounding of a number <= 1 (2^-24), plus the sums' order.
          // float32: thresholds rounded up to float32; rows within a float32 step above a
          // threshold could take the left branch, none did on these continuous rows.
          const bound = precision === "float64" ? 2 ** -24 : 1e-6;
          const diff = maxDiff(proba, ours);
          assert.ok(diff <= bound, `${precision}: max |ORT - FluxOps| = ${diff} > ${bound}`);
          assert.equal(labelMismatches(report.labels, ours, k, classes, 1e-6), 0);
        }
      });
    },
  );
}

Deno.test(
  "model export --format sklearn writes a scikit-learn forest with FluxOps' probabilities on 10,000 rows",
  needsTool(sklearnPython !== undefined, "scikit-learn in the test venv"),
  async () => {
    await withTempDir(async (dir) => {
      const classes = ["no", "yes", "maybe"];
      const m = await savedModel(dir, classes, 7);
      const out = join(dir, "model.pkl");
      const args = ["export", "--format", "sklearn", "--python", sklearnPython!, "--out", out];
      assert.equal(await model([...args, join(dir, "model.json")]), 0);
      const { proba, report } = await scoreWith(sklearnPython!, "sklearn", out, m.x, 12, dir);
      assert.deepEqual(report.classes, classes);
      const ours = predictProba(m.forest, m.x, m.nRows);
      // scikit-learn walks float32(x) against float32-safe thresholds: the same leaves here.
      const diff = maxDiff(proba, ours);
      assert.ok(diff <= 1e-12, `max |sklearn - FluxOps| = ${diff}`);
      assert.equal(labelMismatches(report.labels, ours, 3, classes, 1e-9), 0);
    });
  },
);

const BAD: [string, (dir: string) => string[], number, RegExp][] = [
  ["an unknown format", (d) => ["--format", "pmml", "--out", join(d, "m"), d], 2, /--format/],
  ["no --out", (d) => ["--format", "onnx", d], 2, /--out FILE is required/],
  ["a bad precision", (d) => ["--precision", "half", "--out", join(d, "m"), d], 2, /--precision/],
  [
    "a precision for sklearn",
    (d) => ["--format", "sklearn", "--precision", "float32", "--out", join(d, "m"), d],
    2,
    /onnx only/,
  ],
  ["two models", (d) => ["--out", join(d, "m"), d, d], 2, /at most one MODEL/],
  ["a missing model", (d) => ["--out", join(d, "m"), join(d, "none.json")], 1, /no such model/],
  [
    "a Python that does not exist",
    (d) => ["--format", "sklearn", "--python", join(d, "nopython"), "--out", join(d, "m"), d],
    1,
    /cannot run .*nopython/,
  ],
];

for (const [what, argv, code, message] of BAD) {
  Deno.test(`model export refuses ${what}, with exit ${code} and nothing written`, async () => {
    await withTempDir(async (dir) => {
      await savedModel(dir, [0, 1], 1);
      const before = await listDir(dir);
      const errors: string[] = [];
      const original = console.error;
      console.error = (...a: unknown[]) => errors.push(a.join(" "));
      try {
        assert.equal(await model(["export", ...argv(dir)]), code);
      } finally {
        console.error = original;
      }
      assert.match(errors.join("\n"), message);
      assert.deepEqual(await listDir(dir), before);
    });
  });
}

Deno.test("model export without MODEL exports the newest model in .fluxops/models", async () => {
  await withTempDir(async (dir) => {
    const older = join(dir, ".fluxops", "models", "20260101T000000Z-aaaaaaaa");
    const newer = join(dir, ".fluxops", "models", "20261201T000000Z-bbbbbbbb");
    await Deno.mkdir(older, { recursive: true });
    await Deno.mkdir(newer, { recursive: true });
    await savedModel(older, [0, 1], 1);
    const m = await savedModel(newer, ["a", "b", "c"], 2);
    const res = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(import.meta.dirname!, "../../tasks/model.ts"),
        "export",
        "--out",
        "m.onnx",
        "--json",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.equal(res.code, 0, dec.decode(res.stderr));
    const report = JSON.parse(dec.decode(res.stdout));
    assert.equal(report.format, "onnx");
    assert.equal(report.precision, "float64");
    assert.deepEqual(report.classes, ["a", "b", "c"]);
    assert.equal(report.nodes, m.forest.feature.length);
    assert.equal((await Deno.stat(join(dir, "m.onnx"))).size, report.bytes);
  });
});

Deno.test("deno task model --help documents export and both formats", async () => {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    assert.equal(await model(["--help"]), 0);
  } finally {
    console.log = original;
  }
  const help = lines.join("\n");
  for (const part of ["export --format F --out FILE [MODEL]", "onnx", "sklearn", "--precision"]) {
    assert.ok(help.includes(part), `--help lacks ${part}`);
  }
});
