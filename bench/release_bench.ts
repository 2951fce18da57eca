/**
 * The cost of canary and shadow releases on the one-row predict path, in-process (no HTTP): the
 * handler without a release (the default), with a 10% canary, and in shadow mode (the response
 * only: the candidate scores the same row afterwards, which costs about one more forest pass of
 * CPU but no response time).
 * Both models are 100-tree forests on the seed workload. Run: `deno bench -A bench/release_bench.ts`.
 * @module
 */
import { createHandler } from "../function/handler.ts";
import { seedWorkload } from "../lib/data/make_classification.ts";
import { trainForest } from "../lib/forest/train.ts";
import {
  buildArtifact,
  type LoadedModel,
  parseModel,
  serializeModel,
} from "../lib/model/artifact.ts";
import { featureStats } from "../lib/model/feature_stats.ts";
import { ModelHolder } from "../function/serving/model_holder.ts";
import { Release } from "../function/serving/release.ts";
import { parseReleaseConfig } from "../function/serving/release_config.ts";

const ds = seedWorkload();

function model(seed: number): LoadedModel {
  const forest = trainForest({ ...ds, nClasses: ds.classes.length }, { n_estimators: 100, seed });
  return parseModel(serializeModel(buildArtifact({
    target: ds.target,
    classes: ds.classes,
    features: featureStats(ds.featureNames, ds.x, ds.nRows),
    forest,
    params: {},
    metrics: {},
    engine: { name: "native", version: "1.0.0" },
    createdAt: new Date(Date.UTC(2026, 0, seed)),
  })));
}

const production = new ModelHolder();
production.set(model(1));
const candidate = new ModelHolder();
candidate.set(model(2));
const body = JSON.stringify({ features: Array.from(ds.x.subarray(0, ds.nFeatures)) });

function handlerFor(env: Record<string, string> | undefined) {
  const release = env === undefined ? undefined : new Release({
    config: parseReleaseConfig((name) => env[name]),
    production,
    candidate,
  });
  return { release, handler: createHandler({ holder: production, release, log: () => {} }) };
}

const off = handlerFor(undefined);
const canary = handlerFor({ FLUXOPS_RELEASE_MODE: "canary", FLUXOPS_CANARY_WEIGHT: "0.1" });
const shadow = handlerFor({ FLUXOPS_RELEASE_MODE: "shadow" });
let n = 0;
const request = () =>
  new Request("http://fn/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json", "x-fluxops-subject": `subject-${n++}` },
    body,
  });
/** Requests per measured iteration: shadow mode scores them all once the burst is answered. */
const BURST = 32;
async function burst(handler: (req: Request) => Promise<Response>): Promise<void> {
  for (let i = 0; i < BURST; i++) await (await handler(request())).arrayBuffer();
}

Deno.bench("32 one-row predicts, no release", { group: "predict", baseline: true }, async () => {
  await burst(off.handler);
});
Deno.bench("32 one-row predicts, 10% canary", { group: "predict" }, async () => {
  await burst(canary.handler);
});
Deno.bench("32 one-row predicts, shadow (responses only)", { group: "predict" }, async (b) => {
  b.start();
  await burst(shadow.handler);
  b.end();
  // The candidate scores after the responses, on a timer; let it finish outside the measurement.
  await shadow.release!.settled();
});
