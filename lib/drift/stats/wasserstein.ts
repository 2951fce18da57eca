/**
 * The first Wasserstein (earth mover's) distance between two samples of one variable, as
 * `scipy.stats.wasserstein_distance(u, v)`: the area between their empirical CDFs,
 * Σ |F_u(x_i) − F_v(x_i)| · (x_{i+1} − x_i) over the pooled sorted values.
 * @module
 */

/**
 * The Wasserstein distance of two samples sorted ascending (finite, non-empty).
 *
 * @example
 * ```ts
 * import { wassersteinSorted } from "./wasserstein.ts";
 * wassersteinSorted(Float64Array.of(0, 1, 3), Float64Array.of(5, 6, 8)); // 5
 * ```
 */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const n = u.length;
  const m = v.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let prev = Math.min(u[0]!, v[0]!);
  while (i < n || j < m) {
    const x = j >= m || (i < n && u[i]! <= v[j]!) ? u[i]! : v[j]!;
    // The CDFs are constant on [prev, x): their gap times the width.
    if (x > prev) sum += Math.abs(i / n - j / m) * (x - prev);
    while (i < n && u[i]! <= x) i++;
    while (j < m && v[j]! <= x) j++;
    prev = x;
  }
  return sum;
}

/** The population standard deviation (numpy's `std`, ddof 0), by two passes. */
export function populationStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / n);
}
