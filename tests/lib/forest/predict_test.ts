import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { makeClassification, seedWorkload } from "../../../lib/data/make_classification.ts";
import { Rng } from "../../../lib/data/random.ts";
import type { Forest } from "../../../lib/forest/forest.ts";
import { predictProba } from "../../../lib/forest/predict.ts";
import { referenceProba } from "../../../lib/forest/reference_walk.ts";
import { buildKernel } from "../../../lib/forest/scoring_kernel.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import { InvalidInput } from "../../../lib/errors.ts";

/** Asserts two probability arrays are identical bit for bit (NaN-free, so === per value). */
function assertSameBits(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let j = 0; j < want.length; j++) {
    if (!Object.is(got[j], want[j])) {
      assert.fail(`${what}: value ${j} is ${got[j]}, the reference walk gives ${want[j]}`);
    }
  }
}

/**
 * Rows that probe every edge of a forest: training rows, each threshold exactly (the `<=`
 * boundary), the next doubles either side of it, random values, zeros of both signs,
 * infinities and NaN.
 */
function probeRows(forest: Forest, base: Float64Array, n: number, rng: Rng): Float64Array {
  const p = forest.nFeatures;
  const splits: number[] = [];
  for (let i = 0; i < forest.feature.length; i++) if (forest.feature[i]! >= 0) splits.push(i);
  const x = new Float64Array(n * p);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e308, -1e308];
  for (let i = 0; i < n; i++) {
    const from = rng.int(base.length / p) * p;
    for (let j = 0; j < p; j++) {
      const r = rng.next();
      let v = base[from + j]!;
      if (r < 0.3 && splits.length > 0) {
        const node = splits[rng.int(splits.length)]!;
        const t = forest.threshold[node]!;
        const nudge = rng.int(3) - 1; // the threshold, or the double just below or above it
        v = nudge === 0 ? t : t + nudge * Math.max(Number.MIN_VALUE, Math.abs(t) * 2 ** -52);
      } else if (r < 0.35) {
        v = specials[rng.int(specials.length)]!;
      } else if (r < 0.5) {
        v = rng.normal() * 3;
      }
      x[i * p + j] = v;
    }
  }
  return x;
}

Deno.test("predictProba() gives bit for bit the reference walk's probabilities on random forests and rows", () => {
  const rng = new Rng(2026);
  for (let seed = 0; seed < 24; seed++) {
    const nClasses = 2 + rng.int(11);
    const nInformative = Math.max(4, Math.ceil(Math.log2(2 * nClasses)));
    const nFeatures = nInformative + rng.int(12);
    const ds = makeClassification({
      nSamples: 150 + rng.int(500),
      nFeatures,
      nInformative,
      nRedundant: 0,
      nClasses,
      flipY: rng.next() * 0.3,
      seed,
    });
    const params = {
      n_estimators: 1 + rng.int(30),
      seed,
      max_depth: rng.next() < 0.3 ? 1 + rng.int(6) : null,
      min_samples_leaf: rng.next() < 0.3 ? 1 + rng.int(8) : 1,
    };
    const forest = trainForest({ ...ds, nClasses }, params);
    // Row counts around the lanes (8) and past one block of rows.
    for (const n of [0, 1, 3, 7, 8, 9, 17, 1000 + rng.int(5000)]) {
      const x = probeRows(forest, ds.x, n, rng);
      assertSameBits(
        predictProba(forest, x, n),
        referenceProba(forest, x, n),
        `seed ${seed}, ${nClasses} classes, ${JSON.stringify(params)}, ${n} rows`,
      );
    }
  }
});

Deno.test("the kernel gives the reference walk's probabilities for any lane count and block size", () => {
  const ds = makeClassification({ nSamples: 400, nFeatures: 7, nInformative: 4, nClasses: 3 });
  const forest = trainForest({ ...ds, nClasses: 3 }, { n_estimators: 9, min_samples_leaf: 3 });
  const rng = new Rng(4);
  const n = 301;
  const x = probeRows(forest, ds.x, n, rng);
  const want = referenceProba(forest, x, n);
  for (const lanes of [1, 2, 4, 8, 16]) {
    for (const blockRows of [1, 4, 16, 100, 4096]) {
      const kernel = buildKernel(forest, { lanes, blockRows })!;
      const out = new Float64Array(n * 3);
      kernel.score(x, n, out);
      for (let j = 0; j < out.length; j++) out[j]! /= 9;
      assertSameBits(out, want, `${lanes} lanes, blocks of ${blockRows}`);
    }
  }
});

/** A forest written by hand: tree 0 is one leaf, tree 1 a lopsided chain, tree 2 mixed leaves. */
function handForest(): Forest {
  // Tree 0: node 0 leaf (pure class 2).
  // Tree 1: 1 split f0 <= 0 -> 2 leaf(c0) | 3 split f1 <= 5 -> 4 leaf(c1) | 5 split f0 <= 1
  //         -> 6 leaf(mixed) | 7 leaf(c2).
  // Tree 2: 8 split f1 <= -1 -> 9 leaf(mixed, one class at exactly 1 and a tiny other) | 10 leaf.
  const feature = Int32Array.from([-1, 0, -1, 1, -1, 0, -1, -1, 1, -1, -1]);
  const threshold = Float64Array.from([0, 0, 0, 5, 0, 1, 0, 0, -1, 0, 0]);
  const leaves = [
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 0],
    [0.25, 0.5, 0.25],
    [0, 0, 1],
    [1, 1e-300, 0],
    [0.1, 0.2, 0.7],
  ];
  const right = Int32Array.from([0, 3, 3, 5, 6, 7, 9, 12, 10, 15, 18]);
  return {
    nFeatures: 2,
    nClasses: 3,
    treeOffsets: Int32Array.from([0, 1, 8, 11]),
    feature,
    threshold,
    right,
    leafValues: Float64Array.from(leaves.flat()),
    importances: new Float64Array(2),
  };
}

Deno.test("predictProba() matches the reference walk on single-leaf trees, chains and nearly pure leaves", () => {
  const forest = handForest();
  const rows = [[0, 0], [0.5, 5], [0.5, 6], [2, 6], [-0, -1], [NaN, NaN], [Infinity, -Infinity]];
  const x = Float64Array.from(rows.flat());
  const got = predictProba(forest, x, rows.length);
  assertSameBits(got, referenceProba(forest, x, rows.length), "hand-built forest");
  // Row [0.5, 6]: tree 0 class 2; tree 1 reaches the mixed leaf; tree 2 the last leaf.
  assert.deepEqual(
    Array.from(got.subarray(6, 9)),
    [(0.25 + 0.1) / 3, (0.5 + 0.2) / 3, (1 + 0.25 + 0.7) / 3],
  );
});

Deno.test("predictProba() probabilities of the seed workload are pinned by digest", () => {
  const ds = seedWorkload();
  const forest = trainForest({ ...ds, nClasses: 2 }, { n_estimators: 50, seed: 3 });
  const rows = new Float64Array(5000 * ds.nFeatures);
  const rng = new Rng(11);
  for (let i = 0; i < rows.length; i++) rows[i] = ds.x[rng.int(ds.x.length)]! + rng.normal() * 0.01;
  const digest = (a: Float64Array) =>
    createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex")
      .slice(0, 16);
  // Computed with predictProba as it was before the kernel (commit 9aac091, the array walk).
  const pinned = "9f89940e60ee5cac";
  assert.equal(digest(referenceProba(forest, rows, 5000)), pinned);
  assert.equal(digest(predictProba(forest, rows, 5000)), pinned);
});

Deno.test("buildKernel() refuses a lane count that is not a power of two", () => {
  for (const lanes of [0, 3, 5, 12, 128]) {
    assert.throws(() => buildKernel(handForest(), { lanes }), RangeError);
  }
});

Deno.test("predictProba() rejects rows with the wrong number of values", () => {
  const forest = handForest();
  for (const [values, rows] of [[3, 1], [4, 1], [2, 2], [0, 1]] as const) {
    assert.throws(
      () => predictProba(forest, new Float64Array(values), rows),
      (e: unknown) => e instanceof InvalidInput && e.code === "invalid_input",
    );
  }
});
