import assert from "node:assert/strict";
import { evaluate } from "../../../lib/metrics/evaluate.ts";
import type { Label } from "../../../lib/data/dataset.ts";
import { assertInvalidInput } from "./assert_invalid_input.ts";
import { SKLEARN_CASES } from "./sklearn_reference.ts";
import { assertClose, probaOf, yTrueOf } from "./sklearn_case.ts";

const LABELS: readonly Label[] = ["cat", 7, "dog", "<b>bird</b>", "eel"];

Deno.test("evaluate() reports every metric as scikit-learn computes it", () => {
  for (const c of SKLEARN_CASES) {
    const classes = LABELS.slice(0, c.k);
    const m = evaluate(yTrueOf(c), probaOf(c), classes);
    assert.equal(m.average, c.k === 2 ? "binary" : "macro", c.name);
    assertClose(m.accuracy, c.accuracy, `${c.name}: accuracy`);
    assertClose(m.precision, c.precision, `${c.name}: precision`);
    assertClose(m.recall, c.recall, `${c.name}: recall`);
    assertClose(m.f1, c.f1, `${c.name}: f1`);
    if (c.rocAuc === null) assert.equal(m.roc_auc, null, c.name);
    else assertClose(m.roc_auc ?? NaN, c.rocAuc, `${c.name}: roc_auc`);
    assertClose(m.log_loss, c.logLoss, `${c.name}: log_loss`);
    assert.deepEqual(m.confusion_matrix, c.confusionMatrix, c.name);
    assert.deepEqual(m.classes, classes, c.name);
    assert.deepEqual(m.per_class.map((p) => p.label), classes, c.name);
    m.per_class.forEach((p, i) => {
      assertClose(p.f1, c.perClass[i]!.f1, `${c.name}: class ${i} f1`);
      assert.equal(p.support, c.perClass[i]!.support, `${c.name}: class ${i} support`);
    });
  }
});

Deno.test("evaluate() returns a plain object that survives a JSON round trip", () => {
  const c = SKLEARN_CASES[0]!;
  const m = evaluate(yTrueOf(c), probaOf(c), ["no", "yes"]);
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  assert.deepEqual(Object.keys(m).sort(), [
    "accuracy",
    "average",
    "classes",
    "confusion_matrix",
    "f1",
    "log_loss",
    "per_class",
    "precision",
    "recall",
    "roc_auc",
  ]);
});

Deno.test("evaluate() rejects inputs that do not fit the class list", () => {
  const y = new Int32Array([0, 1]);
  const p = new Float64Array([0.9, 0.1, 0.2, 0.8]);
  const cases: [Int32Array, Float64Array, readonly Label[], string][] = [
    [y, p, ["only"], "evaluate(): expected at least 2 classes, got 1"],
    [y, p, ["a", "a"], 'evaluate(): classes has duplicate labels: ["a","a"]'],
    [
      new Int32Array([0, 2]),
      p,
      ["a", "b"],
      "evaluate(): yTrue[1] = 2 is not a class index in 0..1",
    ],
    [new Int32Array(0), new Float64Array(0), ["a", "b"], "evaluate(): yTrue is empty"],
    [
      y,
      p.subarray(1),
      ["a", "b"],
      "evaluate(): proba has 3 values, expected 4 (2 rows x 2 classes)",
    ],
    [y, new Float64Array([0.9, 0.1, 0.2, 1.8]), ["a", "b"], "proba[1][1]: expected a probability"],
  ];
  for (const [yTrue, proba, classes, message] of cases) {
    assertInvalidInput(() => evaluate(yTrue, proba, classes), message);
  }
});
