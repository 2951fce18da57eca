import assert from "node:assert/strict";
import { trainForest } from "../../../lib/forest/train.ts";
import { encodeForest } from "../../../lib/model/forest_codec.ts";
import { canonicalJson, sha256Hex } from "../../../lib/model/canonical.ts";
import { dataRecord, datasetSha256 } from "../../../lib/data/lineage.ts";
import {
  mergeShards,
  parseShard,
  parseShardSpec,
  type ShardFile,
  ShardMismatch,
  shardTrees,
  trainShard,
} from "../../../lib/training/shard.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";
import { forestDigest } from "../../support/forest_digest.ts";

const DATA = easyData(3, 240, 11);
const LINEAGE = { train: dataRecord("mem:easy", datasetSha256(DATA), DATA) };
const PARAMS = { n_estimators: 14, seed: 5, max_depth: 6 };

async function shards(n: number, params = PARAMS, workers = 0): Promise<ShardFile[]> {
  const out: ShardFile[] = [];
  for (let k = 1; k <= n; k++) {
    out.push(
      await trainShard({
        spec: { k, n },
        train: DATA,
        params,
        testSize: 0.2,
        data: LINEAGE,
        workers,
      }),
    );
  }
  return out;
}

const named = (files: ShardFile[]) => files.map((file, i) => ({ source: `s${i}`, file }));

/** A shard with some fields changed and its checksum made right again (a well-formed foreigner). */
function altered(s: ShardFile, change: Partial<Omit<ShardFile, "sha256">>): ShardFile {
  const { sha256: _, ...rest } = { ...s, ...change };
  return { ...rest, sha256: sha256Hex(canonicalJson(rest)) } as ShardFile;
}

Deno.test("parseShardSpec() rejects everything but K/N with 1 <= K <= N", () => {
  const bad = ["0/3", "4/3", "3", "1/0", "a/b", "-1/2", "1.5/3", "", "1/2/3"];
  for (const text of bad) {
    assert.throws(() => parseShardSpec(text), /--shard: expected K\/N/, text);
  }
  assert.deepEqual(parseShardSpec(" 3/7 "), { k: 3, n: 7 });
});

Deno.test("shardTrees() splits the tree indices into N disjoint parts that cover them all", () => {
  for (const n of [1, 2, 3, 7]) {
    const all = Array.from({ length: n }, (_, k) => shardTrees({ k: k + 1, n }, 20)).flat();
    assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  }
  assert.deepEqual(shardTrees({ k: 2, n: 3 }, 10), [1, 4, 7]);
});

for (const n of [1, 2, 3, 7]) {
  Deno.test(`merging ${n} shard(s) gives the unsharded forest bit for bit`, async () => {
    const whole = trainForest(asTraining(DATA), PARAMS);
    const files = await shards(n);
    // Any order of the shards merges to the same forest.
    const merged = mergeShards(named(files.reverse()));
    assert.equal(forestDigest(merged.forest), forestDigest(whole));
    assert.deepEqual(encodeForest(merged.forest), encodeForest(whole));
  });
}

Deno.test("shards trained on Web Workers merge to the forest trained on this thread", async () => {
  const whole = trainForest(asTraining(DATA), PARAMS);
  const merged = mergeShards(named(await shards(3, PARAMS, 2)));
  assert.equal(forestDigest(merged.forest), forestDigest(whole));
});

Deno.test("a shard survives its JSON round trip and a damaged one is refused", async () => {
  const [one] = await shards(1);
  const text = JSON.stringify(one);
  assert.deepEqual(parseShard(text, "s.json"), one);
  const tampered = text.replace(/"n_train":\d+/, '"n_train":1');
  assert.throws(() => parseShard(tampered, "s.json"), /s\.json: checksum mismatch/);
  assert.throws(() => parseShard("{", "s.json"), /s\.json: not valid JSON/);
  assert.throws(() => parseShard('{"format":"x"}', "s.json"), /format is "x"/);
});

Deno.test("a shard of a forest with fewer trees than shards is refused before training", async () => {
  await assert.rejects(
    trainShard({
      spec: { k: 5, n: 5 },
      train: DATA,
      params: { n_estimators: 3 },
      testSize: 0.2,
      data: LINEAGE,
      workers: 0,
    }),
    /has no tree 5 of 5/,
  );
});

Deno.test("mergeShards() refuses missing, duplicate and foreign shards, naming them", async () => {
  const three = await shards(3);
  const [a, b, c] = three as [ShardFile, ShardFile, ShardFile];
  const otherSeed = (await shards(3, { ...PARAMS, seed: 6 }))[2]!;
  const otherN = (await shards(2))[1]!;
  const cases: [string, ShardFile[], RegExp][] = [
    ["a missing shard", [a, c], /shard 2\/3 missing \(given: 1\/3, 3\/3\)/],
    ["two missing shards", [b], /shards 1\/3, 3\/3 missing/],
    ["a duplicate shard", [a, b, b, c], /shard 2\/3 is given twice: s1 and s2/],
    ["a shard of another seed", [a, b, otherSeed], /s2 does not belong with s0: seed 5 vs 6/],
    ["a shard of another N", [a, b, otherN], /s2 does not belong with s0: N 3 vs 2/],
    [
      "a shard of other data",
      [a, b, altered(c, { data: { train: { ...c.data.train, sha256: "0".repeat(64) } } })],
      /s2 does not belong with s0: training data sha256/,
    ],
    [
      "a shard of another target",
      [a, b, altered(c, { target: "other" })],
      new RegExp(`target "${DATA.target}" vs "other"`),
    ],
    [
      "a shard holding the wrong trees",
      [a, b, altered(c, { trees: b.trees })],
      /s2: holds trees \[1, 4, 7, 10, 13\], shard 3\/3 must hold \[2, 5, 8, 11\]/,
    ],
  ];
  for (const [what, given, message] of cases) {
    assert.throws(
      () => mergeShards(named(given)),
      (err: unknown) => err instanceof ShardMismatch && message.test(err.message),
      what,
    );
  }
});
