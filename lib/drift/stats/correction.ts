/**
 * Deciding which of many tests reject: a p-value below α would, across 10 features tested on
 * drift-free data, flag at least one feature in about 40% of windows. Bonferroni (reject when
 * p < α / m) keeps the chance of any false alarm under α; Benjamini-Hochberg keeps the
 * expected share of false alarms among the flagged ones under α, and flags more when many
 * features truly drift.
 * @module
 */

/** How the p-values of the features' tests are combined. */
export type Correction = "bonferroni" | "fdr";

/** The corrections, for usage messages. */
export const CORRECTIONS: readonly Correction[] = ["bonferroni", "fdr"];

/**
 * Which tests reject at level `alpha` under `correction`; NaN p-values never reject.
 *
 * @example
 * ```ts
 * import { rejected } from "./correction.ts";
 * rejected([0.001, 0.02, 0.5], 0.05, "bonferroni"); // [true, false, false]
 * rejected([0.001, 0.02, 0.5], 0.05, "fdr"); // [true, true, false]
 * ```
 */
export function rejected(
  pValues: readonly number[],
  alpha: number,
  correction: Correction = "bonferroni",
): boolean[] {
  const m = pValues.length;
  if (correction === "bonferroni") return pValues.map((p) => p < alpha / m);
  // Benjamini-Hochberg: the largest rank k with p_(k) ≤ k·α/m; reject ranks 1..k.
  const order = pValues.map((p, i) => [p, i] as const)
    .filter(([p]) => !Number.isNaN(p))
    .sort((a, b) => a[0] - b[0]);
  let k = 0;
  order.forEach(([p], r) => {
    if (p <= ((r + 1) * alpha) / m) k = r + 1;
  });
  const out = pValues.map(() => false);
  for (let r = 0; r < k; r++) out[order[r]![1]] = true;
  return out;
}
