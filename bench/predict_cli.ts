/**
 * `deno task bench:predict`: batch scoring as a user runs it, whole process, FluxOps beside
 * Python in the same run. It writes (once) a CSV of N rows x 10 features and a `target` column
 * (make_classification semantics, the seed workload's parameters, seed 42) to bench/data/,
 * trains a model (default hyper-parameters) on 1,000 more rows of the same data, converts it
 * to scikit-learn with
 * bench/fluxops_to_sklearn.py (the same trees), then times, alternating, each `--repeat` times:
 *
 * - FluxOps: `deno task predict --model M --data rows.csv --out scores.csv --json`;
 * - Python: pandas `read_csv(engine="pyarrow")` + scikit-learn `predict_proba(n_jobs=-1)` +
 *   pandas `to_csv` of the same columns (bench/predict_peer.py score).
 *
 * Wall time and peak RSS (`/usr/bin/time -v`) of each process; the median is reported. Then the
 * CSV reader alone: FluxOps' readDataset in this process (its default, workers beside the
 * calling thread, and one thread) beside pyarrow.csv.read_csv (threads on and off) and
 * numpy.loadtxt (bench/predict_peer.py read), median of `--repeat` after a warm-up.
 * A calibration figure (a fixed JavaScript workload, independent of FluxOps' code) and the load
 * average are printed beside the figures. Markdown on stdout, or JSON with --json.
 *
 * Needs Python 3 (bench/setup_python.sh, then bench/requirements-predict.txt: done for you).
 * @module
 */
import { invalidValue, parseCli } from "../lib/cli/parse_cli.ts";
import { join } from "node:path";
import { makeClassification, SEED_WORKLOAD } from "../lib/data/make_classification.ts";
import { readDataset } from "../lib/data/csv.ts";
import { exists, runAddingEnv as run, writeDatasetCsv } from "./common.ts";

const HERE = import.meta.dirname!;
const ROOT = join(HERE, "..");
const DATA = join(HERE, "data");
const PY = join(HERE, ".venv", "bin", "python");
const DOC = join(ROOT, "docs", "benchmarks.md");
const MARKERS = ["<!-- predict:start -->", "<!-- predict:end -->"] as const;
/** Rows the scored model is trained on (the seed workload's size). */
const TRAIN_ROWS = 1000;

const HELP = `deno task bench:predict [--rows 1m] [--trees 100] [--repeat 3] [--workers N]
                         [--skip-reader] [--skip-cli] [--json] [--write]

Scores N rows x 10 features with 'deno task predict' and with pandas (pyarrow engine) +
scikit-learn predict_proba(n_jobs=-1) + pandas to_csv, the same trees, whole process each,
alternating, median of --repeat; then the CSV reader alone beside pyarrow and numpy.

  --rows N        rows to score, e.g. 100k or 1m (default 1m)
  --trees N       trees of the seed model (default 100)
  --repeat N      timed runs per side (default 3)
  --workers N     passed to deno task predict (default: its own, the CPUs)
  --skip-reader   no CSV-reader comparison
  --skip-cli      no whole-process comparison
  --json          print the results as JSON instead of Markdown
  --write         also put the Markdown in docs/benchmarks.md between the predict markers

Files are cached in bench/data/ (predict_<rows>.csv, predict_<rows>_train.csv,
predict_<rows>_model_<trees>/).`;

interface ProcessRun {
  seconds: number;
  /** User + system CPU seconds of the process and its threads. */
  cpu_seconds: number | null;
  peak_rss_bytes: number | null;
  stdout: string;
  stderr: string;
}

interface Results {
  measured_at: string;
  machine: string;
  deno: string;
  load_start: number;
  load_end: number;
  calibration_ms: number;
  rows: number;
  trees: number;
  csv_bytes: number;
  repeat: number;
  cli?: {
    fluxops_seconds: number[];
    python_seconds: number[];
    fluxops_peak_rss_bytes: number[];
    python_peak_rss_bytes: number[];
    fluxops_cpu_seconds: number[];
    python_cpu_seconds: number[];
    fluxops_summary: Record<string, unknown>;
    python_summary: Record<string, unknown>;
    same_predictions: number;
    max_abs_probability_difference: number;
  };
  reader?: {
    fluxops_seconds: number[];
    /** User + system CPU seconds of this process during each read (NaN off Linux). */
    fluxops_cpu_seconds: number[];
    /** The workers readDataset's default reads on (beside the calling thread). */
    fluxops_workers: number;
    /** `{ workers: 0 }`: the calling thread alone. */
    fluxops_one_thread_seconds: number[];
    fluxops_one_thread_cpu_seconds: number[];
    python: Record<string, unknown>;
    /** Load average and calibration just before, and the load just after, the reader runs. */
    load_start: number;
    load_end: number;
    calibration_ms: number;
  };
}

/** A row count such as 200k or 1m, or undefined. */
function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  const n = m ? Number(m[1]) * ({ "": 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? NaN) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s: string) => console.error(`bench:predict: ${s}`);

/** User + system CPU seconds of this process, all threads (Linux /proc; NaN elsewhere). */
function cpuSeconds(): number {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** Runs a process under /usr/bin/time -v when there is one: wall seconds and peak RSS. */
async function measured(cmd: string[], env?: Record<string, string>): Promise<ProcessRun> {
  const time = await exists("/usr/bin/time");
  const full = time ? ["/usr/bin/time", "-v", ...cmd] : cmd;
  const started = performance.now();
  const out = await new Deno.Command(full[0]!, {
    args: full.slice(1),
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const dec = new TextDecoder();
  const stderr = dec.decode(out.stderr);
  if (!out.success) throw new Error(`${cmd.join(" ")} failed with exit ${out.code}:\n${stderr}`);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1];
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1];
  return {
    seconds,
    cpu_seconds: user === undefined || system === undefined ? null : Number(user) + Number(system),
    peak_rss_bytes: kb === undefined ? null : Number(kb) * 1024,
    stdout: dec.decode(out.stdout),
    stderr,
  };
}

/** The peer's environment: OPENBLAS_* unset in its own command only (see bench/README.md). */
function peerEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

async function ensurePython(): Promise<void> {
  await run(["bash", join(HERE, "setup_python.sh")]);
  const probe = await new Deno.Command(PY, {
    args: ["-c", "import pandas, pyarrow"],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!probe.success) {
    log("installing bench/requirements-predict.txt into bench/.venv");
    await run([
      PY,
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "-r",
      join(HERE, "requirements-predict.txt"),
    ]);
  }
}

/**
 * The rows to score and a 1,000-row training file from the same generated data (the seed
 * workload's parameters, seed 42, N + 1,000 rows: the generator shuffles, so the first 1,000 are
 * a random training set), generated once.
 */
async function dataFiles(rows: number): Promise<{ data: string; train: string }> {
  const data = join(DATA, `predict_${rows}.csv`);
  const train = join(DATA, `predict_${rows}_train.csv`);
  if (await exists(data) && await exists(train)) return { data, train };
  await Deno.mkdir(DATA, { recursive: true });
  log(`writing ${rows} rows to ${data}`);
  const ds = makeClassification({ ...SEED_WORKLOAD, nSamples: rows + TRAIN_ROWS });
  await writeDatasetCsv(train, ds, 0, TRAIN_ROWS);
  await writeDatasetCsv(data, ds, TRAIN_ROWS, TRAIN_ROWS + rows);
  return { data, train };
}

/** The model (default hyper-parameters, `trees` trees), and the same forest pickled. */
async function modelFiles(
  train: string,
  rows: number,
  trees: number,
): Promise<{ model: string; pickle: string }> {
  const dir = join(DATA, `predict_${rows}_model_${trees}`);
  const model = join(dir, "model.json");
  const pickle = join(dir, "rf.pkl");
  if (!(await exists(model))) {
    log(`training ${trees} trees on ${train} into ${dir}`);
    await run([
      Deno.execPath(),
      "run",
      "-A",
      join(ROOT, "trainer", "main.ts"),
      "--data",
      train,
      "--target",
      "target",
      "--trees",
      String(trees),
      "--out",
      dir,
      "--json",
    ]);
  }
  if (!(await exists(pickle))) {
    await run(
      [PY, join(HERE, "fluxops_to_sklearn.py"), "--model", dir, "--out", pickle],
      peerEnv(),
    );
  }
  return { model, pickle };
}

/**
 * How fast this machine is right now, independent of FluxOps' code: the median of 5 timings
 * of sorting 2,000,000 pseudo-random doubles (Float64Array.prototype.sort), in ms.
 */
function calibrate(): number {
  const n = 2_000_000;
  const src = new Float64Array(n);
  let s = 42;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    src[i] = s / 2147483648;
  }
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const a = src.slice();
    const t0 = performance.now();
    a.sort();
    times.push(performance.now() - t0);
  }
  return Math.round(median(times) * 10) / 10;
}

/** Rows whose predictions agree, and the largest probability difference, of two score files. */
async function compareScores(a: string, b: string): Promise<{ same: number; maxDiff: number }> {
  const la = (await Deno.readTextFile(a)).split("\n");
  const lb = (await Deno.readTextFile(b)).split("\n");
  if (la[0] !== lb[0]) throw new Error(`score headers differ: ${la[0]} / ${lb[0]}`);
  let same = 0;
  let maxDiff = 0;
  for (let i = 1; i < la.length; i++) {
    if (la[i] === "" && lb[i] === "") continue;
    const fa = la[i]!.split(",");
    const fb = (lb[i] ?? "").split(",");
    if (Number(fa[0]) === Number(fb[0])) same++;
    for (let c = 1; c < fa.length; c++) {
      maxDiff = Math.max(maxDiff, Math.abs(Number(fa[c]) - Number(fb[c])));
    }
  }
  return { same, maxDiff };
}

async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown CPU";
  return `${cpu.trim()}, ${navigator.hardwareConcurrency} CPUs`;
}

const f2 = (v: number) => v.toFixed(2);
const mib = (b: number | null) => (b === null ? "?" : (b / 1048576).toFixed(0));

function markdown(r: Results): string {
  const lines = [
    `Measured ${r.measured_at} on ${r.machine}; Deno ${r.deno}. Load average ${
      f2(r.load_start)
    } at the start, ${f2(r.load_end)} at the end. Calibration (2M doubles sorted by ` +
    `Float64Array.sort, median of 5): ${r.calibration_ms} ms.`,
    "",
  ];
  if (r.cli) {
    const c = r.cli;
    const fx = median(c.fluxops_seconds);
    const py = median(c.python_seconds);
    const py2 = c.python_summary as Record<string, number>;
    lines.push(
      `${r.rows.toLocaleString("en-US")} rows x 10 features + target (${
        mib(r.csv_bytes)
      } MiB CSV), ${r.trees} trees, whole process, median of ${r.repeat}:`,
      "",
      "| side | wall s (runs) | CPU s | peak RSS MiB | peak RSS / input |",
      "| --- | ---: | ---: | ---: | ---: |",
      `| \`deno task predict\` (${String(c.fluxops_summary.workers)} workers) | ${f2(fx)} (${
        c.fluxops_seconds.map(f2).join(", ")
      }) | ${f2(median(c.fluxops_cpu_seconds))} | ${mib(median(c.fluxops_peak_rss_bytes))} | ${
        f2(median(c.fluxops_peak_rss_bytes) / r.csv_bytes)
      }x |`,
      `| pandas (pyarrow) + scikit-learn n_jobs=-1 + to_csv | ${f2(py)} (${
        c.python_seconds.map(f2).join(", ")
      }) | ${f2(median(c.python_cpu_seconds))} | ${mib(median(c.python_peak_rss_bytes))} | ${
        f2(median(c.python_peak_rss_bytes) / r.csv_bytes)
      }x |`,
      "",
      `FluxOps is **${f2(py / fx)}x** faster in wall time, ${
        f2(median(c.python_cpu_seconds) / median(c.fluxops_cpu_seconds))
      }x in CPU time. Python's steps in its last run: import ${
        f2(py2.import_seconds ?? NaN)
      } s, read ${f2(py2.read_seconds ?? NaN)} s, predict ${
        f2(py2.predict_seconds ?? NaN)
      } s, write ${f2(py2.write_seconds ?? NaN)} s. Same prediction on ${
        c.same_predictions.toLocaleString("en-US")
      } of ${r.rows.toLocaleString("en-US")} rows; largest probability difference ${
        c.max_abs_probability_difference.toPrecision(2)
      } (a tree vote: scikit-learn compares float32 features).`,
      "",
    );
  }
  if (r.reader) {
    const p = r.reader.python as Record<string, { seconds: number; cpu_seconds?: number }>;
    const base = p.pyarrow_threads?.seconds;
    const one = p.pyarrow_one_thread;
    const ratio = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined || Number.isNaN(a) ? "-" : `${f2(a / b)}x`;
    const row = (name: string, s: number | undefined, cpu: number | undefined) =>
      `| ${name} | ${s === undefined ? "-" : s.toFixed(3)} | ${
        cpu === undefined || Number.isNaN(cpu) ? "-" : cpu.toFixed(2)
      } | ${ratio(s, base)} | ${ratio(s, one?.seconds)} | ${ratio(cpu, one?.cpu_seconds)} |`;
    const w = r.reader.fluxops_workers;
    lines.push(
      `The CSV reader alone, the same file, one process each side, median of ${r.repeat} after a warm-up ` +
        `(load ${r.reader.load_start.toFixed(2)} before, ${
          r.reader.load_end.toFixed(2)
        } after; calibration ${r.reader.calibration_ms} ms):`,
      "",
      "| reader | wall s | CPU s | wall / pyarrow's (threads) | wall / pyarrow's (1 thread) | CPU / pyarrow's (1 thread) |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      row(
        `FluxOps \`readDataset(path)\` (the default: ${w} worker${
          w === 1 ? "" : "s"
        } beside the calling thread)`,
        median(r.reader.fluxops_seconds),
        median(r.reader.fluxops_cpu_seconds),
      ),
      row(
        "FluxOps `readDataset(path, { workers: 0 })` (one thread)",
        median(r.reader.fluxops_one_thread_seconds),
        median(r.reader.fluxops_one_thread_cpu_seconds),
      ),
      row(
        "`pyarrow.csv.read_csv` (its default: threads)",
        base,
        p.pyarrow_threads?.cpu_seconds,
      ),
      row(
        "`pyarrow.csv.read_csv` (use_threads=False)",
        one?.seconds,
        one?.cpu_seconds,
      ),
      row("`pandas.read_csv` (C engine)", p.pandas_c?.seconds, p.pandas_c?.cpu_seconds),
      row("`numpy.loadtxt`", p.numpy_loadtxt?.seconds, p.numpy_loadtxt?.cpu_seconds),
      "",
    );
  }
  return lines.join("\n");
}

async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    rows: { type: "string", default: "1m" },
    trees: { type: "integer", min: 1, default: 100 },
    repeat: { type: "integer", min: 1, default: 3 },
    workers: { type: "integer", min: 0 },
    "skip-reader": { type: "boolean" },
    "skip-cli": { type: "boolean" },
    json: { type: "boolean" },
    write: { type: "boolean" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const rows = parseSize(values.rows);
  if (rows === undefined) {
    console.error(
      `error: ${invalidValue("--rows", "a row count such as 200k or 1m", values.rows)}`,
    );
    return 2;
  }
  const { trees, repeat } = values;
  const loadStart = loadAverage();
  if (loadStart > 1) log(`warning: 1-minute load average ${loadStart.toFixed(2)}`);
  await ensurePython();
  const { data, train } = await dataFiles(rows);
  const { model, pickle } = await modelFiles(train, rows, trees);
  const calibration = calibrate();
  log(`calibration ${calibration} ms`);
  const result: Results = {
    measured_at: new Date().toISOString().slice(0, 16) + "Z",
    machine: await machine(),
    deno: Deno.version.deno,
    load_start: loadStart,
    load_end: NaN,
    calibration_ms: calibration,
    rows,
    trees,
    csv_bytes: (await Deno.stat(data)).size,
    repeat,
  };
  const tmp = await Deno.makeTempDir({ prefix: "fluxops_bench_predict_" });
  try {
    if (!values["skip-cli"]) {
      const fxOut = join(tmp, "fluxops.csv");
      const pyOut = join(tmp, "python.csv");
      const fluxCmd = [
        Deno.execPath(),
        "run",
        "--allow-read",
        "--allow-write",
        join(ROOT, "trainer", "predict.ts"),
        "--model",
        model,
        "--data",
        data,
        "--out",
        fxOut,
        "--json",
        ...(values.workers === undefined ? [] : ["--workers", String(values.workers)]),
      ];
      const pyCmd = [
        PY,
        join(HERE, "predict_peer.py"),
        "score",
        "--model",
        pickle,
        "--data",
        data,
        "--out",
        pyOut,
      ];
      const fx: ProcessRun[] = [];
      const py: ProcessRun[] = [];
      for (let r = 0; r < repeat; r++) {
        // Alternate which side goes first, so neither always runs on a warmer machine.
        for (const side of r % 2 === 0 ? ["fx", "py"] : ["py", "fx"]) {
          if (side === "fx") fx.push(await measured(fluxCmd));
          else py.push(await measured(pyCmd, peerEnv()));
          log(
            `${side === "fx" ? "FluxOps" : "Python"} run ${r + 1}: ${
              (side === "fx" ? fx : py).at(-1)!.seconds.toFixed(2)
            } s`,
          );
        }
      }
      const fxSummary = JSON.parse(fx.at(-1)!.stderr.split("\n").find((l) => l.startsWith("{"))!);
      const { same, maxDiff } = await compareScores(fxOut, pyOut);
      result.cli = {
        fluxops_seconds: fx.map((r) => r.seconds),
        python_seconds: py.map((r) => r.seconds),
        fluxops_peak_rss_bytes: fx.map((r) => r.peak_rss_bytes ?? NaN),
        python_peak_rss_bytes: py.map((r) => r.peak_rss_bytes ?? NaN),
        fluxops_cpu_seconds: fx.map((r) => r.cpu_seconds ?? NaN),
        python_cpu_seconds: py.map((r) => r.cpu_seconds ?? NaN),
        fluxops_summary: fxSummary,
        python_summary: JSON.parse(py.at(-1)!.stdout),
        same_predictions: same,
        max_abs_probability_difference: maxDiff,
      };
    }
    if (!values["skip-reader"]) {
      const readerLoad = loadAverage();
      const readerCalibration = calibrate();
      await readDataset(data); // warm-up, as the peer does
      const times: number[] = [];
      const cpu: number[] = [];
      const oneThread: number[] = [];
      const oneThreadCpu: number[] = [];
      // The default (workers beside the calling thread, one fewer than the CPUs), then one thread.
      const workers = Math.min(7, Math.max(0, navigator.hardwareConcurrency - 1));
      for (let r = 0; r < repeat; r++) {
        for (
          const [options, wall, cpuTimes] of [
            [{}, times, cpu],
            [{ workers: 0 }, oneThread, oneThreadCpu],
          ] as const
        ) {
          const c0 = cpuSeconds();
          const t0 = performance.now();
          await readDataset(data, options);
          wall.push((performance.now() - t0) / 1000);
          cpuTimes.push(cpuSeconds() - c0);
        }
        log(
          `FluxOps readDataset ${times.at(-1)!.toFixed(3)} s (${cpu.at(-1)!.toFixed(2)} CPU s), ` +
            `one thread ${oneThread.at(-1)!.toFixed(3)} s (${
              oneThreadCpu.at(-1)!.toFixed(2)
            } CPU s)`,
        );
      }
      const py = JSON.parse(
        await run([
          PY,
          join(HERE, "predict_peer.py"),
          "read",
          "--data",
          data,
          "--repeat",
          String(repeat),
        ], peerEnv()),
      );
      result.reader = {
        fluxops_seconds: times,
        fluxops_cpu_seconds: cpu,
        fluxops_workers: workers,
        fluxops_one_thread_seconds: oneThread,
        fluxops_one_thread_cpu_seconds: oneThreadCpu,
        python: py,
        load_start: readerLoad,
        load_end: loadAverage(),
        calibration_ms: readerCalibration,
      };
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  result.load_end = loadAverage();
  console.log(values.json ? JSON.stringify(result, null, 2) : markdown(result));
  if (values.write) {
    const doc = await Deno.readTextFile(DOC);
    const start = doc.indexOf(MARKERS[0]);
    const end = doc.indexOf(MARKERS[1]);
    if (start === -1 || end < start) throw new Error(`${DOC}: no ${MARKERS.join(" / ")} markers`);
    const text = `${doc.slice(0, start + MARKERS[0].length)}\n\n${markdown(result).trim()}\n\n${
      doc.slice(end)
    }`;
    await Deno.writeTextFile(DOC, text);
    await run([Deno.execPath(), "fmt", "--quiet", DOC]);
    log(`wrote ${DOC}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
