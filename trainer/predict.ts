/**
 * `deno task predict`: batch scoring of a CSV file with a trained model. Writes one row per input
 * row with a `prediction` column and a `p_<class>` column per class, streaming: the file is read
 * in chunks that Web Workers read, score and format, written in file order. Exit 0 on success,
 * 2 on a usage error, 1 on a data or model error, 4 when the output cannot be written.
 * @module
 */
import { withBlobArgs } from "../lib/cli/blob_args.ts";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { resolveModelPath } from "../lib/model/local_store.ts";
import { scoreFile } from "../lib/training/score_file.ts";

const HELP = `fluxops predict: score a CSV file with a trained model

Usage: deno task predict --model PATH --data FILE.csv [--out FILE.csv] [--workers N] [--json]

  --model PATH     model.json, or a model folder that holds one
  --data FILE.csv  rows to score; columns must be the model's features (any order),
                   plus optionally its target column
  --out FILE.csv   where to write the scores, atomically (default: standard output)
  --workers N      Web Workers that read and score chunks of the file; 0 scores on the
                   main thread (default: the CPUs; files up to 4 MiB use the main thread)
  --compiled       score with trees compiled to JavaScript instead of the WebAssembly
                   kernel: the same scores, but slower at every size measured (about 2x
                   the CPU time at 1M rows, 3x at 200k); kept so scripts that pass it run
  --json           print a JSON summary on stderr instead of text (rows, seconds,
                   rows_per_second, workers, accuracy)
  -h, --help       show this help

Output columns: prediction, then p_<class> for each class of the model; the same bytes for
any number of workers. If the file has the model's target column, accuracy is printed on
stderr. A progress line shows on a terminal for files over 16 MiB.
Exit status: 0 success, 2 usage error, 1 data or model error (the message names the file,
line and column), 4 the output could not be written (read-only, full, permission denied).
Nothing is left at --out when scoring fails.`;

/** Files larger than this show a progress line on a terminal. */
const PROGRESS_BYTES = 16 << 20;

/** Runs batch scoring with command-line `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    model: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    workers: { type: "integer", min: 0, max: 256 },
    compiled: { type: "boolean" },
    json: { type: "boolean" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  try {
    if (!values.model) throw new UsageError("--model is required (see --help)");
    if (!values.data) throw new UsageError("--data is required (see --help)");
    const workers = values.workers;
    const model = await loadModel(await resolveModelPath(values.model));
    const started = performance.now();
    const progress = values.json ? undefined : progressLine();
    const result = await scoreFile({
      model,
      data: values.data,
      out: values.out,
      workers,
      compile: values.compiled === true,
      onProgress: progress?.update,
    });
    progress?.done();
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      model_version: model.artifact.version,
      rows: result.rows,
      seconds: Math.round(seconds * 1e4) / 1e4,
      rows_per_second: Math.round(result.rows / seconds),
      workers: result.workers,
      accuracy: result.accuracy,
      out: values.out ?? null,
    };
    if (values.json) console.error(JSON.stringify(summary));
    else {
      const acc = result.accuracy === null ? "" : `; accuracy ${result.accuracy.toFixed(4)}`;
      const on = result.workers === 0 ? "the main thread" : `${result.workers} workers`;
      console.error(
        `scored ${result.rows} rows with ${model.artifact.version} in ${
          seconds.toFixed(3)
        } s (${summary.rows_per_second} rows/s on ${on})${acc}`,
      );
    }
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return exitCode(err);
  }
}

/** The trainer's exit statuses: 2 usage, 4 store (here: the output), 1 anything else. */
function exitCode(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof FluxError && err.code === "store_error") return 4;
  return 1;
}

/** A one-line progress display on stderr, for terminals and large files only. */
function progressLine():
  | { update: (done: number, total: number, rows: number) => void; done: () => void }
  | undefined {
  if (!Deno.stderr.isTerminal()) return undefined;
  const encoder = new TextEncoder();
  const started = performance.now();
  let last = 0;
  let shown = false;
  const write = (s: string) => Deno.stderr.writeSync(encoder.encode(s));
  return {
    update(done, total, rows) {
      const now = performance.now();
      if (total < PROGRESS_BYTES || now - last < 100) return;
      last = now;
      shown = true;
      const filled = Math.round((done / total) * 30);
      const secs = ((now - started) / 1000).toFixed(1);
      write(
        `\rscoring [${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${
          Math.round((done / total) * 100)
        }% ${rows} rows ${secs}s`,
      );
    },
    done() {
      if (shown) write("\r\x1b[2K");
    },
  };
}

if (import.meta.main) Deno.exit(await withBlobArgs(Deno.args, main)); // blob --data (issue 16)
