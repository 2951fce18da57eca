import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import { Rng } from "../../../lib/data/random.ts";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.uint32());
}

Deno.test("Rng gives the same pinned sequence for a seed on every run", () => {
  assert.deepEqual(draws(new Rng(42), 4), [2996295048, 3221812622, 1785354596, 3760455670]);
  assert.deepEqual(draws(Rng.derive(42, 3), 4), [3429452785, 1402692089, 4189953130, 724938640]);
  assert.deepEqual(draws(new Rng(), 2), draws(new Rng(0), 2));
});

Deno.test("Rng with the same seed repeats and with another seed differs", () => {
  assert.deepEqual(draws(new Rng(7), 1000), draws(new Rng(7), 1000));
  assert.notDeepEqual(draws(new Rng(7), 100), draws(new Rng(8), 100));
  assert.notDeepEqual(draws(new Rng(-1), 100), draws(new Rng(2 ** 32 - 1), 100));
  assert.notDeepEqual(draws(new Rng(1), 100), draws(new Rng(2 ** 32 + 1), 100));
});

Deno.test("Rng.derive() gives repeatable streams distinct from each other and from the seed", () => {
  assert.deepEqual(draws(Rng.derive(5, 9), 500), draws(Rng.derive(5, 9), 500));
  const seen = new Set<string>();
  for (let stream = 0; stream < 200; stream++) seen.add(draws(Rng.derive(5, stream), 4).join());
  seen.add(draws(new Rng(5), 4).join());
  seen.add(draws(Rng.derive(6, 0), 4).join());
  assert.equal(seen.size, 202);
});

Deno.test("Rng.derive() streams are uncorrelated", () => {
  const a = Rng.derive(1, 0);
  const b = Rng.derive(1, 1);
  const n = 20000;
  let sab = 0;
  for (let i = 0; i < n; i++) sab += (a.next() - 0.5) * (b.next() - 0.5);
  const corr = sab / n / (1 / 12);
  assert.ok(Math.abs(corr) < 0.05, `correlation ${corr}`);
});

Deno.test("Rng.next() stays in [0, 1) with mean 1/2", () => {
  const rng = new Rng(3);
  let sum = 0;
  const n = 100000;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005);
});

Deno.test("Rng.int() is uniform over 0..n-1", () => {
  const rng = new Rng(11);
  const n = 7;
  const counts = new Array<number>(n).fill(0);
  const draws = 70000;
  for (let i = 0; i < draws; i++) {
    const k = rng.int(n);
    assert.ok(Number.isInteger(k) && k >= 0 && k < n);
    counts[k]!++;
  }
  // Chi-square with 6 degrees of freedom: 22.5 is the 0.999 quantile.
  const expected = draws / n;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 22.5, `chi2 ${chi2}, counts ${counts}`);
  assert.equal(rng.int(1), 0);
  const big = rng.int(2 ** 32);
  assert.ok(Number.isInteger(big) && big >= 0 && big < 2 ** 32);
});

Deno.test("Rng.int() stays unbiased when it must reject draws", () => {
  // 2**32 mod n is 2**30 here, so a quarter of raw draws are rejected.
  const n = 3 * 2 ** 30;
  const rng = new Rng(13);
  const thirds = [0, 0, 0];
  for (let i = 0; i < 30000; i++) {
    const k = rng.int(n);
    assert.ok(Number.isInteger(k) && k >= 0 && k < n);
    thirds[Math.floor(k / 2 ** 30)]!++;
  }
  for (const t of thirds) assert.ok(Math.abs(t - 10000) < 400, `thirds ${thirds}`);
});

Deno.test("Rng.int() rejects a bound that is not an integer in 1..2**32", () => {
  const cases: [number, string][] = [
    [0, "got 0"],
    [-3, "got -3"],
    [1.5, "got 1.5"],
    [NaN, "got NaN"],
    [2 ** 32 + 1, "got 4294967297"],
  ];
  for (const [n, fragment] of cases) {
    assert.throws(() => new Rng(1).int(n), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.code, "invalid_input");
      assert.match(err.message, /^Rng\.int\(n\): n must be an integer in 1\.\.2\*\*32/);
      assert.ok(err.message.endsWith(fragment), err.message);
      return true;
    });
  }
});

Deno.test("Rng.normal() has mean 0 and variance 1", () => {
  const rng = new Rng(5);
  const n = 100000;
  let sum = 0;
  let sq = 0;
  let within1 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    assert.ok(Number.isFinite(z));
    sum += z;
    sq += z * z;
    if (Math.abs(z) < 1) within1++;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1) < 0.02, `variance ${sq / n}`);
  assert.ok(Math.abs(within1 / n - 0.6827) < 0.01, `P(|z| < 1) ${within1 / n}`);
});

Deno.test("Rng.shuffle() permutes arrays and typed arrays repeatably", () => {
  const a = Int32Array.from({ length: 50 }, (_, i) => i);
  new Rng(9).shuffle(a);
  assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual([...a], Array.from({ length: 50 }, (_, i) => i));
  const b = Array.from({ length: 50 }, (_, i) => i);
  new Rng(9).shuffle(b);
  assert.deepEqual(b, [...a]);
  const one = ["x"];
  new Rng(9).shuffle(one);
  assert.deepEqual(one, ["x"]);
});

Deno.test("Rng rejects a seed or stream that is not a safe integer", () => {
  const cases: [() => Rng, string][] = [
    [() => new Rng(1.5), "seed must be a safe integer, got 1.5"],
    [() => new Rng(NaN), "seed must be a safe integer, got NaN"],
    [() => new Rng(2 ** 53), "seed must be a safe integer, got 9007199254740992"],
    [() => Rng.derive(0.5, 1), "seed must be a safe integer, got 0.5"],
    [() => Rng.derive(1, -0.5), "stream must be a safe integer, got -0.5"],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.message, message);
      return true;
    });
  }
});
