/**
 * Data quality beside drift: per feature, how many values fell outside the training range,
 * were missing, or were not numbers; and, in the function, how many rows it refused and why.
 * @module
 */

/** Per-feature quality counts. */
export interface FeatureQuality {
  /** Values below the training minimum or above the training maximum. */
  readonly out_of_range: number;
  /** Empty cells. */
  readonly missing: number;
  /** Cells that are not a finite number. */
  readonly non_numeric: number;
  /** Each count as a share of the rows. */
  readonly share_out_of_range: number;
  readonly share_missing: number;
  readonly share_non_numeric: number;
}

/** Quality counts as shares of `rows`. */
export function featureQuality(
  outOfRange: number,
  missing: number,
  nonNumeric: number,
  rows: number,
): FeatureQuality {
  const share = (c: number) => (rows === 0 ? 0 : c / rows);
  return {
    out_of_range: outOfRange,
    missing,
    non_numeric: nonNumeric,
    share_out_of_range: share(outOfRange),
    share_missing: share(missing),
    share_non_numeric: share(nonNumeric),
  };
}

/** Why the function refused a request's rows. */
export type RefusalCause =
  | "non_numeric"
  | "missing"
  | "wrong_shape"
  | "unknown_feature"
  | "malformed";

/** Every cause, in report order. */
export const REFUSAL_CAUSES: readonly RefusalCause[] = [
  "non_numeric",
  "missing",
  "wrong_shape",
  "unknown_feature",
  "malformed",
];

/**
 * The cause of an `invalid_input` refusal, from its message (the parsers name the problem in
 * words: "expected a finite number, got null", "missing feature", "expected 4 features").
 */
export function refusalCause(message: string): RefusalCause {
  if (/expected a finite number, got (null|undefined)\b/.test(message)) return "missing";
  if (/expected a finite number/.test(message) || /\bNaN\b|non-finite/.test(message)) {
    return "non_numeric";
  }
  if (/missing feature/.test(message)) return "missing";
  if (/unknown feature/.test(message)) return "unknown_feature";
  if (/expected \d+ features|shape|expected an array/.test(message)) return "wrong_shape";
  return "malformed";
}

/** Refused rows per cause (a request whose rows could not be counted counts as one). */
export type RefusalCounts = Record<RefusalCause, number>;

/** All causes at zero. */
export function noRefusals(): RefusalCounts {
  return { non_numeric: 0, missing: 0, wrong_shape: 0, unknown_feature: 0, malformed: 0 };
}
