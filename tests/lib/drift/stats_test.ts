/**
 * The drift statistics on values taken from scipy 1.17 (so they run without the test venv; the
 * venv's live cross-checks are in reference_implementations_test.ts).
 */
import assert from "node:assert/strict";
import { rejected } from "../../../lib/drift/stats/correction.ts";
import { chi2Sf, gammaP, gammaQ, logGamma } from "../../../lib/drift/stats/gamma.ts";
import { kolmogorovSf, smirnovSf } from "../../../lib/drift/stats/kolmogorov.ts";
import { ks2Samp } from "../../../lib/drift/stats/ks.ts";
import { populationStd, wassersteinSorted } from "../../../lib/drift/stats/wasserstein.ts";
import { FluxError } from "../../../lib/errors.ts";

// [d, n, scipy.stats.kstwo.sf(d, n)], one per region of the algorithm.
const KSTWO: [number, number, number][] = [
  [0.1, 5, 1], // n·d ≤ 0.5
  [0.15, 5, 0.9988], // Ruben-Gambino, n·d ≤ 1
  [0.9, 5, 1.9999999999999978e-5], // Ruben-Gambino, n·d ≥ n − 1
  [0.5, 10, 0.00777741], // 2 · Smirnov, d ≥ 0.5
  [0.3, 5, 0.664], // Durbin matrix, n ≤ 140
  [0.2, 100, 0.0005551927327988775], // Pomeranz
  [0.35, 100, 1.865228719089831e-11], // 2 · Smirnov, n ≤ 140
  [0.005, 3000, 0.9999990772892733], // 1 − Durbin
  [0.02, 3000, 0.17889813623188966], // 1 − Pelz-Good
  [0.05, 3000, 5.874684341454393e-7], // 2 · Smirnov
  [0.4, 3000, 0], // n·d² ≥ 370
];
for (const [d, n, want] of KSTWO) {
  Deno.test(`kolmogorovSf(${n}, ${d}) is scipy's kstwo.sf, ${want}`, () => {
    const got = kolmogorovSf(n, d);
    assert.ok(Math.abs(got - want) <= Math.max(1e-12, 1e-6 * want), `${got}`);
  });
}

Deno.test("ks2Samp() gives scipy's statistic and exact p-value", () => {
  assert.deepEqual(ks2Samp([1, 2, 3, 4], [5, 6, 7, 8]), {
    statistic: 1,
    pValue: 0.028571428571428577,
    method: "exact",
  });
  const r = ks2Samp([0.1, 0.4, 0.7, 0.2, 0.9], [0.3, 0.35, 0.8, 1.2, 1.5, 1.1, 0.05]);
  assert.ok(Math.abs(r.statistic - 0.42857142857142855) < 1e-15);
  assert.ok(Math.abs(r.pValue - 0.5454545454545454) < 1e-12);
  assert.equal(ks2Samp([1, 1, 2], [1, 1, 2]).pValue, 1, "identical samples");
});

const BAD_SAMPLES: [number[], number[], RegExp][] = [
  [[], [1], /sample a is empty/],
  [[1], [], /sample b is empty/],
  [[1, NaN], [1], /sample a\[1\] is not a finite number/],
  [[1], [Infinity], /sample b\[0\] is not a finite number/],
];
for (const [a, b, message] of BAD_SAMPLES) {
  Deno.test(`ks2Samp() refuses ${JSON.stringify([a, b])} with invalid_input`, () => {
    assert.throws(() => ks2Samp(a, b), (err: unknown) => {
      assert.ok(err instanceof FluxError);
      assert.equal(err.code, "invalid_input");
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("the incomplete gamma functions are complementary and give chi-square tails", () => {
  assert.ok(Math.abs(logGamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 1e-14);
  assert.equal(logGamma(5), Math.log(24));
  for (const [a, x] of [[0.5, 0.1], [3, 2], [4.5, 10], [50, 45]]) {
    assert.ok(Math.abs(gammaP(a!, x!) + gammaQ(a!, x!) - 1) < 1e-14);
  }
  assert.ok(Math.abs(chi2Sf(3.841458820694124, 1) - 0.05) < 1e-15);
  assert.equal(chi2Sf(0, 3), 1);
  assert.equal(chi2Sf(Infinity, 3), 0);
  assert.throws(() => chi2Sf(1, 0), /degrees of freedom/);
  assert.throws(() => logGamma(0), /expected x > 0/);
  assert.throws(() => gammaP(-1, 1), /expected a finite a > 0/);
  assert.throws(() => gammaQ(1, -1), /expected x >= 0/);
});

Deno.test("smirnovSf() is the one-sided tail: 1 at 0, (1 − d)^n at one row's worth, 0 at 1", () => {
  assert.equal(smirnovSf(5, 0), 1);
  assert.equal(smirnovSf(5, 1), 0);
  assert.ok(Math.abs(smirnovSf(1, 0.3) - 0.7) < 1e-15);
});

Deno.test("wassersteinSorted() is the area between the CDFs; populationStd() is numpy's std", () => {
  assert.equal(wassersteinSorted(Float64Array.of(0, 1, 3), Float64Array.of(5, 6, 8)), 5);
  assert.equal(wassersteinSorted(Float64Array.of(1, 2), Float64Array.of(1, 2)), 0);
  assert.equal(populationStd([1, 3]), 1);
  assert.ok(Number.isNaN(populationStd([])));
});

Deno.test("rejected() applies Bonferroni and Benjamini-Hochberg, and never rejects NaN", () => {
  const p = [0.001, 0.02, 0.5, NaN];
  assert.deepEqual(rejected(p, 0.05, "bonferroni"), [true, false, false, false]);
  assert.deepEqual(rejected([0.001, 0.02, 0.5], 0.05, "fdr"), [true, true, false]);
  assert.deepEqual(rejected([0.04, 0.03, 0.02], 0.05, "fdr"), [true, true, true]);
  assert.deepEqual(rejected([0.04, 0.03, 0.02], 0.05, "bonferroni"), [false, false, false]);
});
