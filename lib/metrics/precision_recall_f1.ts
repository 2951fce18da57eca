/**
 * Precision, recall and F1, per class and averaged.
 * @module
 */

import { confusionMatrix } from "./confusion_matrix.ts";
import { InvalidInput } from "../errors.ts";

/** How per-class scores are summarised: the positive class (index 1) or the macro mean. */
export type Average = "binary" | "macro";

/** Precision, recall and F1 of one class, and its number of true rows. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Averaged scores plus the per-class values they came from. */
export interface PrecisionRecallF1 {
  average: Average;
  precision: number;
  recall: number;
  f1: number;
  /** One entry per class, in class-index order. */
  perClass: ClassScores[];
}

/**
 * Computes precision, recall and F1 like scikit-learn's `precision_recall_fscore_support` with
 * `zero_division=0`: a ratio with a zero denominator is 0.
 *
 * `"binary"` reports class index 1 as the positive class. `"macro"` takes the unweighted mean
 * over the classes that occur in `yTrue` or `yPred` (scikit-learn's default label set); classes
 * absent from both still get a zero row in `perClass`.
 *
 * @param average defaults to `"binary"` for two classes, else `"macro"`.
 * @example
 * ```ts
 * import { precisionRecallF1 } from "./precision_recall_f1.ts";
 * const s = precisionRecallF1(new Int32Array([0, 1, 1]), new Int32Array([0, 1, 0]), 2);
 * s.precision; // 1
 * s.recall; // 0.5
 * ```
 */
export function precisionRecallF1(
  yTrue: Int32Array,
  yPred: Int32Array,
  nClasses: number,
  average: Average = nClasses === 2 ? "binary" : "macro",
): PrecisionRecallF1 {
  if (average === "binary" && nClasses !== 2) {
    throw new InvalidInput(
      `precisionRecallF1(): average "binary" needs exactly 2 classes, got ${nClasses}`,
    );
  }
  return scoresFromConfusion(confusionMatrix(yTrue, yPred, nClasses), average);
}

/**
 * Same as {@link precisionRecallF1}, from a confusion matrix (rows = true class,
 * columns = predicted class) that is already at hand.
 */
export function scoresFromConfusion(
  matrix: readonly (readonly number[])[],
  average: Average,
): PrecisionRecallF1 {
  const k = matrix.length;
  if (average === "binary" && k !== 2) {
    throw new InvalidInput(
      `scoresFromConfusion(): average "binary" needs a 2 x 2 matrix, got ${k} x ${k}`,
    );
  }
  const predicted = new Float64Array(k);
  const support = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    const row = matrix[r]!;
    if (row.length !== k) {
      throw new InvalidInput(
        `scoresFromConfusion(): row ${r} has ${row.length} counts, expected ${k}`,
      );
    }
    for (let c = 0; c < k; c++) {
      support[r]! += row[c]!;
      predicted[c]! += row[c]!;
    }
  }
  const perClass: ClassScores[] = [];
  for (let c = 0; c < k; c++) {
    const tp = matrix[c]![c]!;
    const fp = predicted[c]! - tp;
    const fn = support[c]! - tp;
    perClass.push({
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      // scikit-learn's form, not 2pr/(p+r), so the last bits agree with it.
      f1: ratio(2 * tp, 2 * tp + fp + fn),
      support: support[c]!,
    });
  }
  if (average === "binary") {
    const { precision, recall, f1 } = perClass[1]!;
    return { average, precision, recall, f1, perClass };
  }
  let precision = 0, recall = 0, f1 = 0, present = 0;
  for (let c = 0; c < k; c++) {
    if (support[c] === 0 && predicted[c] === 0) continue;
    const s = perClass[c]!;
    precision += s.precision;
    recall += s.recall;
    f1 += s.f1;
    present++;
  }
  if (present === 0) return { average, precision: 0, recall: 0, f1: 0, perClass };
  return {
    average,
    precision: precision / present,
    recall: recall / present,
    f1: f1 / present,
    perClass,
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
