/**
 * `deno run bench/drift_false_alarms.ts`: how often the function's drift monitor raises an
 * alarm (a drifted feature, or the data set) on traffic drawn exactly like its training data,
 * by window size: the simulation that sets `DEFAULT_DRIFT_MIN_ROWS` and `DEFAULT_ONLINE_ALPHA`
 * (lib/drift/monitor.ts).
 *
 * Each trial draws a fresh training set of `--train` rows of 10 features of different shapes
 * (normal, skewed, uniform, heavy-tailed, and integer-valued ones whose deciles tie), keeps its
 * statistics as the trainer does (deciles, bin fractions, row count), then draws one window of
 * n fresh rows from the same distributions and asks the monitor's figures whether anything
 * drifted. A training set is a sample too, so the trial counts the noise of its deciles as real
 * traffic meets it (`--exact-fractions`: the goodness-of-fit test a model without its training
 * row count gets). Prints, per window size, the share of windows that alarmed and its 95%
 * Wilson upper bound; `--json` prints them as JSON.
 * @module
 */
import { parseCli, parseNumber } from "../lib/cli/parse_cli.ts";
import { Rng } from "../lib/data/random.ts";
import { driftFigures } from "../lib/drift/figures.ts";
import { driftReference } from "../lib/drift/reference.ts";
import { DriftWindow } from "../lib/drift/window.ts";
import type { DriftSettings } from "../lib/drift/verdict.ts";
import { featureStats } from "../lib/model/feature_stats.ts";

const cli = parseCli(
  Deno.args,
  {
    trials: { type: "integer", min: 1, default: 4000 },
    train: { type: "integer", min: 1, default: 800 },
    alpha: { type: "number", above: 0, below: 1, default: 0.005 },
    sizes: { type: "string", default: "30,50,100,150,200,300,500,1000" },
    seed: { type: "integer", min: 0, default: 1 },
    json: { type: "boolean", default: false },
    "exact-fractions": { type: "boolean", default: false },
  },
  "deno run bench/drift_false_alarms.ts [--trials N] [--train ROWS] [--alpha A] " +
    "[--sizes 50,100,...] [--seed S] [--exact-fractions] [--json]\n" +
    "  --exact-fractions  test against the training fractions as exact (goodness of fit), as " +
    "for a model without metrics.n_train",
);
if (cli.exit !== undefined) Deno.exit(cli.exit);
const { values } = cli;
const trials = values.trials;
const trainRows = values.train;
const alpha = values.alpha;
const sizes = values.sizes.split(",").map((s) =>
  parseNumber("--sizes", s, { type: "integer", min: 1 })
);
const rng = new Rng(values.seed);
const P = 10;
const names = Array.from({ length: P }, (_, i) => `f${i}`);

/** One value of feature f: ten shapes, two of them integer-valued (tied deciles). */
function draw(f: number): number {
  switch (f % 10) {
    case 0:
      return rng.normal();
    case 1:
      return Math.exp(rng.normal()); // log-normal, skewed
    case 2:
      return rng.next();
    case 3:
      return rng.normal() / Math.max(1e-3, Math.abs(rng.normal())); // Cauchy-like tails
    case 4:
      return rng.int(6); // 6 levels
    case 5:
      return rng.next() < 0.7 ? 0 : rng.normal() + 3; // point mass plus a bump
    case 6:
      return -Math.log(1 - rng.next()); // exponential
    case 7:
      return rng.int(3); // 3 levels
    case 8:
      return rng.normal() * 5 + 100;
    default:
      return rng.next() ** 3;
  }
}

function rows(n: number): Float64Array {
  const x = new Float64Array(n * P);
  for (let i = 0; i < n; i++) for (let f = 0; f < P; f++) x[i * P + f] = draw(f);
  return x;
}

const settings: DriftSettings = { alpha, correction: "bonferroni", share: 0.5 };
const results: { n: number; windows: number; alarms: number; rate: number; upper95: number }[] = [];
const started = performance.now();
for (const n of sizes) {
  let alarms = 0;
  for (let t = 0; t < trials; t++) {
    const train = rows(trainRows);
    const ref = driftReference(
      featureStats(names, train, trainRows),
      "sim",
      values["exact-fractions"] ? 0 : trainRows,
    );
    const w = new DriftWindow(ref, n);
    w.add(rows(n), n);
    const fig = driftFigures(ref, w.counts, w.size, settings);
    if (fig.dataset_drift || Object.values(fig.features).some((f) => f.drifted)) alarms++;
  }
  const p = alarms / trials;
  // Wilson score interval's upper end, z = 1.96.
  const z = 1.96;
  const upper = (p + z * z / (2 * trials) +
    z * Math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))) / (1 + z * z / trials);
  results.push({ n, windows: trials, alarms, rate: p, upper95: upper });
}
const seconds = (performance.now() - started) / 1000;
if (values.json) {
  console.log(JSON.stringify({ trainRows, alpha, trials, seconds, results }));
} else {
  console.log(
    `false alarms of drift-free windows: ${trials} trials per size, training ${trainRows} ` +
      `rows, alpha ${alpha} (Bonferroni over ${P} features), ${seconds.toFixed(1)} s`,
  );
  console.log("window  alarms   rate    95% upper");
  for (const r of results) {
    console.log(
      `${String(r.n).padStart(6)}  ${String(r.alarms).padStart(6)}  ${
        (r.rate * 100).toFixed(2).padStart(5)
      }%  ${(r.upper95 * 100).toFixed(2).padStart(6)}%`,
    );
  }
}
