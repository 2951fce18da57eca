/**
 * `deno task bench`: micro-benchmarks of the native engine on the seed workload (no Python
 * needed). The side-by-side comparison with scikit-learn is `deno task bench:compare`.
 * @module
 */
import { seedWorkload } from "../lib/data/make_classification.ts";
import { predictProba } from "../lib/forest/predict.ts";
import { referenceProba } from "../lib/forest/reference_walk.ts";
import { trainForest } from "../lib/forest/train.ts";
import { buildArtifact, parseModel, serializeModel } from "../lib/model/artifact.ts";
import { featureStats } from "../lib/model/feature_stats.ts";

const ds = seedWorkload();
const data = { ...ds, nClasses: ds.classes.length };
const forest = trainForest(data, { n_estimators: 100 });
const batch = new Float64Array(100_000 * ds.nFeatures);
for (let i = 0; i < batch.length; i++) batch[i] = ds.x[i % ds.x.length]!;
const one = ds.x.slice(0, ds.nFeatures);
const text = serializeModel(
  buildArtifact({
    target: ds.target,
    classes: ds.classes,
    features: featureStats(ds.featureNames, ds.x, ds.nRows),
    forest,
    params: {},
    metrics: {},
    engine: { name: "native", version: "1.0.0" },
  }),
);

Deno.bench(
  "train 100 trees, seed workload (1,000 x 10)",
  { group: "train", baseline: true },
  () => {
    trainForest(data, { n_estimators: 100 });
  },
);
Deno.bench("train 10 trees, seed workload", { group: "train" }, () => {
  trainForest(data, { n_estimators: 10 });
});
Deno.bench("predict_proba 1 row, 100 trees", { group: "predict" }, () => {
  predictProba(forest, one, 1);
});
let next = 0;
Deno.bench(
  "predict_proba 1 row, 100 trees, a different row each call",
  { group: "predict" },
  () => {
    const at = (next = (next + 1) % ds.nRows) * ds.nFeatures;
    predictProba(forest, ds.x.subarray(at, at + ds.nFeatures), 1);
  },
);
Deno.bench("predict_proba 1,000 rows, 100 trees", { group: "predict" }, () => {
  predictProba(forest, batch.subarray(0, 1000 * ds.nFeatures), 1000);
});
Deno.bench("predict_proba 100,000 rows, 100 trees", { group: "predict", n: 5 }, () => {
  predictProba(forest, batch, 100_000);
});
Deno.bench(
  "reference array walk (before the kernel), 100,000 rows, 100 trees",
  { group: "predict", n: 5 },
  () => {
    referenceProba(forest, batch, 100_000);
  },
);
Deno.bench("load and verify model.json (100 trees)", { group: "model" }, () => {
  parseModel(text);
});
