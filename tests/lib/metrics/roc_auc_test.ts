import assert from "node:assert/strict";
import { rocAuc } from "../../../lib/metrics/roc_auc.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { assertClose, probaOf, yTrueOf } from "./sklearn_case.ts";

Deno.test("rocAuc() matches scikit-learn's roc_auc_score, ties included", () => {
  for (const c of SKLEARN_CASES) {
    const auc = rocAuc(yTrueOf(c), probaOf(c), c.k);
    if (c.rocAuc === null) assert.equal(auc, null, c.name);
    else assertClose(auc ?? NaN, c.rocAuc, c.name);
  }
});

Deno.test("rocAuc() is 1 for a perfect ranking, 0 for a reversed one and 0.5 for all ties", () => {
  const y = new Int32Array([0, 0, 1, 1]);
  const cases: [number[], number][] = [
    [[0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6], 1],
    [[0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.6, 0.4], 0],
    [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 0.5],
  ];
  for (const [proba, expected] of cases) {
    assert.equal(rocAuc(y, Float64Array.from(proba), 2), expected);
  }
});

Deno.test("rocAuc() returns null for several classes when yTrue holds only one", () => {
  const proba = new Float64Array([0.2, 0.5, 0.3, 0.6, 0.2, 0.2]);
  assert.equal(rocAuc(new Int32Array([1, 1]), proba, 3), null);
});

Deno.test("rocAuc() rejects bad class counts, class indices and probability shapes", () => {
  const cases: [() => unknown, string][] = [
    [() => rocAuc(new Int32Array([0]), new Float64Array([1]), 1), "expected at least 2 classes"],
    [
      () => rocAuc(new Int32Array([0, 3]), new Float64Array(6), 3),
      "rocAuc(): yTrue[1] = 3 is not a class index in 0..2",
    ],
    [
      () => rocAuc(new Int32Array([0, 1]), new Float64Array(5), 3),
      "rocAuc(): proba has 5 values, expected 6 (2 rows x 3 classes)",
    ],
  ];
  for (const [call, message] of cases) assertInvalidInput(call, message);
});
