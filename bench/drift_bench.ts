/**
 * `deno bench bench/drift_bench.ts`: what drift monitoring costs the prediction hot path. The
 * same one-row `POST /api/predict` through the handler with the drift monitor (the default) and
 * without it (`drift: null`), a 1,000-row batch both ways, and the monitor's own work per row:
 * binning 10 features with the out-of-range flags and the predicted class, on the main thread
 * (`DriftMonitor.observe`) and on a serving thread (`DriftRowRelay.observe`, whose batches the
 * main thread then observes). The per-row cost is the 1,000-row figure over 1,000. A plain sum
 * of 10,000 floats is the calibration: it says how fast this machine is today.
 * Request logs go to a no-op so the console does not dominate.
 * @module
 */
import { createHandler } from "../function/handler.ts";
import { seedWorkload } from "../lib/data/make_classification.ts";
import { DriftMonitor } from "../lib/drift/monitor.ts";
import { DriftRowRelay } from "../lib/drift/row_relay.ts";
import { classFrequencies } from "../lib/model/artifact.ts";
import { trainForest } from "../lib/forest/train.ts";
import { buildArtifact, parseModel, serializeModel } from "../lib/model/artifact.ts";
import { featureStats } from "../lib/model/feature_stats.ts";
import { ModelHolder } from "../function/serving/model_holder.ts";

const ds = seedWorkload();
const p = ds.nFeatures;
const model = parseModel(serializeModel(buildArtifact({
  target: ds.target,
  classes: ds.classes,
  features: featureStats(ds.featureNames, ds.x, ds.nRows),
  classFrequencies: classFrequencies(ds.y, ds.classes.length),
  forest: trainForest({ ...ds, nClasses: ds.classes.length }, { n_estimators: 100 }),
  params: {},
  metrics: { n_train: ds.nRows },
  engine: { name: "native", version: "1.0.0" },
})));
const holder = new ModelHolder();
holder.set(model);
const quiet = () => {};
const withDrift = createHandler({ holder, log: quiet, drift: new DriftMonitor() });
const withoutDrift = createHandler({ holder, log: quiet, drift: null });

// Bodies cycle through 200 training rows, as bench/http_load.ts does.
const bodies = Array.from(
  { length: 200 },
  (_, i) => JSON.stringify({ features: Array.from(ds.x.subarray(i * p, (i + 1) * p)) }),
);
const batchBody = JSON.stringify({
  instances: Array.from({ length: 1000 }, (_, i) => Array.from(ds.x.subarray(i * p, (i + 1) * p))),
});
let next = 0;
const request = (body: string) =>
  new Request("http://fn/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });

async function call(handler: (req: Request) => Promise<Response>, body: string): Promise<void> {
  const res = await handler(request(body));
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  await res.arrayBuffer();
}

Deno.bench("one-row predict, no drift monitor", { group: "one row", baseline: true }, async () => {
  await call(withoutDrift, bodies[next++ % 200]!);
});
Deno.bench("one-row predict, drift monitor", { group: "one row" }, async () => {
  await call(withDrift, bodies[next++ % 200]!);
});
Deno.bench("1,000-row predict, no drift monitor", { group: "batch", baseline: true }, async () => {
  await call(withoutDrift, batchBody);
});
Deno.bench("1,000-row predict, drift monitor", { group: "batch" }, async () => {
  await call(withDrift, batchBody);
});

const monitor = new DriftMonitor();
const one = ds.x.slice(0, p);
const thousand = ds.x.subarray(0, 1000 * p);
const predicted = Int32Array.from({ length: 1000 }, (_, i) => ds.y[i]!);
Deno.bench("DriftMonitor.observe(), 1 row of 10 features", { group: "monitor" }, () => {
  monitor.observe(model, one, 1, predicted);
});
Deno.bench("DriftMonitor.observe(), 1,000 rows", { group: "monitor" }, () => {
  monitor.observe(model, thousand, 1000, predicted);
});
let sink = 0;
const relay = new DriftRowRelay({ send: (b) => void (sink += b.nRows) });
Deno.bench("DriftRowRelay.observe() + take(), 1,000 rows (serving thread)", {
  group: "monitor",
}, () => {
  relay.observe(model, thousand, 1000, predicted);
  relay.take();
});
const calibration = new Float64Array(10_000).map((_, i) => i * 0.5);
Deno.bench("calibration: sum of 10,000 floats", { group: "calibration" }, () => {
  let s = 0;
  for (let i = 0; i < calibration.length; i++) s += calibration[i]!;
  sink += s;
});
Deno.bench("DriftMonitor.snapshot() (GET /api/drift)", { group: "monitor" }, () => {
  monitor.snapshot(model);
});
