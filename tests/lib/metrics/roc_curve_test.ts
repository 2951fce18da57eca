import assert from "node:assert/strict";
import { rocCurve } from "../../../lib/metrics/roc_curve.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { assertAllClose, positiveScoresOf, yTrueOf } from "./sklearn_case.ts";

const BINARY = SKLEARN_CASES.filter((c) => c.k === 2);

Deno.test("rocCurve() matches scikit-learn's roc_curve with drop_intermediate=False", () => {
  for (const c of BINARY) {
    const roc = rocCurve(yTrueOf(c), positiveScoresOf(c));
    if (c.rocCurve === null) {
      assert.equal(roc, null, c.name);
      continue;
    }
    assert.ok(roc, c.name);
    assertAllClose(roc.fpr, c.rocCurve.fpr, `${c.name}: fpr`);
    assertAllClose(roc.tpr, c.rocCurve.tpr, `${c.name}: tpr`);
    assert.deepEqual(roc.thresholds, c.rocCurve.thresholds, `${c.name}: thresholds`);
  }
});

Deno.test("rocCurve() drops collinear points like scikit-learn's drop_intermediate=True", () => {
  for (const c of BINARY) {
    if (c.rocCurveDropped === null) continue;
    const roc = rocCurve(yTrueOf(c), positiveScoresOf(c), { dropIntermediate: true });
    assert.ok(roc, c.name);
    assertAllClose(roc.fpr, c.rocCurveDropped.fpr, `${c.name}: fpr`);
    assertAllClose(roc.tpr, c.rocCurveDropped.tpr, `${c.name}: tpr`);
    assert.deepEqual(roc.thresholds, c.rocCurveDropped.thresholds, `${c.name}: thresholds`);
  }
});

Deno.test("rocCurve() puts all tied scores on one step from (0, 0) to (1, 1)", () => {
  const roc = rocCurve(new Int32Array([0, 1, 1, 0]), new Float64Array(4).fill(0.5));
  assert.deepEqual(roc, { fpr: [0, 1], tpr: [0, 1], thresholds: [Infinity, 0.5] });
});

Deno.test("rocCurve() counts the chosen positiveClass as positive", () => {
  const y = new Int32Array([0, 2, 2, 1, 0, 2]);
  const scores = new Float64Array([0.1, 0.9, 0.4, 0.4, 0.3, 0.8]);
  const asTwo = rocCurve(y, scores, { positiveClass: 2 });
  const flipped = rocCurve(y.map((c) => (c === 2 ? 1 : 0)), scores);
  assert.deepEqual(asTwo, flipped);
  assert.deepEqual(asTwo?.tpr, [0, 1 / 3, 2 / 3, 1, 1, 1]);
});

Deno.test("rocCurve() returns null when yTrue holds only negatives or only positives", () => {
  const scores = new Float64Array([0.2, 0.7]);
  assert.equal(rocCurve(new Int32Array([0, 0]), scores), null);
  assert.equal(rocCurve(new Int32Array([1, 1]), scores), null);
});

Deno.test("rocCurve() rejects mismatched, empty and non-finite input", () => {
  const y = new Int32Array([0, 1]);
  const cases: [() => unknown, string][] = [
    [() => rocCurve(y, new Float64Array(3)), "rocCurve(): yTrue has 2 values but scores has 3"],
    [() => rocCurve(new Int32Array(0), new Float64Array(0)), "rocCurve(): yTrue is empty"],
    [
      () => rocCurve(y, new Float64Array([0.1, Infinity])),
      "rocCurve(): scores[1]: expected a finite number, got Infinity",
    ],
    [
      () => rocCurve(y, new Float64Array([0.1, 0.2]), { positiveClass: -1 }),
      "positiveClass must be a class index (an integer >= 0), got -1",
    ],
  ];
  for (const [call, message] of cases) assertInvalidInput(call, message);
});
