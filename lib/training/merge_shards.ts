/**
 * Merging shard folders into a trained model: read and check the shards, read the training data
 * again (its sha256 must be the shards'), join the trees and evaluate on the same held-out rows.
 * Used by `deno task model merge` and by `deno task train --shards DIR` (the deploy's way).
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describeError, UsageError } from "../errors.ts";
import { SEED_URI } from "../data/lineage.ts";
import type { BuildInfo } from "./provenance.ts";
import { mergeShards, parseShard, SHARD_FILE, type ShardFile, ShardMismatch } from "./shard.ts";
import { finishTraining, loadTrainingSets, type TrainResult } from "./train_model.ts";

/** Where to read the data again, when not where the shards recorded it. */
export interface MergeOptions {
  readonly data?: string | undefined;
  readonly eval?: string | undefined;
  readonly build?: BuildInfo | undefined;
}

/** A merged model and the number of shards it came from. */
export interface MergedModel {
  readonly result: TrainResult;
  readonly shards: number;
}

/** Reads one shard: a shard folder or its shard.json. */
export async function readShard(arg: string): Promise<{ source: string; file: ShardFile }> {
  let path = arg;
  try {
    if ((await stat(arg)).isDirectory()) path = join(arg, SHARD_FILE);
  } catch { /* reported below */ }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ShardMismatch(
      `${path}: ${
        code === "ENOENT" ? "no such shard file" : `cannot be read (${describeError(err)})`
      }`,
    );
  }
  return { source: path, file: parseShard(text, path) };
}

/** The shard folders directly under `dir` (each holding a shard.json), sorted. */
export async function shardFoldersIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ShardMismatch(`${dir}: cannot list shards (${describeError(err)})`);
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    try {
      await stat(join(dir, e.name, SHARD_FILE));
      found.push(join(dir, e.name));
    } catch { /* not a shard folder */ }
  }
  if (found.length === 0) throw new ShardMismatch(`${dir}: holds no shard folder (*/shard.json)`);
  return found.sort();
}

/**
 * Merges the shards at `paths` into the model an unsharded run makes. Everything is checked
 * before anything is returned; nothing is written here.
 *
 * @throws {ShardMismatch} for shards that do not belong together, or data that changed since.
 */
export async function mergeShardFolders(
  paths: readonly string[],
  options: MergeOptions = {},
): Promise<MergedModel> {
  if (paths.length === 0) throw new UsageError("merge: give the shard folders");
  const shards = [];
  for (const p of paths) shards.push(await readShard(p));
  const merged = mergeShards(shards);
  const { first } = merged;
  const trainUri = options.data ?? first.data.train.uri;
  const evalUri = options.eval ?? first.data.eval?.uri;
  const sets = await loadTrainingSets({
    data: trainUri === SEED_URI ? undefined : trainUri,
    target: first.target,
    eval: first.data.eval === undefined ? undefined : evalUri,
    ...(first.test_size === null ? {} : { testSize: first.test_size }),
  }, first.params.seed);
  const check = (what: string, want: string, got: string, uri: string) => {
    if (want !== got) {
      throw new ShardMismatch(
        `${uri}: its sha256 ${got.slice(0, 12)}... is not the ${what} data the shards were ` +
          `trained on (${want.slice(0, 12)}...): the data changed since`,
      );
    }
  };
  check("training", first.data.train.sha256, sets.lineage.train.sha256, trainUri);
  if (first.data.eval && sets.lineage.eval) {
    check("eval", first.data.eval.sha256, sets.lineage.eval.sha256, evalUri ?? "");
  }
  const result = finishTraining({
    engine: "native",
    params: first.params,
    // The lineage as the shards recorded it (the URIs their jobs read).
    sets: { ...sets, lineage: first.data },
    forest: merged.forest,
    trainSeconds: merged.trainSeconds,
    build: options.build,
  });
  return { result, shards: shards.length };
}
