import assert from "node:assert/strict";
import { binIndex, driftReference } from "../../../lib/drift/reference.ts";
import { DriftWindow } from "../../../lib/drift/window.ts";
import { Rng, uniformRows, uniformStats } from "../../support/drift.ts";

const REF = driftReference(uniformStats(["a", "b", "c"]));
const P = 3;

/** Bin counts of the last `n` rows of `x`, counted the slow way. */
function countsOfLast(x: Float64Array, nRows: number, n: number): number[] {
  const counts = new Array<number>(P * 10).fill(0);
  for (let i = Math.max(0, nRows - n); i < nRows; i++) {
    for (let f = 0; f < P; f++) counts[f * 10 + binIndex(REF, f, x[i * P + f]!)]!++;
  }
  return counts;
}

// Batch sizes smaller than, equal to and larger than the window, and a mix.
const BATCHES: [string, number[]][] = [
  ["one row at a time", new Array<number>(23).fill(1)],
  ["batches of 3", new Array<number>(9).fill(3)],
  ["batches the size of the window", [7, 7, 7]],
  ["a batch larger than the window", [3, 12]],
  ["mixed batches", [2, 9, 1, 15, 4]],
];
for (const [what, sizes] of BATCHES) {
  Deno.test(`DriftWindow keeps the counts of exactly the last rows, added in ${what}`, () => {
    const rng = new Rng(11);
    const total = sizes.reduce((a, b) => a + b, 0);
    const x = uniformRows(rng, total, P, { 1: 0.3, 2: -0.2 });
    const w = new DriftWindow(REF, 7);
    let at = 0;
    for (const n of sizes) {
      w.add(x.subarray(at * P, (at + n) * P), n);
      at += n;
      assert.deepEqual(Array.from(w.counts), countsOfLast(x, at, 7), `after ${at} rows`);
      assert.equal(w.size, Math.min(at, 7));
      assert.equal(w.total, at);
    }
  });
}

Deno.test("DriftWindow takes Float32Array rows too", () => {
  const w = new DriftWindow(REF, 4);
  w.add(new Float32Array([0.05, 0.55, 0.95, 0.15, 0.65, 1.5]), 2);
  assert.deepEqual(Array.from(w.fractions(0)), [0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(w.fractions(2)), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
});

Deno.test("DriftWindow fractions are zero when empty, and clear() empties it", () => {
  const w = new DriftWindow(REF, 5);
  assert.deepEqual(Array.from(w.fractions(1)), new Array(10).fill(0));
  w.add(new Float64Array([0.1, 0.2, 0.3]), 1);
  assert.equal(w.size, 1);
  w.clear();
  assert.equal(w.size, 0);
  assert.equal(w.total, 0);
  assert.ok(w.counts.every((c) => c === 0));
});

Deno.test("DriftWindow refuses a size that is not a positive integer", () => {
  for (const size of [0, -1, 1.5, NaN]) {
    assert.throws(() => new DriftWindow(REF, size), RangeError, String(size));
  }
});
