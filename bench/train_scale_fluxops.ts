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
import { parseCli } from "../lib/cli/parse_cli.ts";
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

const cli = parseCli(
  Deno.args,
  {
    train: { type: "string" },
    test: { type: "string" },
    trees: { type: "integer", min: 1, default: 100 },
    workers: { type: "integer", min: 0, default: 2 },
    repeat: { type: "integer", min: 1, default: 1 },
  },
  "bench/train_scale_fluxops.ts --train FILE.csv --test FILE.csv [--trees N] [--workers N] " +
    "[--repeat N]: one FluxOps run of bench:scale (its child process)",
);
if (cli.exit !== undefined) Deno.exit(cli.exit);
const { values } = cli;
if (values.train === undefined || values.test === undefined) {
  console.error("error: --train and --test are required (see --help)");
  Deno.exit(2);
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
for (let seed = 0; seed < values.repeat; seed++) {
  const t1 = performance.now();
  const forest = await trainForestParallel(data, { n_estimators: values.trees, seed }, {
    workers: values.workers,
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
