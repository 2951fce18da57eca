import assert from "node:assert/strict";
import { makeClassification } from "../../../lib/data/make_classification.ts";
import { InvalidInput } from "../../../lib/errors.ts";
import {
  countSplits,
  ForestSize,
  MAX_STRING_CHARS,
  RESERVED_CHARS,
} from "../../../lib/forest/forest_size.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import { encodeForest } from "../../../lib/model/forest_codec.ts";

Deno.test("ForestSize counts exactly the characters encodeForest writes for the arrays", () => {
  for (const nClasses of [2, 3]) {
    const ds = makeClassification({
      nSamples: 400,
      nFeatures: 6,
      nInformative: 3,
      nClasses,
      seed: 7,
    });
    const forest = trainForest({ ...ds, nClasses: ds.classes.length }, {
      n_estimators: 7,
      seed: 3,
    });
    const size = new ForestSize(forest.treeOffsets.length - 1);
    for (let t = 0; t + 1 < forest.treeOffsets.length; t++) {
      const from = forest.treeOffsets[t]!;
      const to = forest.treeOffsets[t + 1]!;
      const feature = forest.feature.subarray(from, to);
      const leaves = feature.length - countSplits(feature);
      size.add(feature.length, countSplits(feature), leaves * nClasses);
    }
    const e = encodeForest(forest);
    const written = e.tree_offsets.length + e.feature.length + e.threshold.length +
      e.right.length + e.leaf_values.length;
    assert.equal(size.chars(), written);
  }
});

Deno.test("ForestSize refuses a forest whose model.json would pass V8's longest string", () => {
  const size = new ForestSize(100);
  // ~60M nodes: what 100 fully grown trees on 10M rows hold.
  size.add(60_000_000, 30_000_000, 60_000_000);
  assert.throws(
    () => size.check(),
    (err: unknown) =>
      err instanceof InvalidInput &&
      err.message.startsWith(
        "the forest is too large for model.json: after 1 of 100 trees it has 60,000,000 nodes",
      ) && err.message.includes("bound the trees (max_depth, min_samples_leaf)"),
  );
});

Deno.test("ForestSize accepts a forest right up to the limit and refuses the next leaves", () => {
  const room = MAX_STRING_CHARS - RESERVED_CHARS;
  const fixed = new ForestSize(1).chars(); // the tree offsets alone
  // 3 leaf values are 12 bytes, 16 base64 characters.
  const groups = Math.floor((room - fixed) / 16);
  const atLimit = new ForestSize(1);
  atLimit.add(0, 0, 3 * groups);
  assert.equal(atLimit.chars(), fixed + 16 * groups);
  atLimit.check();
  const over = new ForestSize(1);
  over.add(0, 0, 3 * (groups + 1));
  assert.throws(() => over.check(), InvalidInput);
});
