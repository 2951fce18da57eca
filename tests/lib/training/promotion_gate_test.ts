import assert from "node:assert/strict";
import { join } from "node:path";
import { FsBackend } from "../../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../../lib/store/registry.ts";
import {
  gateBeforePromotion,
  PromotionRefused,
  recordedEvalRows,
} from "../../../lib/training/promotion_gate.ts";
import { modelFiles, trainModel } from "../../../lib/training/train_model.ts";
import { withTempDir } from "../../support/fixtures.ts";

Deno.test("gateBeforePromotion() refuses a worse version, accepts an equal one, and --force skips it, logged", async () => {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(join(dir, "store")));
    const strong = await trainModel({ params: { n_estimators: 15 }, workers: 0 });
    const weak = await trainModel({ params: { n_estimators: 1, max_depth: 1 }, workers: 0 });
    const vStrong = (await registry.publish(modelFiles(strong))).version;
    const vWeak = (await registry.publish(modelFiles(weak))).version;
    await registry.promote(vStrong, "production");
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const gate = (version: string, force = false) =>
      gateBeforePromotion({ registry, version, alias: "production", force, log });

    await assert.rejects(
      gate(vWeak),
      (err: unknown) =>
        err instanceof PromotionRefused && err.result.accepted === false &&
        /^promotion gate REFUSED: accuracy candidate .* vs champion .* \(--force skips the gate\)$/
          .test(err.message),
    );
    assert.equal((await gate(vStrong))?.accepted, true);
    assert.match(lines.at(-1)!, /^promotion gate: accepted: accuracy/);
    assert.equal(await gate(vWeak, true), undefined);
    assert.match(lines.at(-1)!, /skipped \(--force\): .* promoted to production unscored/);
  });
});

Deno.test("recordedEvalRows() gives back the very rows the training held out", async () => {
  const trained = await trainModel({ params: { n_estimators: 2 }, testSize: 0.25, workers: 0 });
  const { rows, source } = await recordedEvalRows(trained.artifact);
  assert.equal(rows.nRows, trained.metrics.n_test);
  assert.match(source, /seed:make_classification \(held out: test_size=0\.25, seed=42\)/);
});
