/**
 * Helpers the benchmark scripts share: the bench Python, running a process for its stdout,
 * medians, the synthetic data sets as CSV, and deterministic request rows.
 * @module
 */
import { join } from "node:path";
import type { makeClassification } from "../lib/data/make_classification.ts";
import { csvField } from "../lib/training/batch_score.ts";

/** The Python of bench/.venv (made by bench/setup_python.sh). */
export const BENCH_PYTHON = join(import.meta.dirname!, ".venv", "bin", "python");

/** The machine a figure was measured on: CPU model, cores, memory, OS and architecture (Linux). */
export async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown CPU";
  const mem = (await Deno.readTextFile("/proc/meminfo")).match(/MemTotal:\s*(\d+)/)?.[1];
  const gib = mem ? (Number(mem) / 1048576).toFixed(0) : "?";
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${gib} GiB, ${Deno.build.os}/${Deno.build.arch}`;
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `cmd` with stderr shown and returns its stdout; throws naming the command and its exit
 * code when it fails. With `env`, the process gets only `env` unless `clearEnv` is false.
 */
export async function run(
  cmd: string[],
  env?: Record<string, string>,
  { clearEnv = true }: { clearEnv?: boolean } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "inherit",
    ...(env ? { env, clearEnv } : {}),
  }).output();
  if (!out.success) throw new Error(`${cmd.join(" ")} failed with exit ${out.code}`);
  return new TextDecoder().decode(out.stdout);
}

/** {@link run} with `env` added to this process's environment rather than replacing it. */
export function runAddingEnv(cmd: string[], env?: Record<string, string>): Promise<string> {
  return run(cmd, env, { clearEnv: false });
}

type Dataset = ReturnType<typeof makeClassification>;

/** A data set as CSV text: a header of its feature names and `target`, one line a row. */
export function datasetCsv(ds: Dataset): string {
  const lines = [[...ds.featureNames, "target"].map(csvField).join(",")];
  for (let i = 0; i < ds.nRows; i++) {
    const row = Array.from(ds.x.subarray(i * ds.nFeatures, (i + 1) * ds.nFeatures), String);
    lines.push([...row, String(ds.classes[ds.y[i]!])].join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * Writes rows [from, to) of a data set as CSV to `path`, in chunks (data sets of millions of rows
 * do not fit in one string), through a temporary file renamed in place.
 */
export async function writeDatasetCsv(
  path: string,
  ds: Dataset,
  from: number,
  to: number,
): Promise<void> {
  const p = ds.nFeatures;
  const tmp = `${path}.${Deno.pid}.tmp`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  const write = async (text: string) => {
    const bytes = enc.encode(text);
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  };
  try {
    let chunk = [...ds.featureNames, "target"].join(",") + "\n";
    for (let i = from; i < to; i++) {
      // String(number) is the shortest text that reads back to the same float64, in Python too.
      for (let j = 0; j < p; j++) chunk += `${ds.x[i * p + j]},`;
      chunk += `${ds.classes[ds.y[i]!]}\n`;
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = "";
      }
    }
    await write(chunk);
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
}

/**
 * `n` deterministic rows around a model's training distribution: each feature normal with its
 * mean and standard deviation (mulberry32 from `seed`, Box-Muller).
 */
export function gaussianRows(
  features: readonly { mean: number; std: number }[],
  n: number,
  seed: number,
): number[][] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: n }, () => features.map((f) => f.mean + f.std * gauss()));
}
