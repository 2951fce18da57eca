import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import type { Dataset } from "../../../lib/data/dataset.ts";
import {
  makeClassification,
  type MakeClassificationOptions,
  SEED_WORKLOAD,
  seedWorkload,
} from "../../../lib/data/make_classification.ts";

function column(ds: Dataset, j: number): number[] {
  return Array.from({ length: ds.nRows }, (_, r) => ds.x[r * ds.nFeatures + j]!);
}

function counts(ds: Dataset): number[] {
  const c = new Array<number>(ds.classes.length).fill(0);
  for (const k of ds.y) c[k]!++;
  return c;
}

/** Rank of a set of columns, by Gaussian elimination on their Gram matrix. */
function rank(cols: number[][]): number {
  const k = cols.length;
  const g = cols.map((a) => cols.map((b) => a.reduce((s, v, i) => s + v * b[i]!, 0)));
  const scale = Math.max(...g.map((row, i) => Math.abs(row[i]!)));
  let r = 0;
  for (let c = 0; c < k && r < k; c++) {
    let p = r;
    for (let i = r + 1; i < k; i++) if (Math.abs(g[i]![c]!) > Math.abs(g[p]![c]!)) p = i;
    if (Math.abs(g[p]![c]!) < 1e-9 * scale) continue;
    [g[r], g[p]] = [g[p]!, g[r]!];
    for (let i = r + 1; i < k; i++) {
      const f = g[i]![c]! / g[r]![c]!;
      for (let j = c; j < k; j++) g[i]![j]! -= f * g[r]![j]!;
    }
    r++;
  }
  return r;
}

Deno.test("makeClassification() returns the requested shape, names and classes", () => {
  const ds = makeClassification({ nSamples: 300, nFeatures: 7, nInformative: 3, nClasses: 3 });
  assert.equal(ds.nRows, 300);
  assert.equal(ds.nFeatures, 7);
  assert.equal(ds.x.length, 300 * 7);
  assert.equal(ds.y.length, 300);
  assert.deepEqual(ds.featureNames, ["f0", "f1", "f2", "f3", "f4", "f5", "f6"]);
  assert.equal(ds.target, "target");
  assert.deepEqual(ds.classes, [0, 1, 2]);
  assert.ok(ds.x.every(Number.isFinite));
  assert.ok(ds.y.every((k) => k >= 0 && k < 3));
});

Deno.test("makeClassification() defaults follow scikit-learn", () => {
  const ds = makeClassification();
  assert.equal(ds.nRows, 100);
  assert.equal(ds.nFeatures, 20);
  assert.deepEqual(ds.classes, [0, 1]);
});

Deno.test("makeClassification() is deterministic for a seed and differs across seeds", () => {
  const opts: MakeClassificationOptions = { nSamples: 200, nFeatures: 6, nInformative: 3, seed: 1 };
  const a = makeClassification(opts);
  const b = makeClassification(opts);
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  const c = makeClassification({ ...opts, seed: 2 });
  assert.notDeepEqual(a.x, c.x);
});

Deno.test("makeClassification() splits rows evenly over clusters and so over classes", () => {
  const ds = makeClassification({
    nSamples: 1001,
    nFeatures: 4,
    nInformative: 3,
    nRedundant: 0,
    nClasses: 3,
    nClustersPerClass: 2,
    flipY: 0,
  });
  // 6 clusters of 166 rows, the first five with one more: classes 0 and 1 get 2 of those.
  assert.deepEqual(counts(ds), [334, 334, 333]);
});

Deno.test("makeClassification() flipY redraws about that fraction of labels", () => {
  const base = { nSamples: 4000, nFeatures: 5, nInformative: 3, shuffle: false } as const;
  const clean = makeClassification({ ...base, flipY: 0 });
  const noisy = makeClassification({ ...base, flipY: 0.5 });
  assert.deepEqual(clean.x, noisy.x);
  const changed = clean.y.reduce((n, k, i) => n + (k !== noisy.y[i] ? 1 : 0), 0);
  // Half the labels are redrawn and half of those land on the other class.
  assert.ok(Math.abs(changed / 4000 - 0.25) < 0.03, `changed ${changed}`);
});

Deno.test("makeClassification() redundant features are linear combinations of informative ones", () => {
  const ds = makeClassification({
    nSamples: 500,
    nFeatures: 8,
    nInformative: 3,
    nRedundant: 2,
    shuffle: false,
  });
  const cols = Array.from({ length: 8 }, (_, j) => column(ds, j));
  assert.equal(rank(cols.slice(0, 3)), 3);
  assert.equal(rank(cols.slice(0, 5)), 3);
  assert.equal(rank(cols), 6);
  for (const j of [5, 6, 7]) {
    const c = cols[j]!;
    const mean = c.reduce((s, v) => s + v, 0) / c.length;
    const variance = c.reduce((s, v) => s + (v - mean) ** 2, 0) / c.length;
    assert.ok(Math.abs(mean) < 0.15 && Math.abs(variance - 1) < 0.2, `f${j}: ${mean} ${variance}`);
  }
});

Deno.test("makeClassification() classSep separates the classes", () => {
  const opts = {
    nSamples: 1000,
    nFeatures: 2,
    nInformative: 2,
    nRedundant: 0,
    nClustersPerClass: 1,
    flipY: 0,
  } as const;
  function centroidAccuracy(ds: Dataset): number {
    const sums = [[0, 0], [0, 0]];
    const n = counts(ds);
    for (let r = 0; r < ds.nRows; r++) {
      sums[ds.y[r]!]![0]! += ds.x[2 * r]! / n[ds.y[r]!]!;
      sums[ds.y[r]!]![1]! += ds.x[2 * r + 1]! / n[ds.y[r]!]!;
    }
    let right = 0;
    for (let r = 0; r < ds.nRows; r++) {
      const d = sums.map(([a, b]) => (ds.x[2 * r]! - a!) ** 2 + (ds.x[2 * r + 1]! - b!) ** 2);
      if ((d[0]! < d[1]! ? 0 : 1) === ds.y[r]) right++;
    }
    return right / ds.nRows;
  }
  assert.ok(centroidAccuracy(makeClassification({ ...opts, classSep: 10 })) > 0.99);
  assert.ok(centroidAccuracy(makeClassification({ ...opts, classSep: 0 })) < 0.7);
});

Deno.test("makeClassification() shuffle permutes rows and columns of the same data", () => {
  const opts = { nSamples: 120, nFeatures: 6, nInformative: 2, seed: 4 } as const;
  const plain = makeClassification({ ...opts, shuffle: false });
  const shuffled = makeClassification({ ...opts, shuffle: true });
  assert.notDeepEqual(plain.x, shuffled.x);
  const rows = (ds: Dataset) =>
    Array.from({ length: ds.nRows }, (_, r) => {
      const values = [...ds.x.subarray(r * 6, r * 6 + 6)].sort((a, b) => a - b);
      return `${values.join()}|${ds.y[r]}`;
    }).sort();
  assert.deepEqual(rows(shuffled), rows(plain));
});

Deno.test("makeClassification() hypercube: false scales the cluster centres", () => {
  const opts = { nSamples: 400, nFeatures: 4, nInformative: 4, nRedundant: 0, flipY: 0 } as const;
  const cube = makeClassification({ ...opts, hypercube: true });
  const scaled = makeClassification({ ...opts, hypercube: false });
  assert.notDeepEqual(cube.x, scaled.x);
  assert.deepEqual(counts(scaled), [200, 200]);
});

Deno.test("makeClassification() handles more than 30 informative features", () => {
  const ds = makeClassification({
    nSamples: 64,
    nFeatures: 33,
    nInformative: 32,
    nRedundant: 1,
    nClasses: 4,
  });
  assert.equal(ds.nFeatures, 33);
  assert.ok(ds.x.every(Number.isFinite));
});

Deno.test("makeClassification() can use every vertex of a small hypercube", () => {
  const ds = makeClassification({
    nSamples: 80,
    nFeatures: 3,
    nInformative: 3,
    nRedundant: 0,
    nClasses: 4,
    nClustersPerClass: 2,
    flipY: 0,
  });
  assert.deepEqual(counts(ds), [20, 20, 20, 20]);
});

Deno.test("makeClassification() rejects invalid options naming the option", () => {
  const cases: [MakeClassificationOptions, string][] = [
    [{ nSamples: 0 }, "nSamples must be an integer >= 1, got 0"],
    [{ nSamples: 2.5 }, "nSamples must be an integer >= 1, got 2.5"],
    [{ nFeatures: 0 }, "nFeatures must be an integer >= 1, got 0"],
    [{ nInformative: 0 }, "nInformative must be an integer >= 1, got 0"],
    [{ nRedundant: -1 }, "nRedundant must be an integer >= 0, got -1"],
    [{ nClasses: 1 }, "nClasses must be an integer >= 2, got 1"],
    [{ nClustersPerClass: 0 }, "nClustersPerClass must be an integer >= 1, got 0"],
    [
      { nFeatures: 6, nInformative: 5, nRedundant: 2 },
      "nInformative (5) + nRedundant (2) must not exceed nFeatures (6)",
    ],
    [
      { nInformative: 2, nClasses: 3, nClustersPerClass: 2 },
      "nClasses (3) * nClustersPerClass (2) must not exceed 2**nInformative (4)",
    ],
    [{ classSep: -1 }, "classSep must be a finite number >= 0, got -1"],
    [{ classSep: Infinity }, "classSep must be a finite number >= 0, got Infinity"],
    [{ flipY: 1.5 }, "flipY must be in [0, 1], got 1.5"],
    [{ flipY: NaN }, "flipY must be in [0, 1], got NaN"],
    [{ seed: 0.5 }, "seed must be a safe integer, got 0.5"],
  ];
  for (const [opts, message] of cases) {
    assert.throws(() => makeClassification(opts), (err: unknown) => {
      assert.ok(err instanceof InvalidInput, String(err));
      assert.equal(err.code, "invalid_input");
      assert.ok(err.message.endsWith(message), `${err.message} / ${message}`);
      return true;
    });
  }
});

Deno.test("seedWorkload() is the 1,000 x 10 two-class seed workload, the same every time", () => {
  assert.ok(Object.isFrozen(SEED_WORKLOAD));
  assert.deepEqual(SEED_WORKLOAD, {
    nSamples: 1000,
    nFeatures: 10,
    nInformative: 5,
    nRedundant: 2,
    nClasses: 2,
    nClustersPerClass: 2,
    classSep: 1,
    flipY: 0.01,
    seed: 42,
  });
  const a = seedWorkload();
  assert.equal(a.nRows, 1000);
  assert.equal(a.nFeatures, 10);
  assert.deepEqual(a.classes, [0, 1]);
  const [n0 = 0, n1 = 0] = counts(a);
  assert.ok(Math.abs(n0 - n1) < 40, `${n0} vs ${n1}`);
  const b = seedWorkload();
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  assert.deepEqual(makeClassification(SEED_WORKLOAD).x, a.x);
});
