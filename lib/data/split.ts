/**
 * Seeded, stratified train/test splits and row subsets of a dataset.
 * @module
 */

import { InvalidInput } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { Rng } from "./random.ts";

/** Options of {@linkcode stratifiedSplit}. */
export interface SplitOptions {
  /** Fraction of each class that goes to the test set, in (0, 1). Default 0.2. */
  testSize?: number;
  /** Seed of the shuffle. Default 42. */
  seed?: number;
}

/** The two sides of a split. */
export interface Split {
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * Splits a dataset into train and test sets, class by class: each class's rows are shuffled
 * and `round(testSize * count)` of them go to the test set, but at least one row stays on each
 * side when the class has two or more. Rows keep their original order within each side, and
 * both sides keep the dataset's full `classes` list, so class indices mean the same in both.
 *
 * @throws {InvalidInput} when `testSize` is not in (0, 1) or a side would be empty.
 * @example
 * ```ts
 * import { seedWorkload } from "./make_classification.ts";
 * import { stratifiedSplit } from "./split.ts";
 * const { train, test } = stratifiedSplit(seedWorkload(), { testSize: 0.2, seed: 42 });
 * console.log(train.nRows, test.nRows); // 800 200
 * ```
 */
export function stratifiedSplit(
  ds: Dataset,
  { testSize = 0.2, seed = 42 }: SplitOptions = {},
): Split {
  if (!(testSize > 0 && testSize < 1)) {
    throw new InvalidInput(`testSize must be in (0, 1), got ${testSize}`);
  }
  const byClass: number[][] = ds.classes.map(() => []);
  ds.y.forEach((k, r) => byClass[k]?.push(r));
  const inTest = new Uint8Array(ds.nRows);
  byClass.forEach((rows, k) => {
    // One stream per class: a class's split does not depend on the other classes' sizes.
    Rng.derive(seed, k).shuffle(rows);
    let nTest = Math.round(testSize * rows.length);
    if (rows.length >= 2) nTest = Math.min(Math.max(nTest, 1), rows.length - 1);
    for (let i = 0; i < nTest; i++) inTest[rows[i]!] = 1;
  });
  const nTest = inTest.reduce((n, t) => n + t, 0);
  if (nTest === 0 || nTest === ds.nRows) {
    throw new InvalidInput(
      `testSize ${testSize} leaves the ${nTest === 0 ? "test" : "training"} set empty ` +
        `(${ds.nRows} rows)`,
    );
  }
  const train = new Int32Array(ds.nRows - nTest);
  const test = new Int32Array(nTest);
  let a = 0;
  let b = 0;
  for (let r = 0; r < ds.nRows; r++) {
    if (inTest[r]) test[b++] = r;
    else train[a++] = r;
  }
  return { train: subset(ds, train), test: subset(ds, test) };
}

/**
 * Returns the given rows of a dataset, in the given order (repeats allowed), with the same
 * features and classes.
 * @throws {InvalidInput} when a row index is out of range.
 */
export function subset(ds: Dataset, rows: Int32Array): Dataset {
  const nF = ds.nFeatures;
  const x = new Float64Array(rows.length * nF);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    if (r < 0 || r >= ds.nRows) {
      throw new InvalidInput(`rows[${i}]: ${r} is out of range 0..${ds.nRows - 1}`);
    }
    for (let j = 0; j < nF; j++) x[i * nF + j] = ds.x[r * nF + j]!;
    y[i] = ds.y[r]!;
  });
  return {
    featureNames: ds.featureNames,
    target: ds.target,
    nRows: rows.length,
    nFeatures: nF,
    x,
    y,
    classes: ds.classes,
  };
}
