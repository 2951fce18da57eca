/**
 * The two-sample Kolmogorov-Smirnov test, two-sided, as `scipy.stats.ks_2samp(a, b)` computes
 * it with its default `method="auto"`: the exact null distribution when both samples have at
 * most 10,000 values, else the asymptotic one (`kstwo.sf(d, round(m·n / (m + n)))`, see
 * `kolmogorov.ts`). The exact p-value counts lattice paths (Hodges, 1958): for equal sizes the
 * alternating sum over reflections, summed Horner-wise from the last term; otherwise the
 * proportion of paths leaving the band |x/m − y/n| < d, by Viehmann's (2021) recursion for
 * 1 − p, one column at a time over a sliding window. Should the exact sum fail (not a
 * probability), the asymptotic one is used, as scipy does.
 * @module
 */
import { InvalidInput } from "../../errors.ts";
import { kolmogorovSf } from "./kolmogorov.ts";

/** Largest sample size at which `auto` computes the exact distribution (scipy's MAX_AUTO_N). */
export const KS_MAX_EXACT_N = 10_000;

/** The result of {@link ks2Samp}. */
export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  /** Which null distribution gave the p-value. */
  readonly method: "exact" | "asymp";
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The largest gap between the empirical CDFs of two sorted samples. */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const v = a[i]! <= b[j]! ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = Math.abs(i / n1 - j / n2);
    if (diff > d) d = diff;
  }
  return d;
}

/** P(D ≥ h/n) for two samples of n values each. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/** The proportion of lattice paths from (0,0) to (m,n) that leave |n·x/g − m·y/g| < h. */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, n + 2)).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** The exact two-sided p-value, or `undefined` when the arithmetic failed. */
function exactPValue(n1: number, n2: number, d: number): number | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  if (h === 0) return 1;
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  return Number.isFinite(p) && p >= 0 && p <= 1 ? p : undefined;
}

/** numpy's rounding: halves to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Sorted copy of `values`. */
function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * The two-sided two-sample Kolmogorov-Smirnov test of `a` against `b`.
 *
 * @throws {InvalidInput} when a sample is empty or holds a value that is not a finite number
 * @example
 * ```ts
 * import { ks2Samp } from "./ks.ts";
 * ks2Samp([1, 2, 3, 4], [5, 6, 7, 8]); // { statistic: 1, pValue: 0.0286, method: "exact" }
 * ```
 */
export function ks2Samp(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  for (const [name, s] of [["a", a], ["b", b]] as const) {
    if (s.length === 0) throw new InvalidInput(`ks2Samp(): sample ${name} is empty`);
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s[i]!)) {
        throw new InvalidInput(`ks2Samp(): sample ${name}[${i}] is not a finite number`);
      }
    }
  }
  const sa = sorted(a);
  const sb = sorted(b);
  return ks2SampSorted(sa, sb);
}

/** {@link ks2Samp} of two samples already sorted ascending, finite and non-empty. */
export function ks2SampSorted(sa: Float64Array, sb: Float64Array): KsResult {
  const n1 = sa.length;
  const n2 = sb.length;
  const d = ksStatistic(sa, sb);
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const p = exactPValue(n1, n2, d);
    if (p !== undefined) return { statistic: d, pValue: p, method: "exact" };
  }
  const big = Math.max(n1, n2);
  const small = Math.min(n1, n2);
  const en = big * small / (big + small);
  const p = kolmogorovSf(Math.max(1, roundHalfEven(en)), d);
  return { statistic: d, pValue: Math.min(1, Math.max(0, p)), method: "asymp" };
}
