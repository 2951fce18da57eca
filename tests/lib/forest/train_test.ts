import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import { treeCount } from "../../../lib/forest/forest.ts";
import { predictClass, predictProba } from "../../../lib/forest/predict.ts";
import { prepare } from "../../../lib/forest/prepare.ts";
import { assembleForest, presortFrom, trainForest, trainTree } from "../../../lib/forest/train.ts";
import { type ForestParams, resolveParams } from "../../../lib/forest/params.ts";
import { makeClassification, SEED_WORKLOAD } from "../../../lib/data/make_classification.ts";
import type { TrainingData } from "../../../lib/forest/prepare.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";
import { forestDigest } from "../../support/forest_digest.ts";

function accuracy(pred: Int32Array, y: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) hits++;
  return hits / y.length;
}

Deno.test("trainForest() learns well-separated data almost perfectly", () => {
  const ds = easyData(2, 400);
  const forest = trainForest(asTraining(ds), { n_estimators: 20, seed: 1 });
  assert.equal(treeCount(forest), 20);
  assert.ok(accuracy(predictClass(forest, ds.x, ds.nRows), ds.y) > 0.97);
});

Deno.test("trainForest() is deterministic for a seed and differs across seeds", () => {
  const data = asTraining(easyData(3, 200));
  const a = trainForest(data, { n_estimators: 5, seed: 3 });
  const b = trainForest(data, { n_estimators: 5, seed: 3 });
  const c = trainForest(data, { n_estimators: 5, seed: 4 });
  assert.deepEqual(a, b);
  assert.deepEqual(predictProba(a, data.x, data.nRows), predictProba(b, data.x, data.nRows));
  assert.notDeepEqual(a.threshold, c.threshold);
});

Deno.test("trainTree() gives the same tree whatever order trees are trained in", () => {
  const data = prepare(asTraining(easyData(2, 150)));
  const params = resolveParams({ seed: 9 });
  const late = trainTree(data, params, 7);
  trainTree(data, params, 2);
  assert.deepEqual(trainTree(data, params, 7), late);
});

Deno.test("predictProba() rows are probabilities that sum to 1", () => {
  const ds = easyData(4, 300);
  const forest = trainForest(asTraining(ds), { n_estimators: 15, max_depth: 3 });
  const proba = predictProba(forest, ds.x, ds.nRows);
  for (let i = 0; i < ds.nRows; i++) {
    let sum = 0;
    for (let c = 0; c < 4; c++) {
      const p = proba[i * 4 + c]!;
      assert.ok(p >= 0 && p <= 1);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-12, `row ${i} sums to ${sum}`);
  }
});

Deno.test("trainForest() respects max_depth and min_samples_leaf", () => {
  const ds = easyData(2, 300);
  const stump = trainForest(asTraining(ds), { n_estimators: 3, max_depth: 1 });
  assert.equal(stump.feature.length, 9); // each tree: a root and two leaves
  const coarse = trainForest(asTraining(ds), {
    n_estimators: 3,
    min_samples_leaf: 40,
    bootstrap: false,
  });
  // With every row weighted once, each leaf must hold at least 40 rows of the 300.
  const leaves = coarse.feature.filter((f) => f < 0).length;
  assert.ok(leaves <= 3 * Math.floor(300 / 40), `${leaves} leaves`);
});

Deno.test("feature importances are non-negative and sum to 1", () => {
  const ds = easyData(2, 400);
  const forest = trainForest(asTraining(ds), { n_estimators: 30 });
  const sum = forest.importances.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9);
  assert.ok(forest.importances.every((v) => v >= 0));
});

Deno.test("trainForest() splits on the midpoint between distinct values", () => {
  const data = {
    nRows: 6,
    nFeatures: 1,
    nClasses: 2,
    x: new Float64Array([1, 2, 3, 10, 11, 12]),
    y: new Int32Array([0, 0, 0, 1, 1, 1]),
  };
  const forest = trainForest(data, { n_estimators: 1, bootstrap: false });
  assert.equal(forest.feature[0], 0);
  assert.equal(forest.threshold[0], 6.5);
  assert.deepEqual(
    Array.from(predictClass(forest, new Float64Array([6.5, 6.6, -100, 100]), 4)),
    [0, 1, 0, 1],
  );
});

Deno.test("trainForest() handles constant features, ties and a single class region", () => {
  const data = {
    nRows: 8,
    nFeatures: 3,
    nClasses: 2,
    x: new Float64Array([
      ...[5, 0, 1],
      ...[5, 0, 1],
      ...[5, 1, 1],
      ...[5, 1, 2],
      ...[5, 2, 2],
      ...[5, 2, 2],
      ...[5, -0, 1],
      ...[5, 3, 2],
    ]),
    y: new Int32Array([0, 0, 0, 1, 1, 1, 0, 1]),
  };
  const forest = trainForest(data, { n_estimators: 10, max_features: "all" });
  assert.equal(forest.importances[0], 0); // constant features never split
  assert.equal(accuracy(predictClass(forest, data.x, 8), data.y), 1);
});

Deno.test("trainForest() uses the sorting path on wide-ranged continuous features", () => {
  const n = 400;
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[i * 2] = Math.sin(i * 12.9898) * 43758.5453; // many distinct values
    x[i * 2 + 1] = (i * 7919) % 1000;
    y[i] = x[i * 2]! > 0 ? 1 : 0;
  }
  const forest = trainForest({ nRows: n, nFeatures: 2, nClasses: 2, x, y }, { n_estimators: 5 });
  assert.ok(accuracy(predictClass(forest, x, n), y) > 0.99);
});

Deno.test("trainForest() gives the pinned forests of the engine before presorting", () => {
  // Digests of forests trained by the engine that sorted every node (commit 660aa4e); the
  // presorted engine must reproduce them byte for byte.
  const seed = asTraining(makeClassification(SEED_WORKLOAD));
  assert.equal(forestDigest(trainForest(seed, { n_estimators: 8 })), "e8ee9e2151927304");
  const noisy = asTraining(
    makeClassification({ ...SEED_WORKLOAD, nSamples: 5000, nClasses: 4, flipY: 0.1, seed: 3 }),
  );
  assert.equal(forestDigest(trainForest(noisy, { n_estimators: 8 })), "39a96ceff72c6537");
});

/** Coarse values with many ties, a constant column and negative zeros. */
function tiedData(): TrainingData {
  const n = 700;
  const x = new Float64Array(n * 4);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[i * 4] = ((i * 7919) % 13) / 2 - 3;
    x[i * 4 + 1] = (i * 31) % 5 === 0 ? -0 : ((i * 104729) % 7) - 3;
    x[i * 4 + 2] = 1;
    x[i * 4 + 3] = Math.sin(i) * 1e6;
    y[i] = ((x[i * 4]! + x[i * 4 + 1]! > 0 ? 1 : 0) + (i % 11 === 0 ? 2 : 0)) % 3;
  }
  return { nRows: n, nFeatures: 4, x, y, nClasses: 3 };
}

const pathCases: [string, TrainingData, Partial<ForestParams>][] = [
  ["continuous values", asTraining(easyData(2, 600)), {}],
  ["three classes and min_samples_leaf", asTraining(easyData(3, 600)), { min_samples_leaf: 3 }],
  ["ties, a constant feature and -0", tiedData(), { max_features: "all" }],
  ["no bootstrap and max_depth", tiedData(), { bootstrap: false, max_depth: 6 }],
];
for (const [what, training, given] of pathCases) {
  Deno.test(`trainTree() grows the same tree presorted or sorting per node: ${what}`, () => {
    const data = prepare(training);
    const params = resolveParams({ seed: 5, ...given });
    for (let t = 0; t < 4; t++) {
      const sorting = trainTree(data, params, t, { presortFrom: 2 ** 21 });
      assert.deepEqual(trainTree(data, params, t, { presortFrom: 2 }), sorting);
      assert.deepEqual(trainTree(data, params, t, { presortFrom: 64 }), sorting);
      assert.deepEqual(trainTree(data, params, t), sorting);
    }
  });
}

Deno.test("trainTree() rejects a presortFrom that is not an integer >= 2", () => {
  const data = prepare(asTraining(easyData(2, 50)));
  for (const bad of [0, 1, 2.5, NaN]) {
    assert.throws(
      () => trainTree(data, resolveParams({}), 0, { presortFrom: bad }),
      (err: unknown) => err instanceof InvalidInput && /^presortFrom: /.test(err.message),
    );
  }
});

Deno.test("presortFrom() presorts large nodes of many distinct values, never few-valued ones", () => {
  assert.equal(presortFrom(1_000_000, 10, 3, 2, 1_000_000), 16);
  assert.equal(presortFrom(1437, 64, 8, 10, 12), 2 ** 21); // digits: 0..16 pixel values
  assert.ok(presortFrom(455, 30, 5, 2, 450) <= 256);
  assert.equal(presortFrom(10_000_000, 500, 22, 2, 10_000_000), 2 ** 21);
});

Deno.test("assembleForest() keeps trees in the order given", () => {
  const data = prepare(asTraining(easyData(2, 100)));
  const params = resolveParams({ seed: 2 });
  const trees = [0, 1, 2].map((t) => trainTree(data, params, t));
  const forest = assembleForest(trees, 6, 2);
  assert.equal(forest.treeOffsets[1], trees[0]!.feature.length);
  assert.deepEqual(forest.feature.subarray(0, trees[0]!.feature.length), trees[0]!.feature);
});

const badData: [string, Record<string, unknown>, RegExp][] = [
  ["no rows", { nRows: 0, x: new Float64Array(0), y: new Int32Array(0) }, /at least one row/],
  ["short x", { x: new Float64Array(3) }, /x has 3 values, expected 4/],
  ["short y", { y: new Int32Array(1) }, /y has 1 labels, expected 2/],
  ["label out of range", { y: new Int32Array([0, 5]) }, /y\[1\] = 5/],
  ["non-finite value", { x: new Float64Array([1, NaN, 2, 3]) }, /row 0, feature 1: NaN/],
];
for (const [what, patch, message] of badData) {
  Deno.test(`trainForest() rejects training data with ${what}`, () => {
    const data = {
      nRows: 2,
      nFeatures: 2,
      nClasses: 2,
      x: new Float64Array([1, 2, 3, 4]),
      y: new Int32Array([0, 1]),
      ...patch,
    };
    assert.throws(() => trainForest(data as never), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.code, "invalid_input");
      assert.match(err.message, message);
      return true;
    });
  });
}
