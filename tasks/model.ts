/**
 * `deno task model`: the model registry from the command line: publish, list, show, promote,
 * rollback and prune, as a table or, with `--json`, as JSON; and `export` of a model to ONNX or
 * scikit-learn.
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";
import { openRegistry, storeLocation } from "../lib/store/open_store.ts";
import { type ModelRegistry, VERSION_FILES } from "../lib/store/registry.ts";
import { mergeMain } from "./model_merge.ts";
import { compareMain } from "./model_compare.ts";
import { parseModel } from "../lib/model/artifact.ts";
import { lineageLines } from "../lib/model/lineage_text.ts";
import { exportModel } from "./model_export.ts";

const HELP = `deno task model: the model registry

Usage: deno task model <command> [options]

Commands:
  publish DIR [--promote ALIAS]  publish a trained model folder (model.json, metrics.json,
                                 report.html, model.sig) as an immutable version
  list                           versions with created_at, accuracy and aliases
  show VERSION                   one version's summary and files
  promote VERSION [--alias A]    point alias A (default production) at VERSION
  rollback [--alias A]           point alias A back at the version it named before
  prune [--keep N]               delete versions no alias names, keeping the newest N (default 5)
  merge SHARD... --out DIR       join the shards of \`deno task train --shard K/N\` into one
                                 model (see \`deno task model merge --help\`)
  compare CANDIDATE [--against A] the promotion gate: exit 0 when CANDIDATE scores at least
                                 alias A's model minus a tolerance, 5 when worse (see
                                 \`deno task model compare --help\`)
  export --format F --out FILE [MODEL]
                                 write MODEL (a model.json or its folder; default the newest
                                 model in .fluxops/models) for another runtime:
                                 onnx     an ONNX TreeEnsembleClassifier (ai.onnx.ml opset 3)
                                          with the class labels; input "input" (rows x
                                          features, in model.json's feature order), outputs
                                          "label" and "probabilities" (float32). --precision
                                          float64 (default: float64 input and thresholds, the
                                          same branches as FluxOps, probabilities equal to
                                          float32 rounding) or float32 (float32 input and
                                          thresholds rounded up, for runtimes without double)
                                 sklearn  a pickled scikit-learn RandomForestClassifier with the
                                          same trees, written by bench/fluxops_to_sklearn.py;
                                          needs Python with scikit-learn 1.9 (--python PATH,
                                          else FLUXOPS_PYTHON, else bench/.venv, else python3)

Options:
  --store LOCATION  a folder, file: URL, https://<account>.blob.core.windows.net/<container>
                    (DefaultAzureCredential) or azblob://<container> (connection string);
                    default FLUXOPS_STORE, else .fluxops
  --json            print JSON instead of a table
  --format F        export: onnx (default) or sklearn
  --out FILE        export: the file to write (replaced atomically)
  --precision P     export --format onnx: float64 (default) or float32
  --python PATH     export --format sklearn: the Python to run the helper with
  -h, --help        show this help

Exit status: 0 success, 2 usage error, 3 conflict (the registry changed meanwhile, or the
version exists), 4 the store refused or could not be reached (read-only, full, permission
denied, unreachable; the message names the store and the cause, and a publish it stopped is
not visible), 1 any other error.`;

/** Reads a model folder's publishable files. */
export async function readModelDir(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of VERSION_FILES) {
    if (name === "meta.json") continue;
    try {
      files.set(name, new Uint8Array(await readFile(join(dir, name))));
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") throw err;
    }
  }
  if (!files.has("model.json")) throw new UsageError(`${dir}: no model.json in this folder`);
  return files;
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => (r[c] === null || r[c] === undefined ? "" : String(r[c])))
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

async function run(
  registry: ModelRegistry,
  cmd: string,
  args: string[],
  values: Record<string, unknown>,
) {
  const alias = (values.alias as string | undefined) ?? "production";
  const need = (what: string) => {
    const v = args[0];
    if (!v) throw new UsageError(`${cmd}: ${what} is required (see --help)`);
    return v;
  };
  switch (cmd) {
    case "publish": {
      const meta = await registry.publish(await readModelDir(need("DIR")));
      const pointer = values.promote
        ? await registry.promote(meta.version, values.promote as string)
        : undefined;
      return {
        result: { ...meta, ...(pointer ? { promoted: pointer.alias } : {}) },
        text: `published ${meta.version}${pointer ? `, now ${pointer.alias}` : ""}`,
      };
    }
    case "list": {
      const rows = (await registry.list()).reverse();
      const text = rows.length === 0 ? `no versions in ${registry.location}` : table(
        rows.map((r) => ({
          ...r,
          accuracy: r.accuracy?.toFixed(4),
          aliases: r.aliases.join(","),
          signed: r.signed ? "yes" : "no",
        })),
        ["version", "created_at", "accuracy", "engine", "signed", "aliases"],
      );
      return { result: rows, text };
    }
    case "show": {
      const version = need("VERSION");
      const meta = await registry.meta(version);
      const files = (await registry.backend.list(`models/${version}/`)).map((k) =>
        k.split("/").pop()
      );
      const aliases = (await registry.aliases()).filter((a) => a.version === version).map((a) =>
        a.alias
      );
      // Lineage (issue 16): the data and build model.json records.
      const model = parseModel(
        new TextDecoder().decode(await registry.file(version, "model.json")),
        `${registry.location} ${version}`,
      ).artifact;
      const result = {
        ...meta,
        files,
        aliases,
        data: model.data ?? null,
        build: model.build ?? null,
      };
      const { data: _d, build: _b, ...plain } = result;
      return {
        result,
        text: [
          ...Object.entries(plain).map(([k, v]) =>
            `${k.padEnd(11)} ${Array.isArray(v) ? v.join(", ") : v}`
          ),
          ...lineageLines(model).map(([k, v]) => `${k.padEnd(11)} ${v}`),
        ].join("\n"),
      };
    }
    case "promote": {
      const p = await registry.promote(need("VERSION"), alias);
      return {
        result: p,
        text: `${p.alias} -> ${p.version}${p.history[0] ? ` (was ${p.history[0].version})` : ""}`,
      };
    }
    case "rollback": {
      const before = (await registry.alias(alias))?.pointer.version;
      const p = await registry.rollback(alias);
      return { result: p, text: `${p.alias} -> ${p.version} (rolled back from ${before})` };
    }
    case "prune": {
      const keep = (values.keep as number | undefined) ?? 5;
      const deleted = await registry.prune(keep);
      return {
        result: { deleted },
        text: deleted.length ? `deleted ${deleted.join(", ")}` : "nothing to prune",
      };
    }
    default:
      throw new UsageError(`unknown command "${cmd}" (see --help)`);
  }
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // Local commands with flags of their own (issue 16), before the registry's flags are parsed.
  if (argv[0] === "merge") return await mergeMain(argv.slice(1));
  if (argv[0] === "compare") return await compareMain(argv.slice(1));
  const cli = parseCli(
    argv,
    {
      store: { type: "string" },
      alias: { type: "string" },
      promote: { type: "string" },
      keep: { type: "integer", min: 0 },
      json: { type: "boolean" },
      format: { type: "string" },
      out: { type: "string" },
      precision: { type: "string" },
      python: { type: "string" },
    },
    HELP,
    { allowPositionals: true },
  );
  if (cli.exit !== undefined) return cli.exit;
  const { values, positionals } = cli;
  if (positionals.length === 0) {
    console.log(HELP);
    return 2;
  }
  const [cmd, ...args] = positionals as [string, ...string[]];
  try {
    if (cmd === "export") {
      if (args.length > 1) throw new UsageError("export: at most one MODEL (see --help)");
      const r = await exportModel(args[0], {
        format: values.format,
        out: values.out,
        precision: values.precision,
        python: values.python,
      });
      console.log(
        values.json
          ? JSON.stringify(r, null, 2)
          : `wrote ${r.out} (${r.format}, ${r.bytes} bytes, ` +
            `${r.trees} trees, ${r.nodes} nodes, classes ${r.classes.join(", ")})`,
      );
      return 0;
    }
    const registry = await openRegistry(storeLocation(values.store), { createContainer: true });
    const { result, text } = await run(registry, cmd, args, values);
    console.log(values.json ? JSON.stringify(result, null, 2) : text);
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    if (err instanceof UsageError || (err instanceof FluxError && err.code === "invalid_input")) {
      return 2;
    }
    if (err instanceof FluxError && err.code === "conflict") return 3;
    if (err instanceof FluxError && err.code === "store_error") return 4;
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
