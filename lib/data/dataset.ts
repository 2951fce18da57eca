/**
 * The in-memory dataset every FluxOps component trains on, evaluates on and scores.
 * @module
 */

/** A class label as it appeared in the training data. */
export type Label = string | number;

/** A numeric feature matrix with encoded class labels. */
export interface Dataset {
  /** Feature column names, in column order. */
  readonly featureNames: readonly string[];
  /** Name of the target column. */
  readonly target: string;
  /** Number of rows. */
  readonly nRows: number;
  /** Number of feature columns. */
  readonly nFeatures: number;
  /** Row-major feature values: `x[row * nFeatures + col]`. */
  readonly x: Float64Array;
  /** Class index of each row, into `classes`. */
  readonly y: Int32Array;
  /** Original class labels in sorted order (numbers ascending, else strings by code point). */
  readonly classes: readonly Label[];
}
