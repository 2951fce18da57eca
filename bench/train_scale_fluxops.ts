/**
 * FluxOps side of `deno task bench:scale` (bench/train_scale.ts), run in a fresh process per
 * size so its peak memory is its own: reads the training and test CSVs with the streaming
 * reader, trains `--trees` trees on `--workers` Web Workers `--repeat` times (a new seed each
 * time), and prints one JSON document (the same fields as bench/train_scale_peer.py).
 *
 * Run: deno run -A bench/train_scale_fluxops.ts --train T.csv --test S.csv [--trees 100]
 *      [--workers 2] [--repeat 1]
 * @module
 */
import { parseArgs } from "node:util";
import { readDataset } from "../lib/data/csv.ts";
import { trainForestParallel } from "../lib/forest/parallel_train.ts";
import { predictClass } from "../lib/forest/predict.ts";
import { alignClasses } from "../lib/training/train_model.ts";

function statusBytes(field: string): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kib = status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1];
  if (kib === undefined) throw new Error(`/proc/self/status has no ${field}`);
  return Number(kib) * 1024;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    train: { type: "string" },
    test: { type: "string" },
    trees: { type: "string", default: "100" },
    workers: { type: "string", default: "2" },
    repeat: { type: "string", default: "1" },
  },
});
if (values.train === undefined || values.test === undefined) {
  throw new Error("--train and --test are required");
}
const t0 = performance.now();
const train = await readDataset(values.train);
const test = alignClasses(
  await readDataset(values.test, { target: train.target }),
  train.classes,
  values.test,
);
const loadSeconds = (performance.now() - t0) / 1000;
const rssAfterLoad = statusBytes("VmRSS");
const data = { ...train, nClasses: train.classes.length };

const times: number[] = [];
let accuracy = 0;
let nodes = 0;
for (let seed = 0; seed < Number(values.repeat); seed++) {
  const t1 = performance.now();
  const forest = await trainForestParallel(data, { n_estimators: Number(values.trees), seed }, {
    workers: Number(values.workers),
  });
  times.push((performance.now() - t1) / 1000);
  if (seed === 0) {
    const predicted = predictClass(forest, test.x, test.nRows);
    let hits = 0;
    for (let i = 0; i < test.nRows; i++) if (predicted[i] === test.y[i]) hits++;
    accuracy = hits / test.nRows;
    nodes = forest.feature.length;
  }
  console.error(`train_scale_fluxops: ${train.nRows} rows, fit ${times.at(-1)!.toFixed(3)} s`);
}
console.log(JSON.stringify({
  rows: train.nRows,
  load_seconds: loadSeconds,
  fit_seconds: median(times),
  fit_seconds_all: times,
  accuracy,
  rss_after_load_bytes: rssAfterLoad,
  peak_rss_bytes: statusBytes("VmHWM"),
  nodes,
  deno: Deno.version.deno,
}));
