import assert from "node:assert/strict";
import {
  precisionRecallF1,
  scoresFromConfusion,
} from "../../../lib/metrics/precision_recall_f1.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { assertClose, yPredOf, yTrueOf } from "./sklearn_case.ts";

Deno.test("precisionRecallF1() matches scikit-learn with zero_division=0", () => {
  for (const c of SKLEARN_CASES) {
    const s = precisionRecallF1(yTrueOf(c), yPredOf(c), c.k);
    assert.equal(s.average, c.k === 2 ? "binary" : "macro", c.name);
    assertClose(s.precision, c.precision, `${c.name}: precision`);
    assertClose(s.recall, c.recall, `${c.name}: recall`);
    assertClose(s.f1, c.f1, `${c.name}: f1`);
    assert.equal(s.perClass.length, c.k);
    s.perClass.forEach((pc, i) => {
      const e = c.perClass[i]!;
      assertClose(pc.precision, e.precision, `${c.name}: class ${i} precision`);
      assertClose(pc.recall, e.recall, `${c.name}: class ${i} recall`);
      assertClose(pc.f1, e.f1, `${c.name}: class ${i} f1`);
      assert.equal(pc.support, e.support, `${c.name}: class ${i} support`);
    });
  }
});

Deno.test("precisionRecallF1() can macro-average two classes", () => {
  const s = precisionRecallF1(
    new Int32Array([0, 1, 1, 1]),
    new Int32Array([0, 1, 0, 1]),
    2,
    "macro",
  );
  // scikit-learn: precision_recall_fscore_support(..., average="macro")
  assertClose(s.precision, 0.75, "precision");
  assertClose(s.recall, 5 / 6, "recall");
  assertClose(s.f1, 0.7333333333333334, "f1");
});

Deno.test("scoresFromConfusion() gives zeros for a matrix with no rows counted", () => {
  const s = scoresFromConfusion([[0, 0, 0], [0, 0, 0], [0, 0, 0]], "macro");
  assert.deepEqual([s.precision, s.recall, s.f1], [0, 0, 0]);
  assert.deepEqual(s.perClass[2], { precision: 0, recall: 0, f1: 0, support: 0 });
});

Deno.test("precisionRecallF1() rejects a binary average over more than two classes", () => {
  const y = new Int32Array([0, 1, 2]);
  const cases: [() => unknown, string][] = [
    [
      () => precisionRecallF1(y, y, 3, "binary"),
      'precisionRecallF1(): average "binary" needs exactly 2 classes, got 3',
    ],
    [
      () => scoresFromConfusion([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "binary"),
      'average "binary" needs a 2 x 2 matrix, got 3 x 3',
    ],
    [() => scoresFromConfusion([[1, 0], [0]], "macro"), "row 1 has 1 counts, expected 2"],
    [() => precisionRecallF1(y, y.subarray(1), 3), "yTrue has 3 values but yPred has 2"],
  ];
  for (const [call, message] of cases) assertInvalidInput(call, message);
});
