import assert from "node:assert/strict";
import { InvalidModel } from "../../../lib/errors.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import { decodeForest, encodeForest } from "../../../lib/model/forest_codec.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";

const forest = trainForest(asTraining(easyData(3, 120)), { n_estimators: 3, max_depth: 4 });
const good = encodeForest(forest);

Deno.test("encodeForest() and decodeForest() round-trip the forest", () => {
  const back = decodeForest(JSON.parse(JSON.stringify(good)));
  assert.deepEqual(back.feature, forest.feature);
  assert.deepEqual(
    back.threshold,
    forest.threshold.map((t, i) => (forest.feature[i]! >= 0 ? t : 0)),
  );
  assert.deepEqual(back.right, forest.right);
  for (let i = 0; i < forest.leafValues.length; i++) {
    assert.ok(Math.abs(back.leafValues[i]! - forest.leafValues[i]!) < 1e-6);
  }
});

const i32 = (values: number[]) => new Uint8Array(new Int32Array(values).buffer).toBase64();
const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer).toBase64();

const broken: [string, Record<string, unknown> | null, RegExp][] = [
  ["not an object", null, /expected an object/],
  ["another encoding", { encoding: "hex" }, /encoding/],
  ["zero trees", { n_trees: 0 }, /n_trees/],
  ["one class", { n_classes: 1 }, /n_classes/],
  ["a non-string array", { feature: 5 }, /feature: expected a base64 string/],
  ["bad base64", { right: "!!!" }, /right: not valid base64/],
  ["a ragged array", { threshold: "AAAA" }, /threshold: 3 bytes is not a whole number/],
  ["offsets that do not add up", { tree_offsets: i32([0, 1]) }, /tree_offsets/],
  ["too few nodes", { n_nodes: 2, tree_offsets: i32([0, 1, 2, 2]) }, /tree 2 is empty|node arrays/],
  ["importances of the wrong length", { importances: [1] }, /importances/],
  [
    "a leaf that is not a frequency",
    { leaf_values: f32(Array(good.n_nodes * 3).fill(2)) },
    /not a frequency|count does not match/,
  ],
];
for (const [what, patch, message] of broken) {
  Deno.test(`decodeForest() refuses a forest with ${what}`, () => {
    const enc = patch === null ? null : { ...good, ...patch };
    assert.throws(() => decodeForest(enc), (err: unknown) => {
      assert.ok(err instanceof InvalidModel, String(err));
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("decodeForest() refuses a node whose feature is out of range", () => {
  const feature = new Int32Array(Uint8Array.fromBase64(good.feature).buffer);
  feature[0] = 99;
  assert.throws(
    () => decodeForest({ ...good, feature: new Uint8Array(feature.buffer).toBase64() }),
    /node 0 has an invalid feature or child/,
  );
  feature[0] = -7;
  assert.throws(
    () => decodeForest({ ...good, feature: new Uint8Array(feature.buffer).toBase64() }),
    /node 0 has feature -7/,
  );
});
