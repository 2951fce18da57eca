/**
 * `deno task bench:scale`: training cost from 1,000 to 1,000,000 rows, FluxOps beside
 * scikit-learn, on the same CSV files and this machine. For each size it writes (once) a
 * training file of N rows x 10 features and a test file of N/4 rows, generated with
 * make_classification semantics by lib/data, then trains 100 trees in a fresh process on each
 * side: FluxOps on 2 Web Workers (bench/train_scale_fluxops.ts), scikit-learn's
 * RandomForestClassifier with n_jobs=2 (bench/train_scale_peer.py). Prints a Markdown table
 * (or JSON with --json); --write puts it in docs/benchmarks.md between the scale markers.
 *
 * Needs Python 3 (bench/setup_python.sh makes bench/.venv with scikit-learn from PyPI).
 * @module
 */
import { invalidValue, parseCli } from "../lib/cli/parse_cli.ts";
import { UsageError } from "../lib/errors.ts";
import { join } from "node:path";
import { makeClassification, SEED_WORKLOAD } from "../lib/data/make_classification.ts";
import { BENCH_PYTHON as PY, exists, machine, run, writeDatasetCsv } from "./common.ts";

const HERE = import.meta.dirname!;
const DATA = join(HERE, "data");

const DOC = join(HERE, "..", "docs", "benchmarks.md");
const MARKERS = ["<!-- scale:start -->", "<!-- scale:end -->"] as const;
const DEFAULT_SIZES = [1_000, 10_000, 100_000, 1_000_000];

const HELP = `deno task bench:scale [--sizes 1k,10k,100k,1m] [--trees 100] [--workers 2]
                       [--jobs 2] [--repeat N] [--json] [--write]

Trains a random forest on N rows x 10 features (make_classification, 2 classes, seed 42; a
test file of N/4 rows) with FluxOps on --workers Web Workers and with scikit-learn's
RandomForestClassifier(n_jobs=--jobs), the same CSV files, each side in a fresh process, and
reports fit wall time, peak resident memory (VmHWM, loading included) and test accuracy.

  --sizes LIST   training rows, e.g. 1k,10k or 250000 (default 1k,10k,100k,1m)
  --trees N      trees per forest (default 100)
  --workers N    FluxOps workers (default 2)
  --jobs N       scikit-learn n_jobs (default 2)
  --repeat N     fits per size and side, median reported (default 3 up to 100k rows, else 1)
  --json         print the results as JSON instead of Markdown
  --write        also put the Markdown in docs/benchmarks.md between ${MARKERS[0]} / ${MARKERS[1]}

Data files are cached in bench/data/scale_<rows>_{train,test}.csv.`;

/** What each side reports (bench/train_scale_fluxops.ts, bench/train_scale_peer.py). */
interface SideResult {
  rows: number;
  load_seconds: number;
  fit_seconds: number;
  fit_seconds_all: number[];
  accuracy: number;
  rss_after_load_bytes: number;
  peak_rss_bytes: number;
  nodes: number;
  version?: string;
  numpy?: string;
  python?: string;
}

interface SizeResult {
  rows: number;
  test_rows: number;
  csv_bytes: number;
  fluxops: SideResult;
  sklearn: SideResult;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  const n = m ? Number(m[1]) * ({ "": 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? NaN) : NaN;
  if (!Number.isInteger(n) || n < 100) {
    throw new UsageError(
      invalidValue("--sizes", "row counts of at least 100, such as 1k,1m", text),
    );
  }
  return n;
}

function label(rows: number): string {
  if (rows >= 1e6 && rows % 1e6 === 0) return `${rows / 1e6}M`;
  if (rows >= 1e3 && rows % 1e3 === 0) return `${rows / 1e3}k`;
  return String(rows);
}

/** The training and test files for `rows`, generated once. */
async function dataFiles(rows: number): Promise<{ train: string; test: string }> {
  const train = join(DATA, `scale_${rows}_train.csv`);
  const test = join(DATA, `scale_${rows}_test.csv`);
  if (await exists(train) && await exists(test)) return { train, test };
  await Deno.mkdir(DATA, { recursive: true });
  const testRows = Math.ceil(rows / 4);
  console.error(`train_scale: writing ${label(rows)} + ${label(testRows)} rows to ${DATA}`);
  // The generator shuffles its rows, so the first N are a random training set.
  const ds = makeClassification({ ...SEED_WORKLOAD, nSamples: rows + testRows });
  await writeDatasetCsv(test, ds, rows, rows + testRows);
  await writeDatasetCsv(train, ds, 0, rows);
  return { train, test };
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(0);
const secs = (s: number) => (s < 10 ? s.toFixed(3) : s.toFixed(1));
const pct = (v: number) => (v * 100).toFixed(2);
const perK = (side: SideResult | undefined, rows: number | undefined) =>
  side && rows ? (side.fit_seconds / rows * 1e6).toFixed(1) : "?";

/** The Markdown section for docs/benchmarks.md. */
export function markdown(
  results: readonly SizeResult[],
  meta: {
    machine: string;
    time: string;
    trees: number;
    workers: number;
    jobs: number;
    load: number;
    loadAtEnd: number;
  },
): string {
  const peer = results[0]?.sklearn;
  const lines = [
    `Measured ${meta.time.slice(0, 16)}Z on ${meta.machine}; Deno ${Deno.version.deno}, ` +
    `scikit-learn ${peer?.version}, numpy ${peer?.numpy}, Python ${peer?.python}. ` +
    `${meta.trees} trees, \`max_features="sqrt"\`, bootstrap, fully grown; FluxOps on ` +
    `${meta.workers} Web Workers, scikit-learn \`n_jobs=${meta.jobs}\`; the same CSV files ` +
    `(10 features, 5 informative, 2 classes, test set a quarter the size). Fit is wall time ` +
    `(median of the repeats); peak RSS is each process's VmHWM, reading the CSVs included ` +
    `(RSS once loaded in brackets).`,
    "",
    "| train rows | FluxOps fit s | sklearn fit s | FluxOps / sklearn | FluxOps ms per 1k rows | sklearn ms per 1k rows | FluxOps peak RSS MiB (loaded) | sklearn peak RSS MiB (loaded) | FluxOps acc. % | sklearn acc. % | CSV read s, FluxOps / numpy |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(({ rows, fluxops: o, sklearn: p }) =>
      `| ${rows.toLocaleString("en")} | ${secs(o.fit_seconds)} | ${secs(p.fit_seconds)} | ${
        (o.fit_seconds / p.fit_seconds).toFixed(2)
      }x | ${perK(o, rows)} | ${perK(p, rows)} | ${mib(o.peak_rss_bytes)} (${
        mib(o.rss_after_load_bytes)
      }) | ${mib(p.peak_rss_bytes)} (${mib(p.rss_after_load_bytes)}) | ${pct(o.accuracy)} | ${
        pct(p.accuracy)
      } | ${o.load_seconds.toFixed(2)} / ${p.load_seconds.toFixed(2)} |`
    ),
    "",
    "```mermaid",
    "xychart-beta",
    `  title "Fit time per 1,000 training rows (ms), ${meta.trees} trees"`,
    `  x-axis [${results.map((r) => `"${label(r.rows)}"`).join(", ")}]`,
    `  y-axis "ms per 1,000 rows"`,
    `  line [${results.map((r) => perK(r.sklearn, r.rows)).join(", ")}]`,
    `  line [${results.map((r) => perK(r.fluxops, r.rows)).join(", ")}]`,
    "```",
    "",
    `The lines: scikit-learn, from ${perK(results[0]?.sklearn, results[0]?.rows)} ms per ` +
    `1,000 rows at ${label(results[0]?.rows ?? 0)}; FluxOps, from ${
      perK(results[0]?.fluxops, results[0]?.rows)
    }.`,
  ];
  if (Math.max(meta.load, meta.loadAtEnd) > 0.5) {
    lines.push(
      "",
      `**Warning:** the 1-minute load average was ${meta.load.toFixed(2)} when the run ` +
        `started and ${meta.loadAtEnd.toFixed(2)} when it ended; other work on this machine ` +
        `skews these figures.`,
    );
  }
  return lines.join("\n");
}

async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    sizes: { type: "string" },
    trees: { type: "integer", min: 1, default: 100 },
    workers: { type: "integer", min: 0, default: 2 },
    jobs: { type: "integer", min: 1, default: 2 },
    repeat: { type: "integer", min: 1 },
    json: { type: "boolean" },
    write: { type: "boolean" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  let sizes: readonly number[];
  try {
    sizes = values.sizes ? values.sizes.split(",").map(parseSize) : DEFAULT_SIZES;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  const load = Deno.loadavg()[0] ?? 0;
  if (load > 0.5) {
    console.error(`train_scale: warning: 1-minute load average ${load.toFixed(2)}`);
  }
  await run(["bash", join(HERE, "setup_python.sh")]);
  const env = Deno.env.toObject();
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const results: SizeResult[] = [];
  for (const rows of sizes) {
    const { train, test } = await dataFiles(rows);
    const repeat = String(values.repeat ?? (rows <= 100_000 ? 3 : 1));
    const common = [
      ...["--train", train, "--test", test],
      ...["--trees", String(values.trees), "--repeat", repeat],
    ];
    console.error(`train_scale: ${label(rows)} rows, FluxOps`);
    const fluxops = JSON.parse(
      await run([
        Deno.execPath(),
        "run",
        "-A",
        join(HERE, "train_scale_fluxops.ts"),
        ...common,
        "--workers",
        String(values.workers),
      ]),
    ) as SideResult;
    console.error(`train_scale: ${label(rows)} rows, scikit-learn`);
    const sklearn = JSON.parse(
      await run(
        [PY, join(HERE, "train_scale_peer.py"), ...common, "--jobs", String(values.jobs)],
        env,
      ),
    ) as SideResult;
    results.push({
      rows,
      test_rows: Math.ceil(rows / 4),
      csv_bytes: (await Deno.stat(train)).size,
      fluxops,
      sklearn,
    });
  }
  const meta = {
    machine: await machine(),
    time: new Date().toISOString(),
    trees: values.trees,
    workers: values.workers,
    jobs: values.jobs,
    load,
    loadAtEnd: Deno.loadavg()[0] ?? 0,
  };
  const section = markdown(results, meta);
  console.log(values.json ? JSON.stringify({ meta, results }, null, 2) : section);
  if (values.write) {
    const doc = await Deno.readTextFile(DOC);
    const a = doc.indexOf(MARKERS[0]);
    const b = doc.indexOf(MARKERS[1]);
    if (a < 0 || b < a) throw new Error(`${DOC}: markers ${MARKERS.join(" / ")} not found`);
    await Deno.writeTextFile(
      DOC,
      doc.slice(0, a + MARKERS[0].length) + "\n\n" + section + "\n\n" + doc.slice(b),
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
