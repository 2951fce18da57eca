import assert from "node:assert/strict";
import { join } from "node:path";
import { DriftMonitor } from "../../../lib/drift/monitor.ts";
import {
  countBins,
  DRIFT_FORMAT,
  driftOfRows,
  driftOfTable,
  runDrift,
} from "../../../lib/drift/offline.ts";
import { predictProba } from "../../../lib/forest/predict.ts";
import { argmaxRows } from "../../../lib/metrics/argmax.ts";
import { precisionRecallF1 } from "../../../lib/metrics/precision_recall_f1.ts";
import { driftReference } from "../../../lib/drift/reference.ts";
import { FluxError } from "../../../lib/errors.ts";
import { serializeModel } from "../../../lib/model/artifact.ts";
import { listDir, withTempDir } from "../../support/fixtures.ts";
import { Rng, uniformModel, uniformRows, uniformStats } from "../../support/drift.ts";

const MODEL = uniformModel({ nFeatures: 3 });

Deno.test("driftOfRows() gives the figures the function's window gives for the same rows", () => {
  const x = uniformRows(new Rng(8), 800, 3, { 0: 0.3 });
  const monitor = new DriftMonitor({ window: 1000 });
  const offline = driftOfRows(MODEL, x, 800, { data: "recent.csv", settings: monitor.settings });
  monitor.observe(MODEL, x, 800);
  const online = monitor.snapshot(MODEL);
  assert.equal(offline.window, online.window);
  assert.equal(offline.overall_psi, online.overall_psi);
  assert.equal(offline.status, online.status);
  assert.equal(offline.dataset_drift, online.dataset_drift);
  assert.equal(offline.share_drifted, online.share_drifted);
  for (const [name, f] of Object.entries(online.features)) {
    const o = offline.features[name]!;
    assert.deepEqual(
      [o.psi, o.js_distance, o.chi2_p_value, o.drifted, o.status],
      [f.psi, f.js_distance, f.chi2_p_value, f.drifted, f.status],
    );
  }
  assert.equal(online.features.f0!.drifted, true, "the shifted feature drifted");
});

Deno.test("driftOfRows() reports each feature's edges and training and recent fractions", () => {
  // Feature 0: two rows in bin 0, one in bin 9; the others one row each in bins 5, 6, 7.
  const x = new Float64Array([0.01, 0.55, 0.51, 0.05, 0.65, 0.61, 0.99, 0.75, 0.71]);
  const r = driftOfRows(MODEL, x, 3, {
    data: "d.csv",
    createdAt: new Date("2026-02-03T04:05:06Z"),
  });
  assert.equal(r.format, DRIFT_FORMAT);
  assert.equal(r.model_version, MODEL.artifact.version);
  assert.equal(r.created_at, "2026-02-03T04:05:06.000Z");
  assert.equal(r.data, "d.csv");
  assert.equal(r.window, 3);
  const f0 = r.features.f0!;
  assert.deepEqual(f0.recent, [2 / 3, 0, 0, 0, 0, 0, 0, 0, 0, 1 / 3]);
  assert.deepEqual(f0.training, new Array(10).fill(0.1));
  assert.deepEqual(f0.bin_edges, MODEL.artifact.features[0]!.bin_edges);
  assert.deepEqual(r.features.f1!.recent, [0, 0, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0, 0]);
  assert.equal(r.status, "ok", "three rows are too few to call drift");
  assert.ok(r.features.f0!.psi > 0.25, "while PSI alone would alarm");
});

Deno.test("countBins() counts every row of every feature once", () => {
  const ref = driftReference(uniformStats(["a", "b"]));
  const x = uniformRows(new Rng(1), 123, 2);
  x[5] = NaN;
  const { counts, rows } = countBins(ref, x, 123);
  assert.deepEqual(Array.from(rows), [123, 122], "a NaN cell is skipped");
  assert.equal(counts.subarray(10).reduce((s, c) => s + c, 0), 122);
  assert.equal(counts.subarray(0, 10).reduce((s, c) => s + c, 0), 123);
});

function csv(x: Float64Array, p: number, header: string): string {
  const lines = [header];
  for (let i = 0; i < x.length; i += p) lines.push(Array.from(x.subarray(i, i + p)).join(","));
  return lines.join("\n") + "\n";
}

Deno.test("runDrift() reads the CSV, columns in any order, and writes drift.json and drift.html", async () => {
  await withTempDir(async (dir) => {
    const model = join(dir, "model.json");
    await Deno.writeTextFile(model, serializeModel(MODEL.artifact));
    const x = uniformRows(new Rng(4), 300, 3, { 2: 1 });
    // Columns f2, f0, f1 and the target: reorder each row to match the header.
    const reordered = new Float64Array(300 * 4);
    for (let i = 0; i < 300; i++) {
      reordered.set([x[i * 3 + 2]!, x[i * 3]!, x[i * 3 + 1]!, i % 2], i * 4);
    }
    await Deno.writeTextFile(join(dir, "recent.csv"), csv(reordered, 4, "f2,f0,f1,y"));
    const out = join(dir, "out");
    const run = await runDrift({ model: dir, data: join(dir, "recent.csv"), out });
    assert.deepEqual(await listDir(out), ["drift.html", "drift.json"]);
    assert.equal(run.json, join(out, "drift.json"));
    const written = JSON.parse(await Deno.readTextFile(run.json));
    assert.deepEqual(written, JSON.parse(JSON.stringify(run.report)));
    const expected = driftOfRows(MODEL, x, 300, { data: "x" });
    assert.equal(written.overall_psi, expected.overall_psi);
    assert.equal(written.features.f2.status, "alert");
    assert.match(await Deno.readTextFile(run.html), /^<!doctype html>/);
  });
});

const FAILURES: [
  string,
  (dir: string) => Promise<{ model: string; data: string }>,
  string,
  RegExp,
][] = [
  [
    "a missing model",
    (dir) => Promise.resolve({ model: join(dir, "nope.json"), data: join(dir, "d.csv") }),
    "model_not_found",
    /no such model file/,
  ],
  [
    "a model without training histograms",
    async (dir) => {
      const bare = uniformModel({
        nFeatures: 3,
        features: uniformStats(["f0", "f1", "f2"]).map((f) => ({ ...f, bin_edges: [] })),
      });
      await Deno.writeTextFile(join(dir, "m.json"), serializeModel(bare.artifact));
      return { model: join(dir, "m.json"), data: join(dir, "never-read.csv") };
    },
    "invalid_model",
    /feature "f0": expected 11 bin edges, got 0/,
  ],
  [
    "a CSV without one of the model's features",
    async (dir) => {
      await Deno.writeTextFile(join(dir, "m.json"), serializeModel(MODEL.artifact));
      await Deno.writeTextFile(join(dir, "d.csv"), "f0,f1\n0.1,0.2\n");
      return { model: join(dir, "m.json"), data: join(dir, "d.csv") };
    },
    "data_error",
    /columns do not match the model: missing \[f2\]/,
  ],
  [
    "a CSV with a bad value",
    async (dir) => {
      await Deno.writeTextFile(join(dir, "m.json"), serializeModel(MODEL.artifact));
      await Deno.writeTextFile(join(dir, "d.csv"), "f0,f1,f2\n0.1,0.2,0.3\n0.1,x,0.3\n");
      return { model: join(dir, "m.json"), data: join(dir, "d.csv") };
    },
    "data_error",
    /d\.csv:3: column "f1" \(2\): expected a number, got "x"/,
  ],
  [
    "a CSV with a header only",
    async (dir) => {
      await Deno.writeTextFile(join(dir, "m.json"), serializeModel(MODEL.artifact));
      await Deno.writeTextFile(join(dir, "d.csv"), "f0,f1,f2\n");
      return { model: join(dir, "m.json"), data: join(dir, "d.csv") };
    },
    "data_error",
    /d\.csv/,
  ],
];
for (const [what, make, code, message] of FAILURES) {
  Deno.test(`runDrift() fails with ${code} for ${what} and writes nothing`, async () => {
    await withTempDir(async (dir) => {
      const { model, data } = await make(dir);
      const out = join(dir, "out");
      await assert.rejects(runDrift({ model, data, out }), (err: unknown) => {
        assert.ok(err instanceof FluxError, String(err));
        assert.equal(err.code, code);
        assert.match(err.message, message);
        return true;
      });
      assert.ok(!(await listDir(dir)).includes("out"));
    });
  });
}

Deno.test("driftOfTable() scores the model on labelled rows beside its training metrics, leaving unknown labels out", () => {
  const model = uniformModel({
    nFeatures: 3,
    classFrequencies: [0.5, 0.5],
    metrics: { accuracy: 0.9, f1: 0.8, n_train: 400 },
  });
  const n = 200;
  const x = uniformRows(new Rng(5), n, 3);
  const predicted = argmaxRows(predictProba(model.forest, x, n), 2);
  // Labels: the prediction on even rows, the other class on odd ones, one unknown label.
  const labels = Array.from(predicted, (c, i) => String(i % 2 === 0 ? c : 1 - c));
  labels[7] = "cat";
  const table = { x, nRows: n, missing: new Uint32Array(3), nonNumeric: new Uint32Array(3) };
  const r = driftOfTable(model, { ...table, targetValues: labels }, { data: "d" });
  const perf = r.performance!;
  assert.equal(perf.rows, n - 1);
  assert.equal(perf.unknown_labels, 1);
  assert.equal(perf.accuracy, 100 / 199);
  const known = labels.map((l, i) => [l, i] as const).filter(([l]) => l !== "cat");
  const f1 = precisionRecallF1(
    Int32Array.from(known, ([l]) => Number(l)),
    Int32Array.from(known, ([, i]) => predicted[i]!),
    2,
  ).f1;
  assert.equal(perf.f1, f1);
  assert.deepEqual(perf.training, { accuracy: 0.9, f1: 0.8 });
  assert.equal(r.prediction.available && r.prediction.rows, n);
  assert.equal(driftOfTable(model, table, { data: "d" }).performance, null);
});
