/**
 * Prediction drift: the classes the model predicted for recent rows against the class
 * frequencies of its training data (`class_frequencies` in model.json), by the same chi-square
 * and Jensen-Shannon figures as the inputs. Models trained before those frequencies were
 * recorded load and serve as before; their prediction drift says why it is unavailable.
 * @module
 */
import type { Label } from "../data/dataset.ts";
import { chi2Homogeneity } from "./binned_tests.ts";
import { chi2Gof, jsDistance } from "./stats/bins.ts";

/** Prediction drift of recent rows. */
export type PredictionDrift =
  | {
    readonly available: true;
    /** Rows predicted. */
    readonly rows: number;
    /** Training class fractions, by class label. */
    readonly training: Readonly<Record<string, number>>;
    /** Fractions of the recent predictions, by class label. */
    readonly recent: Readonly<Record<string, number>>;
    readonly chi2_p_value: number;
    readonly js_distance: number;
    /** p-value below α (one test: no correction). */
    readonly drifted: boolean;
  }
  | { readonly available: false; readonly reason: string };

/** Why a model has no prediction drift. */
export const NO_CLASS_FREQUENCIES =
  "the model records no training class frequencies (trained before FluxOps kept them): " +
  "retrain it for prediction drift";

/**
 * The prediction drift of `counts` (rows predicted as each class) against the model's
 * training `frequencies`, or why there is none.
 */
export function predictionDrift(
  classes: readonly Label[],
  frequencies: readonly number[] | undefined,
  counts: ArrayLike<number>,
  alpha: number,
  trainRows = 0,
): PredictionDrift {
  if (frequencies === undefined) return { available: false, reason: NO_CLASS_FREQUENCIES };
  let rows = 0;
  for (let c = 0; c < classes.length; c++) rows += counts[c]!;
  const p = rows === 0
    ? 1
    : trainRows > 0
    ? chi2Homogeneity(frequencies, trainRows, counts).pValue
    : chi2Gof(frequencies, counts).pValue;
  return {
    available: true,
    rows,
    training: Object.fromEntries(classes.map((c, i) => [String(c), frequencies[i]!])),
    recent: Object.fromEntries(
      classes.map((c, i) => [String(c), rows === 0 ? 0 : counts[i]! / rows]),
    ),
    chi2_p_value: p,
    js_distance: rows === 0 ? 0 : jsDistance(frequencies, counts),
    drifted: p < alpha,
  };
}
