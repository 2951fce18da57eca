import assert from "node:assert/strict";
import {
  ALERT_PSI,
  driftStatus,
  overallPsi,
  psi,
  PSI_EPSILON,
  psiTerm,
  WARN_PSI,
  worseStatus,
} from "../../../lib/drift/psi.ts";

// Expected values from numpy, with the same epsilon:
//   e, a = np.maximum(e, 1e-4), np.maximum(a, 1e-4); np.sum((a - e) * np.log(a / e))
const U = new Array<number>(10).fill(0.1);
const TIES = [0.3, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
const KNOWN: [string, number[], number[], number][] = [
  ["identical histograms", U, U, 0],
  ["two bins, a quarter moved (0.25 ln 3)", [0.5, 0.5], [0.25, 0.75], 0.2746530721670274],
  [
    "a skew toward the top deciles",
    U,
    [0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.1, 0.15, 0.15, 0.2],
    0.24849066497879996,
  ],
  ["the lower half emptied", U, [0, 0, 0, 0, 0, 0.1, 0.1, 0.2, 0.3, 0.3], 3.9591833953748163],
  ["bins empty in training and recent (tied edges)", TIES, [
    0.28,
    0,
    0,
    0.1,
    0.12,
    0.1,
    0.1,
    0.1,
    0.1,
    0.1,
  ], 0.005026288565618113],
  [
    "recent rows in a bin empty in training",
    TIES,
    [0.2, 0.1, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    0.7306312631811319,
  ],
  ["fractions under the epsilon", [0.00005, 0.99995], [0.00002, 0.99998], 9.00031501166997e-10],
];

for (const [what, expected, actual, value] of KNOWN) {
  Deno.test(`psi() matches numpy for ${what}`, () => {
    const got = psi(expected, actual);
    assert.ok(Math.abs(got - value) <= 1e-12 * Math.max(1, value), `${got} vs ${value}`);
  });
}

Deno.test("psi() counts an empty bin as holding the epsilon, so no term is infinite", () => {
  assert.equal(PSI_EPSILON, 1e-4);
  assert.equal(psiTerm(0.1, 0), (PSI_EPSILON - 0.1) * Math.log(PSI_EPSILON / 0.1));
  assert.equal(psiTerm(0, 0), 0);
  assert.ok(Number.isFinite(psi([1, 0], [0, 1])));
});

Deno.test("psi() is never negative and is symmetric in its two histograms", () => {
  const a = [0.05, 0.15, 0.3, 0.5];
  const b = [0.25, 0.25, 0.25, 0.25];
  assert.ok(psi(a, b) > 0);
  assert.equal(psi(a, b), psi(b, a));
});

Deno.test("psi() rejects histograms with different numbers of bins", () => {
  assert.throws(() => psi([0.5, 0.5], [1]), {
    name: "RangeError",
    message: "psi(): 2 training fractions but 1 recent ones",
  });
});

const STATUSES: [number, string][] = [
  [0, "ok"],
  [0.0999, "ok"],
  [WARN_PSI, "warn"],
  [0.2499, "warn"],
  [ALERT_PSI, "alert"],
  [3.96, "alert"],
];
Deno.test("driftStatus() is ok under 0.1, warn from 0.1 and alert from 0.25", () => {
  for (const [value, status] of STATUSES) assert.equal(driftStatus(value), status, String(value));
});

Deno.test("worseStatus() picks the more severe status", () => {
  assert.equal(worseStatus("ok", "warn"), "warn");
  assert.equal(worseStatus("alert", "warn"), "alert");
  assert.equal(worseStatus("ok", "ok"), "ok");
});

Deno.test("overallPsi() is the mean of the features' PSI, 0 for no features", () => {
  assert.equal(overallPsi([0.5, 0, 0, 0.1]), 0.15);
  assert.equal(overallPsi(new Float64Array([0.2])), 0.2);
  assert.equal(overallPsi([]), 0);
});
