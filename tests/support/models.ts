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

/** A small model on `nFeatures` synthetic features, with the given class labels. */
export function smallModel(
  { nFeatures = 4, classes = [0, 1] as Label[], trees = 5, seed = 1 } = {},
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
