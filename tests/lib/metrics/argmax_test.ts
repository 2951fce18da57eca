import assert from "node:assert/strict";
import { argmaxRows } from "../../../lib/metrics/argmax.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { probaOf } from "./sklearn_case.ts";

Deno.test("argmaxRows() picks each row's most probable class like NumPy's argmax", () => {
  for (const c of SKLEARN_CASES) {
    assert.deepEqual(Array.from(argmaxRows(probaOf(c), c.k)), c.yPred, c.name);
  }
});

Deno.test("argmaxRows() gives a tie to the first of the tied classes", () => {
  const cases: [number[], number, number[]][] = [
    [[0.5, 0.5], 2, [0]],
    [[0.25, 0.25, 0.5, 0, 0, 1, 0, 0], 2, [0, 0, 1, 0]],
    [[0.2, 0.4, 0.4, 0.4, 0.2, 0.4, 0, 0, 1], 3, [1, 0, 2]],
  ];
  for (const [proba, k, expected] of cases) {
    assert.deepEqual(Array.from(argmaxRows(Float64Array.from(proba), k)), expected);
  }
});

Deno.test("argmaxRows() rejects ragged rows and values that are not probabilities", () => {
  const cases: [Float64Array, number, string][] = [
    [new Float64Array(5), 2, "argmaxRows(): proba has 5 values, not a multiple of 2 classes"],
    [new Float64Array(4), 0, "argmaxRows(): expected at least 1 classes, got 0"],
    [new Float64Array(4), 1.5, "argmaxRows(): expected at least 1 classes, got 1.5"],
    [
      new Float64Array([0.5, 0.5, 0.2, NaN]),
      2,
      "argmaxRows(): proba[1][1]: expected a probability in [0, 1], got NaN",
    ],
    [
      new Float64Array([0.5, 0.5, -0.1, 1.1]),
      2,
      "argmaxRows(): proba[1][0]: expected a probability in [0, 1], got -0.1",
    ],
  ];
  for (const [proba, k, message] of cases) assertInvalidInput(() => argmaxRows(proba, k), message);
});
