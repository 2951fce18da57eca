/**
 * Batch scoring: probabilities and labels for a table of rows, optional accuracy against a
 * target column, and the scores as CSV.
 * @module
 */
import type { FeatureTable } from "../data/csv.ts";
import type { Label } from "../data/dataset.ts";
import { argmaxRows, predictProba } from "../forest/predict.ts";
import type { LoadedModel } from "../model/artifact.ts";

/** Scores of a table. */
export interface BatchScores {
  readonly nRows: number;
  readonly proba: Float64Array;
  readonly predicted: Int32Array;
  /** Accuracy when the table had the target column, else null. */
  readonly accuracy: number | null;
}

/** Scores every row of `table` with `model`. */
export function scoreTable(
  model: LoadedModel,
  table: FeatureTable,
  { compile = false }: { compile?: boolean } = {},
): BatchScores {
  const { forest, artifact } = model;
  const proba = predictProba(forest, table.x, table.nRows, { compile });
  const predicted = argmaxRows(proba, forest.nClasses);
  let accuracy: number | null = null;
  if (table.targetValues) {
    const classes = artifact.classes.map(String);
    let hits = 0;
    table.targetValues.forEach((label, i) => {
      if (classes[predicted[i]!] === String(label)) hits++;
    });
    accuracy = table.nRows > 0 ? hits / table.nRows : null;
  }
  return { nRows: table.nRows, proba, predicted, accuracy };
}

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim()
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** Renders scores as CSV: `prediction`, then `p_<class>` per class. */
export function* scoresCsv(scores: BatchScores, classes: readonly Label[]): Generator<string> {
  const k = classes.length;
  yield [csvField("prediction"), ...classes.map((c) => csvField(`p_${c}`))].join(",") + "\n";
  const labels = classes.map((c) => csvField(String(c)));
  let chunk = "";
  for (let i = 0; i < scores.nRows; i++) {
    let line = labels[scores.predicted[i]!]!;
    for (let c = 0; c < k; c++) line += "," + scores.proba[i * k + c]!;
    chunk += line + "\n";
    if (chunk.length > 1 << 16) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}
