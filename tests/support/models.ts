/**
 * Trained models for the function tests, built in memory.
 * @module
 */
import type { Label } from "../../lib/data/dataset.ts";
import { makeClassification } from "../../lib/data/make_classification.ts";
import { trainForest } from "../../lib/forest/train.ts";
import {
  buildArtifact,
  type LoadedModel,
  parseModel,
  serializeModel,
} from "../../lib/model/artifact.ts";
import { featureStats } from "../../lib/model/feature_stats.ts";
import { encodeSignature, type SigningKey, signModel } from "../../lib/model/signing.ts";

/** What {@link smallModel} varies. */
export interface SmallModelOptions {
  nFeatures?: number;
  classes?: Label[];
  trees?: number;
  seed?: number;
}

/** A small model on `nFeatures` synthetic features, with the given class labels. */
export function smallModel(
  { nFeatures = 4, classes = [0, 1] as Label[], trees = 5, seed = 1 }: SmallModelOptions = {},
): LoadedModel {
  const ds = makeClassification({
    nSamples: 200,
    nFeatures,
    nInformative: Math.min(nFeatures, 3),
    nRedundant: 0,
    nClasses: classes.length,
    nClustersPerClass: 1,
    classSep: 2,
    seed,
  });
  const forest = trainForest({ ...ds, nClasses: classes.length }, { n_estimators: trees, seed });
  const artifact = buildArtifact({
    target: "y",
    classes,
    features: featureStats(ds.featureNames, ds.x, ds.nRows),
    forest,
    params: { n_estimators: trees },
    metrics: { accuracy: 1 },
    engine: { name: "native", version: "1.0.0" },
  });
  return parseModel(serializeModel(artifact));
}

/**
 * The model.json bytes of a {@link smallModel}: target `y`, the given `params` and `metrics` (none
 * by default), and `createdAt` (its version's time stamp; now when not given).
 */
export function smallModelJson(
  { params = {}, metrics = {}, createdAt, ...model }: SmallModelOptions & {
    params?: Record<string, unknown>;
    metrics?: Record<string, number>;
    createdAt?: Date;
  } = {},
): Uint8Array {
  const m = smallModel(model);
  return new TextEncoder().encode(serializeModel(buildArtifact({
    target: "y",
    classes: m.artifact.classes,
    features: m.artifact.features,
    forest: m.forest,
    params,
    metrics,
    engine: { name: "native", version: "1.0.0" },
    ...(createdAt ? { createdAt } : {}),
  })));
}

/** A model folder to publish: `model.json`, and `model.sig` over it when `signWith` is given. */
export function modelFolder(modelJson: Uint8Array, signWith?: SigningKey): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>([["model.json", modelJson]]);
  if (signWith) out.set("model.sig", encodeSignature(signModel(modelJson, signWith)));
  return out;
}
