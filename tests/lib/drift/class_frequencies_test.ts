/**
 * The training class frequencies a model keeps for prediction drift: recorded by the trainer,
 * checked on load, and optional, so models trained before them still load and serve.
 */
import assert from "node:assert/strict";
import { canonicalJson, sha256Hex } from "../../../lib/model/canonical.ts";
import {
  classFrequencies,
  type ModelArtifact,
  parseModel,
  serializeModel,
} from "../../../lib/model/artifact.ts";
import { driftOfRows } from "../../../lib/drift/offline.ts";
import { FluxError } from "../../../lib/errors.ts";
import { trainModel } from "../../../lib/training/train_model.ts";
import { Rng, uniformModel, uniformRows } from "../../support/drift.ts";

/** The artifact with `patch` applied and its checksum made to match again. */
function resealed(artifact: ModelArtifact, patch: Record<string, unknown>): string {
  const { sha256: _, ...rest } = { ...artifact, ...patch } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete rest[k];
  return JSON.stringify({ ...rest, sha256: sha256Hex(canonicalJson(rest)) });
}

Deno.test("trainModel() records the training class frequencies in class order", async () => {
  const { artifact } = await trainModel({ params: { n_estimators: 3 }, workers: 0 });
  const f = artifact.class_frequencies!;
  assert.equal(f.length, artifact.classes.length);
  assert.ok(Math.abs(f.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  const reloaded = parseModel(serializeModel(artifact));
  assert.deepEqual(reloaded.artifact.class_frequencies, f);
});

Deno.test("classFrequencies() counts the share of each class index", () => {
  assert.deepEqual(classFrequencies(Int32Array.of(0, 2, 2, 2), 3), [0.25, 0, 0.75]);
  assert.deepEqual(classFrequencies(new Int32Array(0), 2), [0, 0]);
});

Deno.test("a model without class frequencies loads, and its prediction drift says why it is unavailable", () => {
  const model = uniformModel({ nFeatures: 3, classFrequencies: [0.4, 0.6] });
  const old = parseModel(resealed(model.artifact, { class_frequencies: undefined }));
  assert.equal(old.artifact.class_frequencies, undefined);
  const r = driftOfRows(old, uniformRows(new Rng(3), 50, 3), 50, { data: "d" });
  assert.equal(r.prediction.available, false);
  assert.match(
    (r.prediction as { reason: string }).reason,
    /no training class frequencies .* retrain it for prediction drift/,
  );
  const current = driftOfRows(model, uniformRows(new Rng(3), 50, 3), 50, { data: "d" });
  assert.equal(current.prediction.available, true);
});

const BAD: [string, unknown][] = [
  ["a string", "0.5,0.5"],
  ["one fraction for two classes", [1]],
  ["fractions that sum to 0.9", [0.4, 0.5]],
  ["a negative fraction", [-0.5, 1.5]],
  ["a fraction that is not a number", [0.5, "0.5"]],
];
for (const [what, value] of BAD) {
  Deno.test(`parseModel() refuses class_frequencies of ${what}`, () => {
    const model = uniformModel({ nFeatures: 2 });
    assert.throws(
      () => parseModel(resealed(model.artifact, { class_frequencies: value })),
      (err: unknown) => {
        assert.ok(err instanceof FluxError);
        assert.equal(err.code, "invalid_model");
        assert.match(err.message, /class_frequencies must hold 2 fractions \(one per class\)/);
        return true;
      },
    );
  });
}
