import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import type { Dataset, Label } from "../../../lib/data/dataset.ts";
import { seedWorkload } from "../../../lib/data/make_classification.ts";
import { type SplitOptions, stratifiedSplit, subset } from "../../../lib/data/split.ts";

/** A dataset whose single feature is the row number, with `y` as given. */
function numbered(y: number[], classes: Label[] = ["a", "b", "c"]): Dataset {
  return {
    featureNames: ["row"],
    target: "label",
    nRows: y.length,
    nFeatures: 1,
    x: Float64Array.from(y, (_, i) => i),
    y: Int32Array.from(y),
    classes,
  };
}

function rowsOf(ds: Dataset): number[] {
  return [...ds.x];
}

function classCounts(ds: Dataset): number[] {
  const c = ds.classes.map(() => 0);
  for (const k of ds.y) c[k]!++;
  return c;
}

Deno.test("stratifiedSplit() puts round(testSize * count) of each class in the test set", () => {
  const y = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(7).fill(2)];
  const { train, test } = stratifiedSplit(numbered(y), { testSize: 0.2, seed: 1 });
  assert.deepEqual(classCounts(test), [10, 6, 1]);
  assert.deepEqual(classCounts(train), [40, 24, 6]);
  assert.equal(train.nRows + test.nRows, 87);
  assert.deepEqual(train.classes, ["a", "b", "c"]);
  assert.deepEqual(test.featureNames, ["row"]);
  assert.equal(test.target, "label");
});

Deno.test("stratifiedSplit() sides are disjoint, cover every row and keep rows intact", () => {
  const ds = seedWorkload();
  const { train, test } = stratifiedSplit(ds);
  assert.equal(train.nRows, 800);
  assert.equal(test.nRows, 200);
  const key = (d: Dataset, r: number) => `${[...d.x.subarray(r * 10, r * 10 + 10)]}|${d.y[r]}`;
  const all = Array.from({ length: ds.nRows }, (_, r) => key(ds, r)).sort();
  const parts = [
    ...Array.from({ length: train.nRows }, (_, r) => key(train, r)),
    ...Array.from({ length: test.nRows }, (_, r) => key(test, r)),
  ].sort();
  assert.deepEqual(parts, all);
});

Deno.test("stratifiedSplit() keeps the original row order within each side", () => {
  const y = Array.from({ length: 40 }, (_, i) => i % 2);
  const { train, test } = stratifiedSplit(numbered(y, [0, 1]));
  for (const side of [train, test]) {
    const rows = rowsOf(side);
    assert.deepEqual(rows, [...rows].sort((a, b) => a - b));
  }
});

Deno.test("stratifiedSplit() is deterministic for a seed and differs across seeds", () => {
  const y = Array.from({ length: 100 }, (_, i) => i % 3);
  const a = stratifiedSplit(numbered(y), { seed: 5 });
  const b = stratifiedSplit(numbered(y), { seed: 5 });
  const c = stratifiedSplit(numbered(y), { seed: 6 });
  assert.deepEqual(rowsOf(a.test), rowsOf(b.test));
  assert.deepEqual(rowsOf(a.train), rowsOf(b.train));
  assert.notDeepEqual(rowsOf(a.test), rowsOf(c.test));
});

Deno.test("stratifiedSplit() keeps at least one row of a class on each side", () => {
  const y = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2];
  const small = stratifiedSplit(numbered(y), { testSize: 0.01 });
  assert.deepEqual(classCounts(small.test), [1, 1, 0]);
  assert.deepEqual(classCounts(small.train), [1, 17, 1]);
  const large = stratifiedSplit(numbered(y), { testSize: 0.99 });
  assert.deepEqual(classCounts(large.train), [1, 1, 0]);
  assert.deepEqual(classCounts(large.test), [1, 17, 1]);
});

Deno.test("stratifiedSplit() rejects a bad testSize or a split with an empty side", () => {
  const two = numbered([0, 0, 1, 1], [0, 1]);
  const singletons = numbered([0, 1, 2]);
  const cases: [Dataset, SplitOptions, string][] = [
    [two, { testSize: 0 }, "testSize must be in (0, 1), got 0"],
    [two, { testSize: 1 }, "testSize must be in (0, 1), got 1"],
    [two, { testSize: -0.2 }, "testSize must be in (0, 1), got -0.2"],
    [two, { testSize: NaN }, "testSize must be in (0, 1), got NaN"],
    [singletons, { testSize: 0.2 }, "testSize 0.2 leaves the test set empty (3 rows)"],
    [singletons, { testSize: 0.6 }, "testSize 0.6 leaves the training set empty (3 rows)"],
    [two, { seed: 1.5 }, "seed must be a safe integer, got 1.5"],
  ];
  for (const [ds, opts, message] of cases) {
    assert.throws(() => stratifiedSplit(ds, opts), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.code, "invalid_input");
      assert.equal(err.message, message);
      return true;
    });
  }
});

Deno.test("subset() returns the given rows in order, repeats included", () => {
  const ds = numbered([0, 1, 2, 0, 1]);
  const s = subset(ds, Int32Array.from([4, 0, 4]));
  assert.equal(s.nRows, 3);
  assert.deepEqual(rowsOf(s), [4, 0, 4]);
  assert.deepEqual([...s.y], [1, 0, 1]);
  assert.deepEqual(s.classes, ds.classes);
  assert.equal(subset(ds, new Int32Array(0)).nRows, 0);
});

Deno.test("subset() rejects a row index out of range and leaves the dataset unchanged", () => {
  const ds = numbered([0, 1, 2]);
  for (
    const [rows, message] of [[[0, 3], "rows[1]: 3 is out of range 0..2"], [
      [-1],
      "rows[0]: -1 is out of range 0..2",
    ]] as const
  ) {
    assert.throws(() => subset(ds, Int32Array.from(rows)), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.message, message);
      return true;
    });
  }
  assert.deepEqual(rowsOf(ds), [0, 1, 2]);
});
