import assert from "node:assert/strict";
import { join } from "node:path";
import { IntegrityError, InvalidModel, ModelNotFound } from "../../../lib/errors.ts";
import { predictProba } from "../../../lib/forest/predict.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import {
  buildArtifact,
  loadModel,
  MODEL_FORMAT,
  type ModelArtifact,
  parseModel,
  saveModel,
  serializeModel,
} from "../../../lib/model/artifact.ts";
import { canonicalJson, sha256Hex } from "../../../lib/model/canonical.ts";
import { featureStats } from "../../../lib/model/feature_stats.ts";
import { asTraining, easyData, listDir, withTempDir } from "../../support/fixtures.ts";

function sample(): ModelArtifact {
  const ds = easyData(3, 120);
  const forest = trainForest(asTraining(ds), { n_estimators: 4, seed: 2 });
  return buildArtifact({
    target: ds.target,
    classes: ds.classes,
    features: featureStats(ds.featureNames, ds.x, ds.nRows),
    forest,
    params: { n_estimators: 4 },
    metrics: { accuracy: 1 },
    engine: { name: "native", version: "1.0.0" },
    createdAt: new Date("2026-11-25T18:30:00.123Z"),
  });
}

Deno.test("buildArtifact() stamps a sortable version and a checksum", () => {
  const a = sample();
  assert.equal(a.format, MODEL_FORMAT);
  assert.match(a.version, /^20261125T183000Z-[0-9a-f]{8}$/);
  assert.equal(a.created_at, "2026-11-25T18:30:00.123Z");
  assert.match(a.sha256, /^[0-9a-f]{64}$/);
  assert.equal(a.runtime.deno, Deno.version.deno);
});

Deno.test("a saved model loads back and predicts the same probabilities", async () => {
  await withTempDir(async (dir) => {
    const ds = easyData(3, 120);
    const forest = trainForest(asTraining(ds), { n_estimators: 4, seed: 2 });
    const artifact = buildArtifact({
      target: ds.target,
      classes: ds.classes,
      features: featureStats(ds.featureNames, ds.x, ds.nRows),
      forest,
      params: {},
      metrics: {},
      engine: { name: "native", version: "1.0.0" },
    });
    const path = join(dir, "m", "model.json");
    await saveModel(path, artifact);
    assert.deepEqual(await listDir(join(dir, "m")), ["model.json"]); // no temporary file left
    const loaded = await loadModel(path);
    assert.deepEqual(loaded.artifact, artifact);
    assert.deepEqual(loaded.featureNames, ds.featureNames);
    const before = predictProba(forest, ds.x, ds.nRows);
    const after = predictProba(loaded.forest, ds.x, ds.nRows);
    for (let i = 0; i < before.length; i++) assert.ok(Math.abs(before[i]! - after[i]!) < 1e-6);
  });
});

/** Serialises a sample model after `fn` edits it; `rehash` recomputes the checksum. */
function tamper(fn: (m: Record<string, unknown>) => void, rehash = false): string {
  const m = JSON.parse(serializeModel(sample())) as Record<string, unknown>;
  fn(m);
  if (rehash) {
    const { sha256: _, ...rest } = m;
    m.sha256 = sha256Hex(canonicalJson(rest));
  }
  return JSON.stringify(m);
}

const corrupt: [string, () => string, typeof IntegrityError | typeof InvalidModel, RegExp][] = [
  ["is not JSON", () => "{not json", InvalidModel, /not valid JSON/],
  ["is a JSON array", () => "[]", InvalidModel, /expected a JSON object/],
  [
    "has another format",
    () => tamper((m) => (m.format = "other/v9")),
    InvalidModel,
    /format is "other\/v9"/,
  ],
  ["has no checksum", () => tamper((m) => delete m.sha256), IntegrityError, /no sha256/],
  [
    "has an altered class",
    () => tamper((m) => (m.classes = [0, 1, 7])),
    IntegrityError,
    /checksum mismatch/,
  ],
  [
    "has an altered metric",
    () => tamper((m) => ((m.metrics as Record<string, number>).accuracy = 0.5)),
    IntegrityError,
    /corrupt or was altered/,
  ],
  [
    "has one class, rehashed",
    () => tamper((m) => (m.classes = [0]), true),
    InvalidModel,
    /at least two labels/,
  ],
  [
    "has no features, rehashed",
    () => tamper((m) => (m.features = []), true),
    InvalidModel,
    /at least one named feature/,
  ],
  [
    "names a feature twice, rehashed",
    () =>
      tamper((m) => {
        const features = m.features as { name: string }[];
        features[1]!.name = features[0]!.name;
      }, true),
    InvalidModel,
    /feature "[^"]+" is listed twice/,
  ],
  [
    "lists a class twice, as a number and a string, rehashed",
    () => tamper((m) => (m.classes = [0, "0"]), true),
    InvalidModel,
    /class "0" is listed twice/,
  ],
  [
    "has a numeric version, rehashed",
    () => tamper((m) => (m.version = 5), true),
    InvalidModel,
    /version must be a string/,
  ],
  [
    "has a forest node pointing outside its tree, rehashed",
    () =>
      tamper((m) => {
        const f = m.forest as Record<string, string>;
        const right = new Int32Array(Uint8Array.fromBase64(f.right!).buffer);
        right[0] = 1_000_000;
        f.right = new Uint8Array(right.buffer).toBase64();
      }, true),
    InvalidModel,
    /node 0 has an invalid feature or child/,
  ],
  [
    "has a forest of the wrong shape, rehashed",
    () => tamper((m) => ((m.forest as Record<string, number>).n_features = 99), true),
    InvalidModel,
    /forest shape|importances/,
  ],
];
for (const [what, text, type, message] of corrupt) {
  Deno.test(`parseModel() refuses a model that ${what}`, () => {
    assert.throws(() => parseModel(text(), "m.json"), (err: unknown) => {
      assert.ok(err instanceof type, `got ${err}`);
      assert.match((err as Error).message, message);
      assert.match((err as Error).message, /^m\.json: /);
      return true;
    });
  });
}

Deno.test("loadModel() names a missing file and a folder given in its place", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(loadModel(join(dir, "nope.json")), ModelNotFound);
    await assert.rejects(loadModel(dir), (err: unknown) => {
      assert.ok(err instanceof ModelNotFound || err instanceof InvalidModel);
      return true;
    });
  });
});
