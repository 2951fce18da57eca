/**
 * Tests on binned data: the chi-square goodness-of-fit p-value of observed bin counts against
 * expected bin fractions, and the Jensen-Shannon distance of two histograms.
 * @module
 */
import { chi2Sf } from "./gamma.ts";

/** Fraction a bin the training data left empty is given, should rows now fall in it. */
export const EMPTY_BIN_FRACTION = 1e-4;

/** The chi-square statistic and its p-value. */
export interface Chi2Result {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness of fit of `counts` (summing to n) against the fractions
 * `expected`: Σ (O − n·e)² / (n·e) on k − 1 degrees of freedom, as
 * `scipy.stats.chisquare(counts, n * expected)`. A bin with no expected rows and no observed
 * ones is left out (k counts the others); one with observed rows but none expected counts as
 * expecting {@link EMPTY_BIN_FRACTION} of the rows. With no rows, or one bin, the p-value is 1.
 */
export function chi2Gof(
  expected: ArrayLike<number>,
  counts: ArrayLike<number>,
  offset = 0,
  k = expected.length - offset,
): Chi2Result {
  let n = 0;
  for (let b = 0; b < k; b++) n += counts[offset + b]!;
  if (n === 0) return { statistic: 0, dof: 0, pValue: 1 };
  const { statistic, dof } = chi2GofStatistic(expected, counts, offset, k, n);
  return { statistic, dof, pValue: dof < 1 ? 1 : chi2Sf(statistic, dof) };
}

/** The statistic and degrees of freedom of {@link chi2Gof}, for counts summing to `n`. */
export function chi2GofStatistic(
  expected: ArrayLike<number>,
  counts: ArrayLike<number>,
  offset: number,
  k: number,
  n: number,
): { statistic: number; dof: number } {
  let stat = 0;
  let used = 0;
  for (let b = 0; b < k; b++) {
    const o = counts[offset + b]!;
    let e = expected[offset + b]!;
    if (e <= 0) {
      if (o === 0) continue;
      e = EMPTY_BIN_FRACTION;
    }
    used++;
    const ne = n * e;
    stat += (o - ne) * (o - ne) / ne;
  }
  return { statistic: stat, dof: used - 1 };
}

/**
 * The Jensen-Shannon distance, base 2 (between 0 and 1), of two histograms given as counts or
 * fractions (each normalised to sum to 1), as `scipy.spatial.distance.jensenshannon(p, q,
 * base=2)`. 0 when either is all zero.
 */
export function jsDistance(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  pOffset = 0,
  qOffset = 0,
  k = p.length - pOffset,
): number {
  let sp = 0;
  let sq = 0;
  for (let b = 0; b < k; b++) {
    sp += p[pOffset + b]!;
    sq += q[qOffset + b]!;
  }
  if (sp <= 0 || sq <= 0) return 0;
  let div = 0;
  for (let b = 0; b < k; b++) {
    const pb = p[pOffset + b]! / sp;
    const qb = q[qOffset + b]! / sq;
    const m = (pb + qb) / 2;
    if (pb > 0) div += pb * Math.log(pb / m);
    if (qb > 0) div += qb * Math.log(qb / m);
  }
  const js = div / 2 / Math.LN2;
  return Math.sqrt(js > 0 ? js : 0);
}
