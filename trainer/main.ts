/**
 * `deno task train` and the single-binary trainer: parses flags, runs the training pipeline,
 * writes the model folder. Exit 0 on success, 2 on a usage error, 1 on a data error.
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { join } from "node:path";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";
import { type ForestParams, parseMaxFeatures } from "../lib/forest/params.ts";
import { defaultWorkers } from "../lib/forest/parallel_train.ts";
import { signingKeyProvider } from "../lib/secrets/key_provider.ts";
import { FsBackend } from "../lib/store/fs_backend.ts";
import { DEFAULT_STORE, openRegistry, storeLocation } from "../lib/store/open_store.ts";
import {
  type EngineName,
  loadTrainingSets,
  modelFiles,
  trainModel,
  type TrainResult,
  writeModelDir,
} from "../lib/training/train_model.ts";
import { mergeShardFolders, shardFoldersIn } from "../lib/training/merge_shards.ts";
import { buildInfo } from "../lib/training/provenance.ts";
import { parseShardSpec, SHARD_FILE, type ShardSpec, trainShard } from "../lib/training/shard.ts";
import { resolveParams } from "../lib/forest/params.ts";
import { progressBar } from "./progress.ts";

const HELP = () =>
  `fluxops-trainer: train a random-forest classifier and write a versioned model

Usage: deno task train [flags]

  --data FILE.csv        training data (header row); default: the seed workload
                         (1,000 synthetic rows, 10 features, 2 classes)
  --target COL           target column (default: the last column)
  --eval FILE.csv        compute metrics on this file instead of a held-out split
  --test-size F          held-out fraction, 0 < F < 1 (default 0.2)
  --trees N              number of trees (default 100)
  --max-depth N          maximum tree depth (default: unlimited)
  --max-features V       features drawn at each split: sqrt (default), log2, all,
                         an integer, or a fraction such as 0.5
  --min-samples-leaf N   fewest rows in a leaf (default 1)
  --seed N               random seed (default 42)
  --engine NAME          native (default) or ml-random-forest
  --workers N            threads training the native engine's trees (default: the
                         CPUs, ${defaultWorkers()} here; 0 trains on the main thread); the
                         model is the same for any N
  --shard K/N            train only the trees i with i mod N = K-1 (1 <= K <= N) and write
                         a shard folder (DIR/shard.json) for \`deno task model merge\`;
                         native engine only, no --publish (default folder
                         .fluxops/shards/K-of-N/)
  --shards DIR           instead of training, merge the shard folders under DIR (as
                         \`deno task model merge\` does: the unsharded run's forest, metrics
                         on the same held-out rows), then sign, write and publish as usual;
                         --data/--eval then only say where to read the data again
  --out DIR              output folder (default .fluxops/models/<version>/)
  --publish              also publish the model to the registry (--store)
  --promote ALIAS        publish, then point ALIAS (e.g. production) at the new version
  --store LOCATION       registry for --publish: a folder, an https:// Blob container URL
                         (DefaultAzureCredential) or azblob://<container>; default
                         FLUXOPS_STORE, else .fluxops (where versions land by default)
  --json                 print a JSON summary on stdout
  -h, --help             show this help

Writes DIR/model.json, DIR/metrics.json and DIR/report.html, and DIR/model.sig when a
signing key is configured (FLUXOPS_KEY_VAULT_URI [+ FLUXOPS_SIGNING_SECRET],
FLUXOPS_SIGNING_KEY_FILE or FLUXOPS_SIGNING_KEY).
Exit status: 0 success, 2 usage error, 1 data error, 3 publish conflict, 4 the store refused or
could not be reached (read-only, full, permission denied, unreachable).`;

/** Trains one shard and writes its folder; returns the exit status. */
async function writeShard(spec: ShardSpec, o: {
  data: string | undefined;
  target: string | undefined;
  eval: string | undefined;
  testSize: number | undefined;
  params: Partial<ForestParams>;
  workers: number | undefined;
  out: string | undefined;
  json: boolean;
}): Promise<number> {
  const params = resolveParams(o.params);
  const sets = await loadTrainingSets(
    {
      data: o.data,
      target: o.target,
      eval: o.eval,
      ...(o.testSize ? { testSize: o.testSize } : {}),
    },
    params.seed,
  );
  const bar = Deno.stderr.isTerminal() ? progressBar(`shard ${spec.k}/${spec.n}`) : undefined;
  const shard = await trainShard({
    spec,
    train: sets.train,
    params,
    testSize: o.eval === undefined ? (o.testSize ?? 0.2) : null,
    data: sets.lineage,
    workers: o.workers,
    onTree: bar?.update,
  });
  bar?.done();
  const dir = o.out ?? join(DEFAULT_STORE, "shards", `${spec.k}-of-${spec.n}`);
  const bytes = new TextEncoder().encode(JSON.stringify(shard) + "\n");
  await writeModelDir(dir, new Map([[SHARD_FILE, bytes]]));
  const summary = {
    shard: `${spec.k}/${spec.n}`,
    trees: shard.trees.map((t) => t.index),
    dir,
    file: join(dir, SHARD_FILE),
    data_sha256: shard.data.train.sha256,
    train_seconds: shard.train_seconds,
  };
  if (o.json) console.log(JSON.stringify(summary));
  else {
    console.error(
      `trained shard ${summary.shard}: ${summary.trees.length} of ${params.n_estimators} trees ` +
        `in ${shard.train_seconds.toFixed(2)} s on ${shard.n_train} rows\nshard:  ${summary.file}`,
    );
  }
  return 0;
}

/** Runs the trainer with command-line `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    data: { type: "string" },
    target: { type: "string" },
    eval: { type: "string" },
    "test-size": { type: "number", above: 0, below: 1 },
    trees: { type: "integer", min: 1 },
    "max-depth": { type: "integer", min: 1 },
    "max-features": { type: "string" },
    "min-samples-leaf": { type: "integer", min: 1 },
    seed: { type: "integer", min: 0 },
    engine: { type: "string", choices: ["native", "ml-random-forest"] },
    workers: { type: "integer", min: 0 },
    out: { type: "string" },
    publish: { type: "boolean" },
    promote: { type: "string" },
    store: { type: "string" },
    json: { type: "boolean" },
    shard: { type: "string" },
    shards: { type: "string" },
  }, HELP());
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  try {
    const engine: EngineName = values.engine ?? "native";
    const testSize = values["test-size"];
    const params: Partial<ForestParams> = {};
    const set = <K extends keyof ForestParams>(k: K, v: ForestParams[K] | undefined) => {
      if (v !== undefined) (params as Record<string, unknown>)[k] = v;
    };
    set("n_estimators", values.trees);
    set("max_depth", values["max-depth"]);
    set("min_samples_leaf", values["min-samples-leaf"]);
    set("seed", values.seed);
    if (values["max-features"] !== undefined) {
      try {
        set("max_features", parseMaxFeatures(values["max-features"]));
      } catch (err) {
        throw new UsageError(`--${describeError(err).replace("_", "-")}`);
      }
    }

    const workers = values.workers;
    if (values.shard !== undefined) {
      let spec: ShardSpec;
      try {
        spec = parseShardSpec(values.shard);
      } catch (err) {
        throw new UsageError(describeError(err));
      }
      if (values.shards !== undefined) throw new UsageError("--shard and --shards: choose one");
      if (engine !== "native") {
        throw new UsageError("--shard: only the native engine trains trees independently");
      }
      if (values.publish || values.promote) {
        throw new UsageError("--shard: a shard is not a model; merge the shards, then publish");
      }
      return await writeShard(spec, {
        data: values.data,
        target: values.target,
        eval: values.eval,
        testSize,
        params,
        workers,
        out: values.out,
        json: values.json === true,
      });
    }
    let result: TrainResult;
    if (values.shards !== undefined) {
      const training = ["trees", "max-depth", "max-features", "min-samples-leaf", "seed"]
        .concat(["engine", "test-size", "target", "shard", "workers"])
        .filter((f) => values[f as keyof typeof values] !== undefined);
      if (training.length > 0) {
        throw new UsageError(
          `--shards merges trained shards: --${training[0]} belongs to their training`,
        );
      }
      const merged = await mergeShardFolders(await shardFoldersIn(values.shards), {
        data: values.data,
        eval: values.eval,
        build: await buildInfo(),
      });
      result = merged.result;
    } else {
      const interactive = Deno.stderr.isTerminal();
      const bar = interactive ? progressBar("training") : undefined;
      result = await trainModel(
        {
          data: values.data,
          target: values.target,
          eval: values.eval,
          ...(testSize === undefined ? {} : { testSize }),
          params,
          engine,
          workers,
          build: await buildInfo(),
        },
        bar?.update,
      );
      bar?.done();
    }
    const key = await signingKeyProvider()();
    const files = modelFiles(result, key);
    const dir = values.out ?? join(DEFAULT_STORE, "models", result.artifact.version);
    await writeModelDir(dir, files);
    let published: string | undefined;
    if (values.publish || values.promote) {
      const registry = await openRegistry(storeLocation(values.store), { createContainer: true });
      const sameFolder = values.out === undefined &&
        registry.backend instanceof FsBackend && registry.location === DEFAULT_STORE;
      // The default output folder is already the local store's version folder.
      if (!sameFolder) await registry.publish(files);
      if (values.promote) await registry.promote(result.artifact.version, values.promote);
      published = registry.location;
    }
    const m = result.metrics;
    const summary = {
      version: result.artifact.version,
      dir,
      model: join(dir, "model.json"),
      report: join(dir, "report.html"),
      accuracy: m.accuracy,
      f1: m.f1,
      roc_auc: m.roc_auc,
      train_seconds: m.train_seconds,
      engine: m.engine,
      signed: key !== undefined,
      published: published ?? null,
      promoted: values.promote ?? null,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      console.error(
        `${
          values.shards ? "merged" : "trained"
        } ${result.artifact.version} (${m.engine}): accuracy ${m.accuracy.toFixed(4)}, f1 ${
          m.f1.toFixed(4)
        }, ${m.train_seconds.toFixed(2)} s on ${m.n_train} rows; evaluated on ${m.n_test} rows`,
      );
      console.error(`model:  ${summary.model}\nreport: ${summary.report}`);
      if (key) console.error(`signed with ${key.keyId}`);
      if (published) {
        console.error(
          `published to ${published}${values.promote ? `, now ${values.promote}` : ""}`,
        );
      }
    }
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    if (err instanceof UsageError) return 2;
    if (err instanceof FluxError && err.code === "invalid_input") return 2;
    if (err instanceof FluxError && err.code === "conflict") return 3;
    if (err instanceof FluxError && err.code === "store_error") return 4;
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
