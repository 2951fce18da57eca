/**
 * The shape of one scikit-learn reference case (see sklearn_reference.py), and helpers that
 * turn it into the typed arrays the metric functions take.
 * @module
 */

import assert from "node:assert/strict";

/** A ROC curve as scikit-learn's `roc_curve` returns it. */
export interface SklearnRocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** Inputs and scikit-learn's outputs for one small classification problem. */
export interface SklearnCase {
  name: string;
  k: number;
  yTrue: number[];
  /** Row-major `yTrue.length x k` probabilities. */
  proba: number[];
  yPred: number[];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  perClass: { precision: number; recall: number; f1: number; support: number }[];
  confusionMatrix: number[][];
  rocAuc: number | null;
  logLoss: number;
  logLossSklearn: number;
  rocCurve: SklearnRocCurve | null;
  rocCurveDropped: SklearnRocCurve | null;
}

/** The case's true classes as an `Int32Array`. */
export function yTrueOf(c: SklearnCase): Int32Array {
  return Int32Array.from(c.yTrue);
}

/** The case's predicted classes as an `Int32Array`. */
export function yPredOf(c: SklearnCase): Int32Array {
  return Int32Array.from(c.yPred);
}

/** The case's probabilities as a `Float64Array`. */
export function probaOf(c: SklearnCase): Float64Array {
  return Float64Array.from(c.proba);
}

/** The positive-class (index 1) probability column of a binary case. */
export function positiveScoresOf(c: SklearnCase): Float64Array {
  return Float64Array.from(c.proba.filter((_, i) => i % 2 === 1));
}

/** Asserts two numbers agree to within `tolerance` (absolute), naming `what` on failure. */
export function assertClose(actual: number, expected: number, what: string, tolerance = 1e-12) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: expected ${expected}, got ${actual}`,
  );
}

/** Asserts two number lists agree element-wise to within `tolerance`. */
export function assertAllClose(
  actual: readonly number[],
  expected: readonly number[],
  what: string,
  tolerance = 1e-12,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (a === e) return;
    assertClose(a, e, `${what}[${i}]`, tolerance);
  });
}
