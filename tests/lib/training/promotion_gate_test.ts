import assert from "node:assert/strict";
import { join } from "node:path";
import { FsBackend } from "../../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../../lib/store/registry.ts";
import {
  gateBeforePromotion,
  PromotionRefused,
  recordedEvalRows,
  runPromotionGate,
} from "../../../lib/training/promotion_gate.ts";
import { modelFiles, trainModel, writeModelDir } from "../../../lib/training/train_model.ts";
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

Deno.test("the gate reads a candidate folder, an eval file or given rows, and asks for --data when nothing is recorded", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "d.csv");
    const evalPath = join(dir, "e.csv");
    const rows = (n: number, k: number) =>
      [
        "a,b,y",
        ...Array.from({ length: n }, (_, i) =>
          `${(i * k) % 23},${i % 7},${(i * k) % 23 > 11 ? 1 : 0}`),
      ]
        .join("\n") + "\n";
    await Deno.writeTextFile(data, rows(120, 5));
    await Deno.writeTextFile(evalPath, rows(40, 3));
    const trained = await trainModel({
      data,
      eval: evalPath,
      params: { n_estimators: 3 },
      workers: 0,
    });
    const { rows: evalRows, source } = await recordedEvalRows(trained.artifact);
    assert.equal(evalRows.nRows, 40);
    assert.equal(source, evalPath);
    const { data: _d, ...old } = trained.artifact;
    await assert.rejects(
      recordedEvalRows(old as typeof trained.artifact),
      /records no evaluation data \(made before lineage\): give --data/,
    );
    const folder = join(dir, "candidate");
    await writeModelDir(folder, modelFiles(trained));
    const registry = new ModelRegistry(new FsBackend(join(dir, "store")));
    const r = await runPromotionGate({ registry, candidate: folder, data, metric: "f1" });
    assert.equal(r.accepted, true);
    assert.equal(r.rows, 120);
    assert.equal(r.data, data);
    assert.match(r.message, /no champion yet \(alias production is not set\)/);
  });
});
