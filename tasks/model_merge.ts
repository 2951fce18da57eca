/**
 * `deno task model merge SHARD... --out DIR`: joins the shards of a sharded training into the
 * model one unsharded run makes. It checks the shards belong together, reads the training data
 * again (checking its sha256 against the shards'), and recomputes the metrics on the same
 * held-out rows. Nothing is written unless all of that holds.
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, UsageError } from "../lib/errors.ts";
import { SEED_URI } from "../lib/data/lineage.ts";
import { signingKeyProvider } from "../lib/secrets/key_provider.ts";
import { buildInfo } from "../lib/training/provenance.ts";
import {
  mergeShards,
  parseShard,
  SHARD_FILE,
  type ShardFile,
  ShardMismatch,
} from "../lib/training/shard.ts";
import {
  finishTraining,
  loadTrainingSets,
  modelFiles,
  writeModelDir,
} from "../lib/training/train_model.ts";

export const MERGE_HELP = `deno task model merge: join training shards into one model

Usage: deno task model merge SHARD... --out DIR [--data URI] [--eval URI] [--json]

  SHARD       a shard folder (or its shard.json) written by \`deno task train --shard K/N\`;
              give all N of them, in any order
  --out DIR   the model folder to write (model.json, metrics.json, report.html[, model.sig])
  --data URI  where to read the training data again (default: the URI the shards recorded);
              its sha256 must be the shards'
  --eval URI  the same for the eval file, when the shards were trained with --eval
  --json      print a JSON summary on stdout

The shards must come from one training: the same data (sha256), target, parameters, seed and N,
each K exactly once. The model's forest is then bit for bit the forest of the unsharded run, and
its metrics are computed on the same held-out rows. On any mismatch nothing is written.
Exit status: 0 merged, 2 usage error, 1 shards that do not belong together or data that changed.`;

async function readShard(arg: string): Promise<{ source: string; file: ShardFile }> {
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

/** Runs `model merge` with the arguments after `merge`; returns the exit status. */
export async function mergeMain(args: string[]): Promise<number> {
  const cli = parseCli(
    args,
    {
      out: { type: "string" },
      data: { type: "string" },
      eval: { type: "string" },
      json: { type: "boolean" },
    },
    MERGE_HELP,
    { allowPositionals: true },
  );
  if (cli.exit !== undefined) return cli.exit;
  const { values, positionals } = cli;
  try {
    if (positionals.length === 0) {
      throw new UsageError("merge: give the shard folders (see --help)");
    }
    if (!values.out) throw new UsageError("merge: --out DIR is required");
    const shards = [];
    for (const arg of positionals) shards.push(await readShard(arg));
    const merged = mergeShards(shards);
    const { first } = merged;
    const trainUri = values.data ?? first.data.train.uri;
    const evalUri = values.eval ?? first.data.eval?.uri;
    if (first.data.eval !== undefined && evalUri === undefined) {
      throw new UsageError("merge: the shards were evaluated on a file: give --eval");
    }
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
      // The lineage the shards recorded (URIs as the training jobs read them).
      sets: { ...sets, lineage: first.data },
      forest: merged.forest,
      trainSeconds: merged.trainSeconds,
      build: await buildInfo(),
    });
    const key = await signingKeyProvider()();
    await writeModelDir(values.out, modelFiles(result, key));
    const summary = {
      version: result.artifact.version,
      dir: values.out,
      model: join(values.out, "model.json"),
      shards: shards.length,
      trees: first.params.n_estimators,
      accuracy: result.metrics.accuracy,
      f1: result.metrics.f1,
      signed: key !== undefined,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      console.error(
        `merged ${shards.length} shards into ${summary.version} (${summary.trees} trees): ` +
          `accuracy ${summary.accuracy.toFixed(4)}, f1 ${
            summary.f1.toFixed(4)
          }\nmodel:  ${summary.model}`,
      );
    }
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    if (err instanceof UsageError) return 2;
    return 1;
  }
}
