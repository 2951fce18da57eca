import assert from "node:assert/strict";
import { logLoss } from "../../../lib/metrics/log_loss.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { assertClose, probaOf, yTrueOf } from "./sklearn_case.ts";

Deno.test("logLoss() clips at 1e-15 and renormalises rows like scikit-learn up to 1.1", () => {
  for (const c of SKLEARN_CASES) {
    assertClose(logLoss(yTrueOf(c), probaOf(c), c.k), c.logLoss, c.name);
  }
});

Deno.test("logLoss() matches current scikit-learn with eps=Number.EPSILON and no renormalising", () => {
  for (const c of SKLEARN_CASES) {
    const loss = logLoss(yTrueOf(c), probaOf(c), c.k, { eps: Number.EPSILON, renormalize: false });
    assertClose(loss, c.logLossSklearn, c.name);
  }
});

Deno.test("logLoss() scores rows that do not sum to 1 by their share when renormalising", () => {
  const y = new Int32Array([0, 1]);
  const short = new Float64Array([0.45, 0.45, 0.2, 0.6]); // sums 0.9 and 0.8
  assertClose(logLoss(y, short, 2), -(Math.log(0.5) + Math.log(0.75)) / 2, "renormalised");
  assertClose(
    logLoss(y, short, 2, { renormalize: false }),
    -(Math.log(0.45) + Math.log(0.6)) / 2,
    "raw",
  );
});

Deno.test("logLoss() gives a confident miss a large finite cost", () => {
  const loss = logLoss(new Int32Array([1]), new Float64Array([1, 0]), 2);
  assert.ok(Number.isFinite(loss));
  assertClose(loss, -Math.log(1e-15), "loss", 1e-9);
});

Deno.test("logLoss() rejects bad eps, class indices and probability shapes", () => {
  const y = new Int32Array([0, 1]);
  const p = new Float64Array([0.5, 0.5, 0.5, 0.5]);
  const cases: [() => unknown, string][] = [
    [() => logLoss(y, p, 2, { eps: 0.5 }), "logLoss(): eps must be in [0, 0.5), got 0.5"],
    [() => logLoss(y, p, 2, { eps: NaN }), "logLoss(): eps must be in [0, 0.5), got NaN"],
    [() => logLoss(new Int32Array([0, 2]), p, 2), "logLoss(): yTrue[1] = 2 is not a class index"],
    [() => logLoss(y, p.subarray(1), 2), "proba has 3 values, expected 4 (2 rows x 2 classes)"],
    [() => logLoss(y, p, 1), "logLoss(): expected at least 2 classes, got 1"],
  ];
  for (const [call, message] of cases) assertInvalidInput(call, message);
});
