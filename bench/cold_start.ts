/**
 * `deno task bench:cold-start`: cold start of the custom-handler package, measured as the time
 * from spawning the packaged handler (as the Azure Functions host spawns it, from `host.json`)
 * to the first 200 answer of `POST /api/predict`. Each run starts with an empty `DENO_DIR`, as a
 * fresh instance does; `--warm` keeps one `DENO_DIR` (Deno's V8 code cache) across runs.
 * @module
 */
import { join } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { hostLaunch, platformEnv } from "../function/package/launch.ts";
import { freePort } from "../lib/net/loopback.ts";
import { buildFunction, ROOT } from "../tasks/build_function.ts";

const HELP = `deno task bench:cold-start: spawn-to-first-prediction time of dist/function

Usage: deno task bench:cold-start [--runs N] [--trees N] [--model PATH] [--warm] [--json]

  --runs N      measured runs (default 20)
  --trees N     trees of the model trained for the runs (default 100, the trainer's default)
  --model PATH  serve this model.json instead of training one
  --warm        keep one DENO_DIR across runs (after one unmeasured run) instead of an
                empty one each run
  --json        print the result as JSON
  -h, --help    show this help

Builds dist/function first if it is missing or older than its sources.`;

/** Summary statistics of a sample, in milliseconds. */
export interface Stats {
  readonly runs: number;
  readonly median_ms: number;
  readonly p90_ms: number;
  readonly min_ms: number;
  readonly max_ms: number;
}

/** Median, nearest-rank 90th percentile, minimum and maximum of `samples`. */
export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error("no samples");
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const mid = Math.floor(n / 2);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    runs: n,
    median_ms: round(n % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2),
    p90_ms: round(s[Math.ceil(0.9 * n) - 1]!),
    min_ms: round(s[0]!),
    max_ms: round(s[n - 1]!),
  };
}

async function trainModel(dir: string, trees: number): Promise<string> {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "trainer/main.ts", "--trees", String(trees), "--out", dir],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`training failed:\n${new TextDecoder().decode(stderr)}`);
  return join(dir, "model.json");
}

/** Spawns the package once; returns milliseconds from spawn to the first 200 prediction. */
async function coldStart(dir: string, model: string, denoDir: string, body: string) {
  const port = freePort();
  const launch = await hostLaunch({
    dir,
    port,
    hostEnv: platformEnv(denoDir, { FLUXOPS_MODEL: model }),
  });
  const url = `http://127.0.0.1:${port}/api/predict`;
  const started = performance.now();
  const child = new Deno.Command(launch.command, {
    args: launch.args,
    cwd: launch.cwd,
    env: launch.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  try {
    while (true) {
      if (exited) throw new Error(`the package exited before answering:\n${await stderr}`);
      if (performance.now() - started > 30_000) throw new Error("no answer within 30 s");
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        await res.body?.cancel();
        if (res.status === 200) return performance.now() - started;
        throw new Error(`POST /api/predict answered ${res.status}`);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // TypeError: not listening yet
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    if (!exited) child.kill("SIGTERM");
    await status;
    await stderr;
  }
}

/** Runs the benchmark; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    runs: { type: "integer", min: 1, default: 20 },
    trees: { type: "integer", min: 1, default: 100 },
    model: { type: "string" },
    warm: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const { runs, trees } = values;
  const build = await buildFunction({ reuseIfFresh: true });
  const scratch = await Deno.makeTempDir({ prefix: "fluxops-cold-start-" });
  try {
    const model = values.model ?? await trainModel(join(scratch, "model"), trees);
    const nFeatures = JSON.parse(await Deno.readTextFile(model)).features.length;
    const body = JSON.stringify({ features: Array.from({ length: nFeatures }, (_, i) => i / 10) });
    const samples: number[] = [];
    const warmDir = join(scratch, "deno-dir-warm");
    if (values.warm) await coldStart(build.out, model, warmDir, body);
    for (let i = 0; i < runs; i++) {
      const denoDir = values.warm ? warmDir : join(scratch, `deno-dir-${i}`);
      samples.push(await coldStart(build.out, model, denoDir, body));
    }
    const result = {
      ...stats(samples),
      deno_dir: values.warm ? "warm" : "empty",
      model_bytes: (await Deno.stat(model)).size,
      handler_bytes: build.handlerBytes,
      chunk_bytes: build.chunkBytes,
      zip_bytes: build.zipBytes,
      build_ms: build.reused ? null : Math.round(build.ms),
      deno: Deno.version.deno,
      samples_ms: samples.map((s) => Math.round(s * 10) / 10),
    };
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      const r = result;
      console.log(
        `cold start (spawn -> first 200 POST /api/predict), ${r.runs} runs, ${r.deno_dir} ` +
          `DENO_DIR, ${(r.model_bytes / 1024).toFixed(0)} KiB model:`,
      );
      console.log(
        `  median ${r.median_ms} ms   p90 ${r.p90_ms} ms   min ${r.min_ms} ms   max ${r.max_ms} ms`,
      );
      console.log(
        `package: handler.js ${(r.handler_bytes / 1024).toFixed(1)} KiB (+ ${
          (r.chunk_bytes / 1024).toFixed(1)
        } KiB of chunks), zip ` +
          `${(r.zip_bytes / (1 << 20)).toFixed(1)} MiB` +
          (r.build_ms === null ? " (reused)" : `, built in ${(r.build_ms / 1000).toFixed(1)} s`),
      );
    }
    return 0;
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
