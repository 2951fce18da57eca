import assert from "node:assert/strict";
import { confusionMatrix } from "../../../lib/metrics/confusion_matrix.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { yPredOf, yTrueOf } from "./sklearn_case.ts";

Deno.test("confusionMatrix() matches scikit-learn, rows true and columns predicted", () => {
  for (const c of SKLEARN_CASES) {
    assert.deepEqual(confusionMatrix(yTrueOf(c), yPredOf(c), c.k), c.confusionMatrix, c.name);
  }
});

Deno.test("confusionMatrix() counts a class that never occurs as a zero row and column", () => {
  const m = confusionMatrix(new Int32Array([0, 2, 2]), new Int32Array([2, 2, 0]), 3);
  assert.deepEqual(m, [[0, 0, 1], [0, 0, 0], [1, 0, 1]]);
});

Deno.test("confusionMatrix() rejects class indices out of range and mismatched lengths", () => {
  const cases: [Int32Array, Int32Array, number, string][] = [
    [new Int32Array([0, 1]), new Int32Array([0]), 2, "yTrue has 2 values but yPred has 1"],
    [
      new Int32Array([0, 2]),
      new Int32Array([0, 1]),
      2,
      "yTrue[1] = 2 is not a class index in 0..1",
    ],
    [new Int32Array([0, 1]), new Int32Array([-1, 1]), 2, "yPred[0] = -1 is not a class index"],
    [new Int32Array(0), new Int32Array(0), 2, "confusionMatrix(): yTrue is empty"],
    [new Int32Array([0]), new Int32Array([0]), 0, "expected at least 1 classes, got 0"],
  ];
  for (const [yTrue, yPred, k, message] of cases) {
    assertInvalidInput(() => confusionMatrix(yTrue, yPred, k), message);
  }
});
