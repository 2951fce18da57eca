/**
 * A feature's figures over the model's training deciles, the same offline and online: PSI,
 * Jensen-Shannon distance and the chi-square p-value of the recent bin counts against the
 * training bin frequencies.
 *
 * The chi-square test: when the model records how many rows it was trained on, the training
 * side is a sample too (its decile fractions are estimates), so the test is the 2 × bins
 * homogeneity test of recent against training counts (`scipy.stats.chi2_contingency(...,
 * correction=False)`); its null distribution holds whatever the window size. Without that
 * count, the goodness of fit against the fractions taken as exact (`scipy.stats.chisquare`),
 * whose false alarms grow with the window as the training fractions' own noise is detected.
 * @module
 */
import { psiTerm } from "./psi.ts";
import type { DriftReference } from "./reference.ts";
import {
  chi2Gof,
  chi2GofStatistic,
  type Chi2Result,
  EMPTY_BIN_FRACTION,
  jsDistance,
} from "./stats/bins.ts";
import { chi2Sf } from "./stats/gamma.ts";

/** The binned figures of one feature. */
export interface BinnedFigures {
  readonly psi: number;
  /** Jensen-Shannon distance, base 2, between the training and recent bin fractions. */
  readonly js_distance: number;
  readonly chi2_p_value: number;
}

/**
 * The 2 × k homogeneity chi-square of `counts` (n rows) against training `fractions` of
 * `trainRows` rows; bins empty on both sides are left out.
 */
export function chi2Homogeneity(
  fractions: ArrayLike<number>,
  trainRows: number,
  counts: ArrayLike<number>,
  fOffset = 0,
  cOffset = 0,
  k = fractions.length - fOffset,
): Chi2Result {
  let n = 0;
  for (let b = 0; b < k; b++) n += counts[cOffset + b]!;
  if (n === 0) return { statistic: 0, dof: 0, pValue: 1 };
  const { statistic, dof } = chi2HomogeneityStatistic(
    fractions,
    trainRows,
    counts,
    fOffset,
    cOffset,
    k,
    n,
  );
  return { statistic, dof, pValue: dof < 1 ? 1 : chi2Sf(statistic, dof) };
}

/**
 * The chi-square statistic of feature `f` alone (the test `binnedFigures` makes), without its
 * p-value: what the monitor compares with a critical value on every evaluation.
 */
export function chi2Statistic(
  ref: DriftReference,
  counts: ArrayLike<number>,
  n: number,
  f: number,
): { statistic: number; dof: number } {
  const bins = ref.bins;
  const off = f * bins;
  const r = ref.trainRows > 0
    ? chi2HomogeneityStatistic(ref.expected, ref.trainRows, counts, off, off, bins, n)
    : chi2GofStatistic(ref.expected, counts, off, bins, n);
  return r;
}

function chi2HomogeneityStatistic(
  fractions: ArrayLike<number>,
  trainRows: number,
  counts: ArrayLike<number>,
  fOffset: number,
  cOffset: number,
  k: number,
  n: number,
): { statistic: number; dof: number } {
  const total = n + trainRows;
  let stat = 0;
  let used = 0;
  for (let b = 0; b < k; b++) {
    const o = counts[cOffset + b]!;
    const t = fractions[fOffset + b]! * trainRows;
    const col = o + t;
    if (col <= 0) continue;
    used++;
    const eo = n * col / total;
    const et = trainRows * col / total;
    stat += (o - eo) * (o - eo) / eo + (t - et) * (t - et) / et;
  }
  return { statistic: stat, dof: used - 1 };
}

const critical = new Map<string, number>();

/**
 * The chi-square critical value of `dof` degrees of freedom at level `alpha`: the statistic
 * above which the p-value is under `alpha` (by bisection on `chi2Sf`, cached).
 */
export function chi2Critical(dof: number, alpha: number): number {
  const key = `${dof}:${alpha}`;
  const hit = critical.get(key);
  if (hit !== undefined) return hit;
  let lo = 0;
  let hi = Math.max(10, dof * 4);
  while (chi2Sf(hi, dof) > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (chi2Sf(mid, dof) > alpha) lo = mid;
    else hi = mid;
  }
  critical.set(key, hi);
  return hi;
}

/** The binned figures of feature `f` for `counts` (laid out as the window's) over `n` rows. */
export function binnedFigures(
  ref: DriftReference,
  counts: ArrayLike<number>,
  n: number,
  f: number,
): BinnedFigures {
  const bins = ref.bins;
  const off = f * bins;
  if (n === 0) return { psi: 0, js_distance: 0, chi2_p_value: 1 };
  let psi = 0;
  for (let b = 0; b < bins; b++) psi += psiTerm(ref.expected[off + b]!, counts[off + b]! / n);
  const chi = ref.trainRows > 0
    ? chi2Homogeneity(ref.expected, ref.trainRows, counts, off, off, bins)
    : chi2Gof(ref.expected, counts, off, bins);
  return {
    psi,
    js_distance: jsDistance(ref.expected, counts, off, off, bins),
    chi2_p_value: chi.pValue,
  };
}

export { EMPTY_BIN_FRACTION };
