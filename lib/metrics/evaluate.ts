/**
 * One call that scores a classifier's test-set probabilities with every FluxOps metric.
 * @module
 */

import type { Label } from "../data/dataset.ts";
import { InvalidInput } from "../errors.ts";
import { argmaxRows } from "./argmax.ts";
import { confusionMatrix } from "./confusion_matrix.ts";
import { checkClassCount, checkClassIndices, checkProbabilities } from "./inputs.ts";
import { logLoss } from "./log_loss.ts";
import { type Average, scoresFromConfusion } from "./precision_recall_f1.ts";
import { rocAuc } from "./roc_auc.ts";

/** Scores of one class, in the JSON shape of {@link ClassificationMetrics}. */
export interface ClassMetrics {
  label: Label;
  precision: number;
  recall: number;
  f1: number;
  /** Number of rows whose true class this is. */
  support: number;
}

/** Every metric of a classifier on a test set, as a plain JSON-ready object. */
export interface ClassificationMetrics {
  accuracy: number;
  /** Precision of class index 1 (`"binary"`) or the macro mean (`"macro"`). */
  precision: number;
  recall: number;
  f1: number;
  /** `null` when `yTrue` holds a single class and the AUC is undefined. */
  roc_auc: number | null;
  log_loss: number;
  /** Counts; rows are true classes, columns predicted classes. */
  confusion_matrix: number[][];
  classes: Label[];
  per_class: ClassMetrics[];
  average: Average;
}

/**
 * Scores class probabilities against the true classes. Predictions are each row's most probable
 * class (the first on a tie); two classes are reported as binary with `classes[1]` positive,
 * more as macro averages.
 *
 * @param yTrue true class index of each row, into `classes`
 * @param proba row-major `yTrue.length x classes.length` class probabilities
 * @param classes class labels in index order
 * @example
 * ```ts
 * import { evaluate } from "./evaluate.ts";
 * const proba = new Float64Array([0.8, 0.2, 0.3, 0.7, 0.6, 0.4]);
 * const m = evaluate(new Int32Array([0, 1, 1]), proba, ["no", "yes"]);
 * m.accuracy; // 0.666...
 * m.confusion_matrix; // [[1, 0], [1, 1]]
 * ```
 */
export function evaluate(
  yTrue: Int32Array,
  proba: Float64Array,
  classes: readonly Label[],
): ClassificationMetrics {
  const fn = "evaluate()";
  const k = classes.length;
  checkClassCount(fn, k);
  if (new Set(classes).size !== k) {
    throw new InvalidInput(`${fn}: classes has duplicate labels: ${JSON.stringify(classes)}`);
  }
  checkClassIndices(fn, "yTrue", yTrue, k);
  checkProbabilities(fn, proba, yTrue.length, k);

  const yPred = argmaxRows(proba, k);
  const matrix = confusionMatrix(yTrue, yPred, k);
  let hits = 0;
  for (let c = 0; c < k; c++) hits += matrix[c]![c]!;
  const scores = scoresFromConfusion(matrix, k === 2 ? "binary" : "macro");
  return {
    accuracy: hits / yTrue.length,
    precision: scores.precision,
    recall: scores.recall,
    f1: scores.f1,
    roc_auc: rocAuc(yTrue, proba, k),
    log_loss: logLoss(yTrue, proba, k),
    confusion_matrix: matrix,
    classes: [...classes],
    per_class: scores.perClass.map((s, c) => ({ label: classes[c]!, ...s })),
    average: scores.average,
  };
}
