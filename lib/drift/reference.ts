/**
 * What drift is measured against: the training histograms a model carries (each feature's
 * quantile bin edges and training bin fractions, see `lib/model/feature_stats.ts`), unpacked
 * into typed arrays for binning rows on the hot path.
 * @module
 */
import { InvalidModel } from "../errors.ts";
import type { FeatureStats } from "../model/feature_stats.ts";

/** A model's training histograms, flat and typed. */
export interface DriftReference {
  /** Feature names, in input order. */
  readonly names: readonly string[];
  /** Bins per feature (10 for FluxOps models). */
  readonly bins: number;
  /**
   * The interior edges of every feature, `bins - 1` per feature: feature `f`'s edges are
   * `edges[f * (bins - 1) .. (f + 1) * (bins - 1)]` (the outer edges, training min and max,
   * play no part: values beyond them fall in the first or last bin).
   */
  readonly edges: Float64Array;
  /** Training fraction of every bin, `bins` per feature. */
  readonly expected: Float64Array;
  /** Every feature's full edges (outer ones included), for reports. */
  readonly fullEdges: readonly (readonly number[])[];
  /** Training minimum and maximum of every feature: values beyond them are out of range. */
  readonly min: Float64Array;
  readonly max: Float64Array;
  /**
   * Training rows the fractions were counted on (the model's `metrics.n_train`), or 0 when the
   * model does not say: the chi-square test then takes the fractions as exact.
   */
  readonly trainRows: number;
}

/** Most bins per feature: the window keeps a bin index and an out-of-range flag in a byte. */
export const MAX_BINS = 127;

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** The training row count a model records (`metrics.n_train`), or 0. */
export function trainRowsOf(metrics: Readonly<Record<string, unknown>>): number {
  const n = metrics.n_train;
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function finiteList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isFinite(x));
}

/**
 * Unpacks `features`' histograms. `source` names the model in errors.
 *
 * @throws {InvalidModel} when a feature has no histogram, or edges and fractions do not fit
 *   (unsorted edges, a count that is not one more than the fractions', a different number of
 *   bins from the other features)
 * @example
 * ```ts
 * import { parseModel, serializeModel } from "../model/artifact.ts";
 * import { trainModel } from "../training/train_model.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const model = parseModel(serializeModel(artifact));
 * import { binIndex, driftReference } from "./reference.ts";
 * const ref = driftReference(model.artifact.features);
 * binIndex(ref, 0, 0.3); // the bin feature 0's value 0.3 falls in
 * ```
 */
export function driftReference(
  features: readonly FeatureStats[],
  source = "model",
  trainRows = 0,
): DriftReference {
  if (features.length === 0) throw new InvalidModel(`${source}: has no features`);
  const first = features[0]!.bin_frequencies;
  const bins = Array.isArray(first) ? first.length : 0;
  const edges = new Float64Array(features.length * Math.max(0, bins - 1));
  const expected = new Float64Array(features.length * bins);
  features.forEach((f, i) => {
    const where = `${source}: feature ${JSON.stringify(f.name)}`;
    const e: unknown = f.bin_edges;
    const p: unknown = f.bin_frequencies;
    if (!finiteList(e) || !finiteList(p)) {
      throw new InvalidModel(`${where} has no training histogram (bin_edges, bin_frequencies)`);
    }
    if (p.length !== bins || bins < 1 || bins > MAX_BINS) {
      throw new InvalidModel(
        `${where}: expected ${bins >= 1 && bins <= MAX_BINS ? bins : `1 to ${MAX_BINS}`} ` +
          `bin fractions, ` +
          `got ${p.length}`,
      );
    }
    if (e.length !== bins + 1) {
      throw new InvalidModel(`${where}: expected ${bins + 1} bin edges, got ${e.length}`);
    }
    for (let j = 1; j < e.length; j++) {
      if (e[j]! < e[j - 1]!) throw new InvalidModel(`${where}: bin edges are not sorted`);
    }
    edges.set(e.slice(1, bins), i * (bins - 1));
    expected.set(p, i * bins);
  });
  return {
    names: features.map((f) => f.name),
    bins,
    edges,
    expected,
    fullEdges: features.map((f) => [...f.bin_edges]),
    min: Float64Array.from(features, (f) => finiteOr(f.min, f.bin_edges[0]!)),
    max: Float64Array.from(features, (f) => finiteOr(f.max, f.bin_edges[bins]!)),
    trainRows: Number.isSafeInteger(trainRows) && trainRows > 0 ? trainRows : 0,
  };
}

/**
 * The bin of value `v` of feature `f`: the number of its interior edges at or below `v`, as
 * `binOf` in `lib/model/feature_stats.ts` (which made the training fractions) counts it.
 */
export function binIndex(ref: DriftReference, f: number, v: number): number {
  const k = ref.bins - 1;
  const base = f * k;
  const edges = ref.edges;
  let b = 0;
  while (b < k && v >= edges[base + b]!) b++;
  return b;
}
