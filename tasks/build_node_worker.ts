/**
 * Builds the Node.js-worker app (`deno task build:node-worker`): `dist/node-worker/` with
 * `index.mjs` (`deno bundle` of function/node_worker.ts, `@azure/functions` and the handler
 * inlined), `package.json` naming it as the entry point, and `host.json` with the empty route
 * prefix the route table's paths assume. Deploy the folder to a Function App on the Node.js
 * stack (`FUNCTIONS_WORKER_RUNTIME=node`) with `FLUXOPS_MODEL` naming the model file.
 *
 * `@azure/functions-core` stays a run-time `require`: the Node.js worker provides that module
 * itself (it is no npm package), and `@azure/functions` falls back to its test mode without it.
 * @module
 */
import { join, resolve } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError } from "../lib/errors.ts";
import { ROUTES } from "../function/routes.ts";
import { ROOT } from "./build_function.ts";

const HELP =
  `build:node-worker: bundle the prediction function for the Azure Functions Node.js worker

Usage: deno task build:node-worker [--out DIR] [--json]

Writes DIR/index.mjs (deno bundle of function/node_worker.ts, npm packages inlined),
DIR/package.json (main: index.mjs) and DIR/host.json (routePrefix ""). Default DIR:
dist/node-worker. The app needs Node.js 20+ and the app setting FLUXOPS_MODEL (a model.json).

  --out DIR   where to write the app (default dist/node-worker)
  --json      print the result as JSON
  -h, --help  show this help`;

/** What {@link buildNodeWorker} wrote. */
export interface NodeWorkerBuild {
  readonly out: string;
  readonly entry: string;
  readonly bytes: number;
  readonly functions: readonly string[];
}

/** The `host.json` of the Node.js app: the Functions v4 host, routes without a prefix. */
export function nodeHostJson(): Record<string, unknown> {
  return { version: "2.0", extensions: { http: { routePrefix: "" } } };
}

/**
 * Bundles the Node.js-worker app into `out`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildNodeWorker } from "./build_node_worker.ts";
 * const out = await Deno.makeTempDir(); // default: dist/node-worker
 * const { entry, functions } = await buildNodeWorker({ out });
 * assert.ok(entry.endsWith("index.mjs") && functions.includes("predict"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function buildNodeWorker(
  { out = join(ROOT, "dist", "node-worker") }: { out?: string } = {},
): Promise<NodeWorkerBuild> {
  out = resolve(out);
  await Deno.mkdir(out, { recursive: true });
  const entry = join(out, "index.mjs");
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform=deno",
      "--format=esm",
      "--external=@azure/functions-core",
      "--output",
      entry,
      "function/node_worker.ts",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    const why = new TextDecoder().decode(stderr).trim();
    throw new Error(`deno bundle function/node_worker.ts failed:\n${why}`);
  }
  const pkg = {
    name: "fluxops-node-worker",
    private: true,
    type: "module",
    main: "index.mjs",
    engines: { node: ">=20" },
  };
  await Deno.writeTextFile(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  await Deno.writeTextFile(join(out, "host.json"), JSON.stringify(nodeHostJson(), null, 2) + "\n");
  return { out, entry, bytes: (await Deno.stat(entry)).size, functions: ROUTES.map((r) => r.name) };
}

/** Builds the app; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, { out: { type: "string" }, json: { type: "boolean" } }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  try {
    const built = await buildNodeWorker(cli.values.out ? { out: cli.values.out } : {});
    if (cli.values.json) console.log(JSON.stringify(built));
    else {
      console.log(`wrote ${built.out}`);
      console.log(`  index.mjs   ${(built.bytes / 1024).toFixed(1)} KiB`);
      console.log(`  functions   ${built.functions.join(", ")}`);
    }
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
