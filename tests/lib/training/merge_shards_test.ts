import assert from "node:assert/strict";
import { join } from "node:path";
import { trainForest } from "../../../lib/forest/train.ts";
import { encodeForest } from "../../../lib/model/forest_codec.ts";
import { mergeShardFolders, shardFoldersIn } from "../../../lib/training/merge_shards.ts";
import { SHARD_FILE, ShardMismatch, trainShard } from "../../../lib/training/shard.ts";
import { loadTrainingSets, trainModel, writeModelDir } from "../../../lib/training/train_model.ts";
import { withTempDir } from "../../support/fixtures.ts";

const PARAMS = { n_estimators: 6, seed: 7 };

async function writeShards(dir: string, n: number, data?: string): Promise<string[]> {
  const sets = await loadTrainingSets({ data }, PARAMS.seed);
  const out: string[] = [];
  for (let k = 1; k <= n; k++) {
    const shard = await trainShard({
      spec: { k, n },
      train: sets.train,
      params: PARAMS,
      testSize: 0.2,
      data: sets.lineage,
      workers: 0,
    });
    const folder = join(dir, "shards", `s${k}`);
    await writeModelDir(
      folder,
      new Map([[SHARD_FILE, new TextEncoder().encode(JSON.stringify(shard))]]),
    );
    out.push(folder);
  }
  return out;
}

Deno.test("mergeShardFolders() makes the unsharded training's model: forest, metrics and lineage", async () => {
  await withTempDir(async (dir) => {
    const folders = await writeShards(dir, 3);
    assert.deepEqual(await shardFoldersIn(join(dir, "shards")), folders);
    const { result, shards } = await mergeShardFolders(folders, { build: { ci_job_id: "1" } });
    const whole = await trainModel({ params: PARAMS, workers: 0 });
    assert.equal(shards, 3);
    assert.deepEqual(result.artifact.forest, whole.artifact.forest);
    assert.deepEqual(result.artifact.metrics, whole.artifact.metrics);
    assert.deepEqual(result.artifact.data, whole.artifact.data);
    assert.deepEqual(result.artifact.build, { ci_job_id: "1" });
    const sets = await loadTrainingSets({}, PARAMS.seed);
    assert.deepEqual(
      encodeForest(trainForest({ ...sets.train, nClasses: 2 }, PARAMS)),
      result.artifact.forest,
    );
  });
});

Deno.test("mergeShardFolders() refuses changed data, and shardFoldersIn() a folder without shards", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "d.csv");
    const rows = (seed: number) =>
      ["a,b,y", ...Array.from({ length: 60 }, (_, i) => `${(i * seed) % 17},${i % 5},${i % 2}`)]
        .join("\n") + "\n";
    await Deno.writeTextFile(data, rows(3));
    const folders = await writeShards(dir, 2, data);
    await Deno.writeTextFile(data, rows(5));
    await assert.rejects(
      mergeShardFolders(folders),
      (e: unknown) => e instanceof ShardMismatch && /the data changed since/.test(e.message),
    );
    await assert.rejects(
      mergeShardFolders(folders, { data: join(dir, "missing.csv") }),
      /missing\.csv: not found/,
    );
    await assert.rejects(shardFoldersIn(dir), /holds no shard folder/);
    await assert.rejects(shardFoldersIn(join(dir, "nope")), /cannot list shards/);
    await assert.rejects(mergeShardFolders([join(dir, "nope")]), /no such shard file/);
  });
});
