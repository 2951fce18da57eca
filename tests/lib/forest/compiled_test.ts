import assert from "node:assert/strict";
import { MAX_COMPILED_NODES } from "../../../lib/forest/compiled.ts";
import { predictProba } from "../../../lib/forest/predict.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import { Rng } from "../../../lib/data/random.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";

Deno.test("compiled trees give exactly the probabilities of the array walk", () => {
  for (const [classes, depth] of [[2, null], [4, 3], [3, null]] as const) {
    const ds = easyData(classes, 400, 11);
    const forest = trainForest(asTraining(ds), { n_estimators: 12, max_depth: depth });
    const walked = predictProba(forest, ds.x, ds.nRows, { compile: false });
    const compiled = predictProba(forest, ds.x, ds.nRows, { compile: true });
    assert.deepEqual(compiled, walked);
  }
});

Deno.test("trees too large to compile are walked, with the same result", () => {
  const n = 40_000;
  const rng = new Rng(5);
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  for (let i = 0; i < n; i++) y[i] = rng.int(2); // noise: trees grow very large
  const forest = trainForest({ nRows: n, nFeatures: 2, nClasses: 2, x, y }, { n_estimators: 2 });
  assert.ok(forest.treeOffsets[1]! > MAX_COMPILED_NODES);
  const rows = x.subarray(0, 5000 * 2);
  assert.deepEqual(
    predictProba(forest, rows, 5000, { compile: true }),
    predictProba(forest, rows, 5000, { compile: false }),
  );
});
