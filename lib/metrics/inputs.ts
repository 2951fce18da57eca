/**
 * Argument checks shared by the metric functions. Each throws {@link InvalidInput} with a
 * message naming the function and the offending position.
 * @module
 */

import { InvalidInput } from "../errors.ts";

/** Throws unless `nClasses` is an integer of at least `min`. */
export function checkClassCount(fn: string, nClasses: number, min = 2): void {
  if (!Number.isInteger(nClasses) || nClasses < min) {
    throw new InvalidInput(`${fn}: expected at least ${min} classes, got ${nClasses}`);
  }
}

/** Throws unless `values` is non-empty and every entry is a class index in `0..nClasses-1`. */
export function checkClassIndices(
  fn: string,
  name: string,
  values: Int32Array,
  nClasses: number,
): void {
  if (values.length === 0) throw new InvalidInput(`${fn}: ${name} is empty`);
  for (let i = 0; i < values.length; i++) {
    const c = values[i]!;
    if (c < 0 || c >= nClasses) {
      throw new InvalidInput(
        `${fn}: ${name}[${i}] = ${c} is not a class index in 0..${nClasses - 1}`,
      );
    }
  }
}

/** Throws unless `a` and `b` have the same length. */
export function checkSameLength(
  fn: string,
  names: readonly [string, string],
  a: ArrayLike<unknown>,
  b: ArrayLike<unknown>,
): void {
  if (a.length !== b.length) {
    throw new InvalidInput(
      `${fn}: ${names[0]} has ${a.length} values but ${names[1]} has ${b.length}`,
    );
  }
}

/**
 * Throws unless `proba` holds `nRows` x `nClasses` probabilities, each a finite number in
 * [0, 1].
 */
export function checkProbabilities(
  fn: string,
  proba: Float64Array,
  nRows: number,
  nClasses: number,
): void {
  if (proba.length !== nRows * nClasses) {
    throw new InvalidInput(
      `${fn}: proba has ${proba.length} values, expected ${nRows * nClasses} ` +
        `(${nRows} rows x ${nClasses} classes)`,
    );
  }
  for (let i = 0; i < proba.length; i++) {
    const p = proba[i]!;
    if (!(p >= 0 && p <= 1)) {
      const row = Math.floor(i / nClasses);
      throw new InvalidInput(
        `${fn}: proba[${row}][${i - row * nClasses}]: expected a probability in [0, 1], got ${p}`,
      );
    }
  }
}
