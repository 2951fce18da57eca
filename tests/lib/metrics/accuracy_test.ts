import assert from "node:assert/strict";
import { accuracy } from "../../../lib/metrics/accuracy.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { yPredOf, yTrueOf } from "./sklearn_case.ts";

Deno.test("accuracy() matches scikit-learn's accuracy_score", () => {
  for (const c of SKLEARN_CASES) {
    assert.equal(accuracy(yTrueOf(c), yPredOf(c)), c.accuracy, c.name);
  }
});

Deno.test("accuracy() rejects empty or mismatched inputs", () => {
  const cases: [string, Int32Array, Int32Array, string][] = [
    ["empty", new Int32Array(0), new Int32Array(0), "accuracy(): yTrue is empty"],
    [
      "mismatched",
      new Int32Array(3),
      new Int32Array(2),
      "accuracy(): yTrue has 3 values but yPred has 2",
    ],
  ];
  for (const [, yTrue, yPred, message] of cases) {
    assertInvalidInput(() => accuracy(yTrue, yPred), message);
  }
});
