import assert from "node:assert/strict";
import { predictClass, predictProba } from "../../../lib/forest/predict.ts";
import { nextDown, trainMlRandomForest } from "../../../lib/forest/ml_random_forest.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";

Deno.test("the ml-random-forest engine and the native engine agree on easy data", () => {
  const ds = easyData(2, 200);
  const data = asTraining(ds);
  const ml = predictClass(trainMlRandomForest(data, { n_estimators: 5, seed: 1 }), ds.x, ds.nRows);
  const native = predictClass(trainForest(data, { n_estimators: 5, seed: 1 }), ds.x, ds.nRows);
  let agree = 0;
  for (let i = 0; i < ds.nRows; i++) if (ml[i] === native[i]) agree++;
  assert.ok(agree / ds.nRows >= 0.95, `agreement ${agree / ds.nRows}`);
});

Deno.test("the ml-random-forest engine converts multiclass trees into a valid compact forest", () => {
  const ds = easyData(3, 150);
  const progress: number[] = [];
  const forest = trainMlRandomForest(
    asTraining(ds),
    { n_estimators: 3, max_depth: 4 },
    (done) => progress.push(done),
  );
  assert.deepEqual(progress, [1, 2, 3]);
  assert.equal(forest.treeOffsets.length, 4);
  const proba = predictProba(forest, ds.x, ds.nRows);
  for (let i = 0; i < ds.nRows; i++) {
    const sum = proba[i * 3]! + proba[i * 3 + 1]! + proba[i * 3 + 2]!;
    assert.ok(Math.abs(sum - 1) < 1e-9, `row ${i} sums to ${sum}`);
  }
  const imp = forest.importances.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(imp - 1) < 1e-9);
});

Deno.test("the ml-random-forest engine is deterministic for a seed", () => {
  const data = asTraining(easyData(2, 120));
  assert.deepEqual(
    trainMlRandomForest(data, { n_estimators: 2, seed: 5 }),
    trainMlRandomForest(data, { n_estimators: 2, seed: 5 }),
  );
});

Deno.test("nextDown() gives the largest double below a value, so x < v becomes x <= t", () => {
  for (const v of [1, -1, 0.1, 1e300, -3.5, 5e-324]) {
    const t = nextDown(v);
    assert.ok(t < v);
    const mid = t / 2 + v / 2; // no double lies strictly between t and v
    assert.ok(mid === t || mid === v);
  }
  assert.equal(nextDown(0), -Number.MIN_VALUE);
  assert.equal(nextDown(Infinity), Infinity);
  assert.equal(nextDown(1), 1 - Number.EPSILON / 2);
});
