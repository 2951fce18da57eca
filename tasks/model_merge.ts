/**
 * `deno task model merge SHARD... --out DIR`: joins the shards of a sharded training into the
 * model one unsharded run makes (lib/training/merge_shards.ts). Nothing is written unless the
 * shards belong together and the data is still the data they were trained on.
 * @module
 */
import { join } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, UsageError } from "../lib/errors.ts";
import { signingKeyProvider } from "../lib/secrets/key_provider.ts";
import { mergeShardFolders } from "../lib/training/merge_shards.ts";
import { buildInfo } from "../lib/training/provenance.ts";
import { modelFiles, writeModelDir } from "../lib/training/train_model.ts";

export const MERGE_HELP = `deno task model merge: join training shards into one model

Usage: deno task model merge SHARD... --out DIR [--data URI] [--eval URI] [--json]

  SHARD       a shard folder (or its shard.json) written by \`deno task train --shard K/N\`;
              give all N of them, in any order
  --out DIR   the model folder to write (model.json, metrics.json, report.html, and model.sig
              when a signing key is configured, as for \`deno task train\`)
  --data URI  where to read the training data again (default: the URI the shards recorded);
              its sha256 must be the shards'
  --eval URI  the same for the eval file, when the shards were trained with --eval
  --json      print a JSON summary on stdout

The shards must come from one training: the same data (sha256), target, parameters, seed and N,
each K exactly once. The model's forest is then bit for bit the forest of the unsharded run, and
its metrics are computed on the same held-out rows. On any mismatch nothing is written.
Exit status: 0 merged, 2 usage error, 1 shards that do not belong together or data that changed.`;

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
    const { result, shards } = await mergeShardFolders(positionals, {
      data: values.data,
      eval: values.eval,
      build: await buildInfo(),
    });
    const key = await signingKeyProvider()();
    await writeModelDir(values.out, modelFiles(result, key));
    const summary = {
      version: result.artifact.version,
      dir: values.out,
      model: join(values.out, "model.json"),
      shards,
      trees: result.artifact.forest.n_trees,
      accuracy: result.metrics.accuracy,
      f1: result.metrics.f1,
      signed: key !== undefined,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      console.error(
        `merged ${shards} shards into ${summary.version} (${summary.trees} trees): accuracy ${
          summary.accuracy.toFixed(4)
        }, f1 ${summary.f1.toFixed(4)}\nmodel:  ${summary.model}`,
      );
    }
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return err instanceof UsageError ? 2 : 1;
  }
}
