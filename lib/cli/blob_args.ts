/**
 * Blob data for CLIs that read local CSV files (`deno task predict`, `deno task drift`): the
 * values of `--data`-like flags that are blob URIs (`azblob://...`, `https://<account>.blob...`)
 * are streamed into temporary files (lib/data/blob_source.ts) before the CLI runs, and the CLI
 * runs on those; its messages name the URIs, not the temporary files, which are deleted after.
 * @module
 */
import { describeError, FluxError } from "../errors.ts";
import { isBlobUri, withLocalData } from "../data/source.ts";

/** The flags whose values may be blob URIs. */
export const DATA_FLAGS = ["--data", "--eval", "--reference"] as const;

/**
 * Runs `run(args)` with every blob URI given to a data flag replaced by a local copy.
 * A blob that cannot be read ends it with exit status 4 (2 for a malformed URI) and a message
 * naming the URI and the cause.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withBlobArgs } from "./blob_args.ts";
 * // A blob URI after --data would be copied to a local file first; a local path passes as is.
 * const code = await withBlobArgs(["--data", "train.csv"], (args) => {
 *   assert.deepEqual(args, ["--data", "train.csv"]);
 *   return Promise.resolve(0);
 * });
 * assert.equal(code, 0);
 * ```
 */
export async function withBlobArgs(
  args: readonly string[],
  run: (args: string[]) => Promise<number>,
  flags: readonly string[] = DATA_FLAGS,
): Promise<number> {
  const at: { index: number; prefix: string; uri: string }[] = [];
  args.forEach((a, i) => {
    const eq = a.indexOf("=");
    if (eq > 0 && flags.includes(a.slice(0, eq)) && isBlobUri(a.slice(eq + 1))) {
      at.push({ index: i, prefix: a.slice(0, eq + 1), uri: a.slice(eq + 1) });
    } else if (flags.includes(a) && i + 1 < args.length && isBlobUri(args[i + 1]!)) {
      at.push({ index: i + 1, prefix: "", uri: args[i + 1]! });
    }
  });
  const local = [...args];
  const names: [string, string][] = [];
  const step = async (k: number): Promise<number> => {
    if (k === at.length) return await withNames(names, () => run(local));
    const { index, prefix, uri } = at[k]!;
    return await withLocalData(uri, async ({ path }) => {
      local[index] = prefix + path;
      names.push([path, uri]);
      return await step(k + 1);
    });
  };
  try {
    return await step(0);
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    if (err instanceof FluxError && err.code === "store_error") return 4;
    if (err instanceof FluxError && err.code === "invalid_input") return 2;
    return 1;
  }
}

/** Runs `fn` with console output naming each temporary file by its URI. */
async function withNames<T>(names: [string, string][], fn: () => Promise<T>): Promise<T> {
  if (names.length === 0) return await fn();
  const rename = (v: unknown) => {
    if (typeof v !== "string") return v;
    let s = v;
    for (const [path, uri] of names) s = s.replaceAll(path, uri);
    return s;
  };
  const { log, error } = console;
  console.log = (...parts: unknown[]) => log(...parts.map(rename));
  console.error = (...parts: unknown[]) => error(...parts.map(rename));
  try {
    return await fn();
  } finally {
    console.log = log;
    console.error = error;
  }
}
