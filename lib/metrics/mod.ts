/**
 * Classification metrics for FluxOps models, checked against scikit-learn. Inputs are class
 * indices (`Int32Array`) and row-major class probabilities (`Float64Array`, `n x k`).
 *
 * @example
 * ```ts
 * import { evaluate } from "./mod.ts";
 * const m = evaluate(new Int32Array([0, 1]), new Float64Array([0.9, 0.1, 0.2, 0.8]), ["a", "b"]);
 * m.accuracy; // 1
 * ```
 * @module
 */

export { accuracy } from "./accuracy.ts";
export { argmaxRows } from "./argmax.ts";
export { confusionMatrix } from "./confusion_matrix.ts";
export { type ClassificationMetrics, type ClassMetrics, evaluate } from "./evaluate.ts";
export { logLoss, type LogLossOptions } from "./log_loss.ts";
export {
  type Average,
  type ClassScores,
  type PrecisionRecallF1,
  precisionRecallF1,
  scoresFromConfusion,
} from "./precision_recall_f1.ts";
export { rocAuc } from "./roc_auc.ts";
export { type RocCurve, rocCurve, type RocCurveOptions } from "./roc_curve.ts";
