/**
 * `deno task bench:shards`: sharded training's cost on this machine. Trains N rows x 10 features
 * (make_classification, seed 42), 100 trees, as one job on --workers threads and as --shards
 * shards run one after another (each on --workers threads), then merges them; every step is a
 * fresh process timed by /usr/bin/time (wall seconds, peak resident memory). With N runners the
 * sharded wall time is the longest shard plus the merge. Prints a Markdown table with the load
 * average and a calibration loop's time beside the figures (this VM's speed varies ~2x).
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { join } from "node:path";
import { makeClassification, SEED_WORKLOAD } from "../lib/data/make_classification.ts";
import { writeDatasetCsv } from "./common.ts";

const ROOT = join(import.meta.dirname!, "..");
const DATA = join(import.meta.dirname!, "data");

const cli = parseCli(
  Deno.args,
  {
    rows: { type: "integer", min: 1, default: 1_000_000 },
    trees: { type: "integer", min: 1, default: 100 },
    shards: { type: "integer", min: 1, default: 4 },
    workers: { type: "integer", min: 0, default: 2 },
    "max-depth": { type: "integer", min: 1 },
    "shards-first": { type: "boolean", default: false },
  },
  `deno task bench:shards [--rows N] [--trees N] [--shards N] [--workers N] [--max-depth D]

One training job beside N shards run one after another plus their merge, each a fresh process
(--shards-first: the shards and the merge first, then the one job):
wall seconds and peak resident memory (/usr/bin/time). Data: bench/data/shards_<rows>.csv.
--max-depth bounds every tree (the trainer's flag): 100 fully grown trees on 10M rows hold ~60M
nodes, more than one model.json can (V8's longest string, ~512 MiB).`,
);
if (cli.exit !== undefined) Deno.exit(cli.exit);
const { values } = cli;
const { rows, trees, shards, workers } = values;

/** A fixed CPU loop: its time says how fast this machine is right now. */
function calibration(): number {
  const t0 = performance.now();
  let s = 0;
  for (let i = 1; i < 30_000_000; i++) s += Math.sqrt(i) % 1.7;
  if (s < 0) console.log(s);
  return (performance.now() - t0) / 1000;
}

async function dataFile(): Promise<string> {
  const path = join(DATA, `shards_${rows}.csv`);
  try {
    await Deno.stat(path);
    return path;
  } catch { /* write it */ }
  await Deno.mkdir(DATA, { recursive: true });
  const ds = makeClassification({ ...SEED_WORKLOAD, nSamples: rows });
  await writeDatasetCsv(path, ds, 0, rows);
  return path;
}

interface Step {
  name: string;
  seconds: number;
  peakMiB: number;
}

async function timed(name: string, script: string, args: string[]): Promise<Step> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "FLUXOPS_TIME %e %M", Deno.execPath(), "run", "-A", join(ROOT, script), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${name} failed:\n${err.slice(-2000)}`);
  const m = /FLUXOPS_TIME ([\d.]+) (\d+)/.exec(err);
  if (!m) throw new Error(`${name}: no timing in\n${err.slice(-500)}`);
  const step = { name, seconds: Number(m[1]), peakMiB: Math.round(Number(m[2]) / 1024) };
  console.error(`${name}: ${step.seconds.toFixed(1)} s, peak ${step.peakMiB} MiB`);
  return step;
}

const load = () => Deno.loadavg().map((v) => v.toFixed(1)).join(" / ");
const loadBefore = load();
const calBefore = calibration();
const data = await dataFile();
const tmp = await Deno.makeTempDir({ prefix: "fluxops-shards-bench-" });
const depth = values["max-depth"];
const common = [
  "--data",
  data,
  "--trees",
  String(trees),
  "--workers",
  String(workers),
  ...(depth === undefined ? [] : ["--max-depth", String(depth)]),
];
const steps: Step[] = [];
// The machine's speed drifts during a run: --shards-first swaps the order, to average it out.
const oneJob = () => timed("one job", "trainer/main.ts", [...common, "--out", join(tmp, "whole")]);
if (!values["shards-first"]) steps.push(await oneJob());
for (let k = 1; k <= shards; k++) {
  steps.push(
    await timed(`shard ${k}/${shards}`, "trainer/main.ts", [
      ...common,
      "--shard",
      `${k}/${shards}`,
      "--out",
      join(tmp, "shards", String(k)),
    ]),
  );
}
steps.push(
  await timed("merge", "tasks/model.ts", [
    "merge",
    ...Array.from({ length: shards }, (_, k) => join(tmp, "shards", String(k + 1))),
    "--out",
    join(tmp, "merged"),
  ]),
);
if (values["shards-first"]) steps.unshift(await oneJob());
const same = JSON.stringify(
  JSON.parse(await Deno.readTextFile(join(tmp, "whole", "model.json"))).forest,
) === JSON.stringify(JSON.parse(await Deno.readTextFile(join(tmp, "merged", "model.json"))).forest);
const calAfter = calibration();
await Deno.remove(tmp, { recursive: true });

const one = steps[0]!;
const shardSteps = steps.slice(1, 1 + shards);
const merge = steps.at(-1)!;
const longest = Math.max(...shardSteps.map((s) => s.seconds));
const sum = shardSteps.reduce((a, s) => a + s.seconds, 0);
console.log(
  `${rows.toLocaleString("en")} rows x 10 features, ${trees} trees${
    depth === undefined ? "" : ` of depth at most ${depth}`
  }, ${workers} workers per process; load ${loadBefore} before; calibration loop ${
    calBefore.toFixed(2)
  } s before, ${calAfter.toFixed(2)} s after

| step | wall s | peak RSS MiB |
| ---- | -----: | -----------: |
${steps.map((s) => `| ${s.name} | ${s.seconds.toFixed(1)} | ${s.peakMiB} |`).join("\n")}

- shards one after another: ${sum.toFixed(1)} s (+ merge ${merge.seconds.toFixed(1)} s) = ${
    (sum / one.seconds).toFixed(2)
  }x the one job's ${one.seconds.toFixed(1)} s
- with ${shards} runners: longest shard + merge = ${(longest + merge.seconds).toFixed(1)} s = ${
    ((longest + merge.seconds) / one.seconds).toFixed(2)
  }x the one job
- merged forest identical to the one job's: ${same ? "yes" : "NO"}`,
);
