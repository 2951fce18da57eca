import assert from "node:assert/strict";
import { Rng } from "../../../lib/data/random.ts";
import { prepare } from "../../../lib/forest/prepare.ts";

/** The reference: rows sorted by value with a comparison sort, ties in row order. */
function referenceOrder(values: Float64Array): number[] {
  return Array.from(values.keys()).sort((a, b) => values[a]! - values[b]! || a - b);
}

Deno.test("prepare() orders every feature's rows by value, stably, like a comparison sort", () => {
  const rng = new Rng(3);
  const n = 5000;
  const x = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    x[i * 3] = rng.normal() * 10 ** rng.int(40) * (rng.int(2) ? 1 : -1); // wide exponents
    x[i * 3 + 1] = rng.int(7) - 3; // many ties
    x[i * 3 + 2] = [0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE][rng.int(6)]!;
  }
  const p = prepare({ nRows: n, nFeatures: 3, nClasses: 2, x, y: new Int32Array(n) });
  for (let f = 0; f < 3; f++) {
    const col = Float64Array.from({ length: n }, (_, i) => x[i * 3 + f]! + 0);
    const order = Array.from(p.order.subarray(f * n, (f + 1) * n));
    assert.deepEqual(order, referenceOrder(col), `feature ${f}`);
    let rank = -1;
    order.forEach((row, k) => {
      const fresh = k === 0 || col[row] !== col[order[k - 1]!];
      assert.equal(p.starts[f * n + k], fresh ? 1 : 0);
      if (fresh) rank++;
      assert.equal(p.ranks[f * n + row], rank);
    });
    assert.equal(p.distinctCounts[f], rank + 1);
  }
});

Deno.test("prepare() puts -0 and 0 in one rank", () => {
  const x = new Float64Array([0, -0, 1, -1]);
  const p = prepare({ nRows: 4, nFeatures: 1, nClasses: 2, x, y: new Int32Array(4) });
  assert.deepEqual(Array.from(p.ranks), [1, 1, 2, 0]);
  assert.deepEqual(Array.from(p.starts), [1, 1, 0, 1]);
});

Deno.test("prepare() with shared puts every array on SharedArrayBuffers, else keeps x and y", () => {
  const data = {
    nRows: 3,
    nFeatures: 2,
    nClasses: 2,
    x: new Float64Array([1, 2, 3, 4, 5, 6]),
    y: new Int32Array([0, 1, 0]),
  };
  const shared = prepare(data, { shared: true });
  for (const a of [shared.x, shared.y, shared.order, shared.starts, shared.ranks]) {
    assert.ok(a.buffer instanceof SharedArrayBuffer);
  }
  assert.deepEqual(Array.from(shared.x), Array.from(data.x));
  const plain = prepare(data);
  assert.equal(plain.x, data.x);
  assert.equal(plain.y, data.y);
  assert.ok(!(plain.order.buffer instanceof SharedArrayBuffer));
});
