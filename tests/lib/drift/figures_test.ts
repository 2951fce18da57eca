import assert from "node:assert/strict";
import { driftFigures, featurePsi } from "../../../lib/drift/figures.ts";
import { psi } from "../../../lib/drift/psi.ts";
import { driftReference } from "../../../lib/drift/reference.ts";
import { uniformStats } from "../../support/drift.ts";

const U = new Array<number>(10).fill(0.1);

Deno.test("driftFigures() gives each feature's PSI and status, their mean and the worst status", () => {
  const ref = driftReference(uniformStats(["steady", "skewed", "shifted"]));
  // 100 rows: counts per bin for each feature.
  const counts = [
    ...new Array<number>(10).fill(10),
    ...[5, 5, 5, 5, 10, 10, 10, 15, 15, 20],
    ...[0, 0, 0, 0, 0, 10, 10, 20, 30, 30],
  ];
  const f = driftFigures(ref, counts, 100);
  assert.equal(f.window, 100);
  assert.deepEqual(Object.keys(f.features), ["steady", "skewed", "shifted"]);
  assert.deepEqual(f.features.steady, { psi: 0, status: "ok" });
  assert.equal(f.features.skewed!.status, "warn");
  assert.ok(Math.abs(f.features.skewed!.psi - 0.24849066497879996) < 1e-12);
  assert.equal(f.features.shifted!.status, "alert");
  assert.equal(f.features.shifted!.psi, psi(U, counts.slice(20).map((c) => c / 100)));
  assert.equal(
    f.overall_psi,
    (f.features.steady!.psi + f.features.skewed!.psi + f.features.shifted!.psi) / 3,
  );
  assert.equal(f.status, "alert");
});

Deno.test("driftFigures() of no rows is zero PSI and ok everywhere", () => {
  const ref = driftReference(uniformStats(["a", "b"]));
  const f = driftFigures(ref, new Uint32Array(20), 0);
  assert.deepEqual(f, {
    window: 0,
    overall_psi: 0,
    status: "ok",
    features: { a: { psi: 0, status: "ok" }, b: { psi: 0, status: "ok" } },
  });
  assert.equal(featurePsi(ref, new Uint32Array(20), 0, 1), 0);
});

Deno.test("driftFigures() keeps a feature named __proto__ as an ordinary key", () => {
  const ref = driftReference(uniformStats(["__proto__", "constructor"]));
  const f = driftFigures(ref, new Uint32Array(20).fill(1), 10);
  assert.deepEqual(Object.keys(f.features), ["__proto__", "constructor"]);
  assert.match(JSON.stringify(f), /"__proto__":\{"psi":0,"status":"ok"\}/);
});
