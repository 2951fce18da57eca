import assert from "node:assert/strict";
import { driftFigures, featurePsi } from "../../../lib/drift/figures.ts";
import { psi } from "../../../lib/drift/psi.ts";
import { driftReference } from "../../../lib/drift/reference.ts";
import { uniformStats } from "../../support/drift.ts";

const U = new Array<number>(10).fill(0.1);

Deno.test("driftFigures() gives each feature's PSI, JS and chi-square, and decides drift on the corrected p-value", () => {
  const ref = driftReference(uniformStats(["steady", "skewed", "shifted"]));
  // 100 rows: counts per bin for each feature.
  const counts = [
    ...new Array<number>(10).fill(10),
    ...[3, 4, 7, 10, 10, 10, 10, 13, 16, 17],
    ...[0, 0, 0, 0, 0, 10, 10, 20, 30, 30],
  ];
  const f = driftFigures(ref, counts, 100);
  assert.equal(f.window, 100);
  assert.deepEqual(Object.keys(f.features), ["steady", "skewed", "shifted"]);
  assert.ok(f.features.steady!.js_distance < 1e-7, "equal histograms, up to rounding");
  assert.deepEqual({ ...f.features.steady, js_distance: 0 }, {
    psi: 0,
    js_distance: 0,
    chi2_p_value: 1,
    p_value: 1,
    test: "chi2",
    drifted: false,
    status: "ok",
  });
  // chi-square 18.8 on 9 dof: p = 0.02695 (scipy.stats.chi2.sf(18.8, 9)), under 0.05 but over
  // 0.05 / 3.
  assert.ok(Math.abs(f.features.skewed!.chi2_p_value - 0.026948185023042272) < 1e-12);
  assert.equal(f.features.skewed!.status, "warn");
  assert.equal(f.features.skewed!.drifted, false);
  assert.equal(f.features.skewed!.psi, psi(U, counts.slice(10, 20).map((c) => c / 100)));
  assert.equal(f.features.shifted!.drifted, true);
  assert.equal(f.features.shifted!.status, "alert");
  assert.equal(f.features.shifted!.psi, psi(U, counts.slice(20).map((c) => c / 100)));
  assert.equal(
    f.overall_psi,
    (f.features.steady!.psi + f.features.skewed!.psi + f.features.shifted!.psi) / 3,
  );
  assert.equal(f.status, "alert");
  assert.equal(f.share_drifted, 1 / 3);
  assert.equal(f.dataset_drift, false, "one of three features is under half");
});

Deno.test("driftFigures() of no rows is zero PSI and ok everywhere", () => {
  const ref = driftReference(uniformStats(["a", "b"]));
  const f = driftFigures(ref, new Uint32Array(20), 0);
  const none = {
    psi: 0,
    js_distance: 0,
    chi2_p_value: 1,
    p_value: 1,
    test: "chi2",
    drifted: false,
    status: "ok",
  };
  assert.deepEqual(f, {
    window: 0,
    overall_psi: 0,
    status: "ok",
    share_drifted: 0,
    dataset_drift: false,
    settings: { alpha: 0.05, correction: "bonferroni", share: 0.5 },
    features: { a: none, b: none },
  });
  assert.equal(featurePsi(ref, new Uint32Array(20), 0, 1), 0);
});

Deno.test("driftFigures() keeps a feature named __proto__ as an ordinary key", () => {
  const ref = driftReference(uniformStats(["__proto__", "constructor"]));
  const f = driftFigures(ref, new Uint32Array(20).fill(1), 10);
  assert.deepEqual(Object.keys(f.features), ["__proto__", "constructor"]);
  assert.match(JSON.stringify(f), /"__proto__":\{"psi":0,/);
});
