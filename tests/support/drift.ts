/**
 * Models with known training histograms for the drift tests: a real forest whose features are
 * recorded as uniform on [0, 1) (decile edges 0, 0.1, ..., 1 and a tenth of the rows per bin),
 * and seeded rows drawn like that training data or with chosen features shifted.
 * @module
 */
import { Rng } from "../../lib/data/random.ts";
import {
  buildArtifact,
  type LoadedModel,
  parseModel,
  serializeModel,
} from "../../lib/model/artifact.ts";
import type { FeatureStats } from "../../lib/model/feature_stats.ts";
import { smallModel } from "./models.ts";

/** Uniform [0, 1) training statistics for each name. */
export function uniformStats(names: readonly string[]): FeatureStats[] {
  return names.map((name) => ({
    name,
    min: 0,
    max: 1,
    mean: 0.5,
    std: Math.sqrt(1 / 12),
    bin_edges: Array.from({ length: 11 }, (_, i) => i / 10),
    bin_frequencies: new Array<number>(10).fill(0.1),
  }));
}

/** A model of `nFeatures` features (named f0, f1, ...) trained on uniform [0, 1) values. */
export function uniformModel(
  { nFeatures = 3, seed = 1, features, classFrequencies, metrics = {} }: {
    nFeatures?: number;
    seed?: number;
    features?: FeatureStats[];
    classFrequencies?: number[];
    metrics?: Record<string, unknown>;
  } = {},
): LoadedModel {
  const base = smallModel({ nFeatures, seed });
  const names = Array.from({ length: nFeatures }, (_, i) => `f${i}`);
  const artifact = buildArtifact({
    target: "y",
    classes: [0, 1],
    features: features ?? uniformStats(names),
    forest: base.forest,
    params: { seed },
    metrics,
    ...(classFrequencies ? { classFrequencies } : {}),
    engine: { name: "native", version: "1.0.0" },
  });
  return parseModel(serializeModel(artifact));
}

/**
 * `nRows` rows of `p` uniform [0, 1) values from `rng`, with `shift[f]` added to feature `f`.
 */
export function uniformRows(
  rng: Rng,
  nRows: number,
  p: number,
  shift: Readonly<Record<number, number>> = {},
): Float64Array {
  const x = new Float64Array(nRows * p);
  for (let i = 0; i < nRows; i++) {
    for (let f = 0; f < p; f++) x[i * p + f] = rng.next() + (shift[f] ?? 0);
  }
  return x;
}

export { Rng };
