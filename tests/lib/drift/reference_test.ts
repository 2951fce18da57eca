import assert from "node:assert/strict";
import { binIndex, driftReference } from "../../../lib/drift/reference.ts";
import { FluxError } from "../../../lib/errors.ts";
import { binOf, type FeatureStats, featureStats } from "../../../lib/model/feature_stats.ts";
import { Rng, uniformStats } from "../../support/drift.ts";

Deno.test("driftReference() flattens edges and fractions into typed arrays", () => {
  const ref = driftReference(uniformStats(["a", "b"]));
  assert.deepEqual(ref.names, ["a", "b"]);
  assert.equal(ref.bins, 10);
  assert.equal(ref.edges.length, 18);
  assert.deepEqual(Array.from(ref.edges.subarray(9, 12), (v) => v.toFixed(1)), [
    "0.1",
    "0.2",
    "0.3",
  ]);
  assert.equal(ref.expected.length, 20);
  assert.deepEqual(ref.fullEdges[1]!.length, 11);
});

Deno.test("binIndex() puts a value in the same bin as binOf(), ties and outliers included", () => {
  // A discrete feature (many tied edges) and a continuous one.
  const rng = new Rng(3);
  const n = 500;
  const x = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[i * 2] = rng.int(4);
    x[i * 2 + 1] = rng.normal();
  }
  const stats = featureStats(["discrete", "normal"], x, n);
  const ref = driftReference(stats);
  const probes = [-10, -1, 0, 0.5, 1, 2, 3, 4, 10, ...stats[1]!.bin_edges, NaN];
  for (let f = 0; f < 2; f++) {
    for (const v of probes) {
      assert.equal(binIndex(ref, f, v), binOf(stats[f]!.bin_edges, v), `${f} ${v}`);
    }
  }
});

const good = uniformStats(["a"])[0]!;
const BAD: [string, FeatureStats[], string][] = [
  ["no features", [], "m: has no features"],
  [
    "a feature without a histogram",
    [{ ...good, bin_edges: undefined as unknown as number[] }],
    'm: feature "a" has no training histogram',
  ],
  [
    "a non-finite fraction",
    [{ ...good, bin_frequencies: [...good.bin_frequencies.slice(1), NaN] }],
    'm: feature "a" has no training histogram',
  ],
  [
    "too few edges",
    [{ ...good, bin_edges: good.bin_edges.slice(1) }],
    "expected 11 bin edges, got 10",
  ],
  [
    "unsorted edges",
    [{ ...good, bin_edges: [0, 0.2, 0.1, ...good.bin_edges.slice(3)] }],
    'm: feature "a": bin edges are not sorted',
  ],
  [
    "features with different numbers of bins",
    [good, { ...good, name: "b", bin_edges: [0, 0.5, 1], bin_frequencies: [0.5, 0.5] }],
    'm: feature "b": expected 10 bin fractions, got 2',
  ],
  [
    "no bins",
    [{ ...good, bin_edges: [0], bin_frequencies: [] }],
    "expected 1 to 127 bin fractions, got 0",
  ],
];
for (const [what, features, message] of BAD) {
  Deno.test(`driftReference() refuses a model with ${what}`, () => {
    assert.throws(() => driftReference(features, "m"), (err: unknown) => {
      assert.ok(err instanceof FluxError);
      assert.equal(err.code, "invalid_model");
      assert.ok(err.message.includes(message), err.message);
      return true;
    });
  });
}
