/**
 * `deno task start`: trains the seed workload if the local model store is empty, then serves
 * predictions on http://localhost:7071 and prints a curl command ready to paste.
 * @module
 */
import { main as serve } from "../function/main.ts";
import { main as train } from "../trainer/main.ts";
import { ModelNotFound } from "../lib/errors.ts";
import { latestModelPath } from "../lib/model/local_store.ts";
import { loadModel } from "../lib/model/artifact.ts";

const args = Deno.args;
if (args.includes("--help") || args.includes("-h")) {
  console.log(`deno task start: train the seed workload if no model exists yet, then serve it

Usage: deno task start [--port N]   (other flags as for deno task serve)`);
  Deno.exit(0);
}

let path: string;
try {
  path = await latestModelPath();
} catch (err) {
  if (!(err instanceof ModelNotFound)) throw err;
  console.error("no model in .fluxops/models yet: training the seed workload first");
  const code = await train([]);
  if (code !== 0) Deno.exit(code);
  path = await latestModelPath();
}
const model = await loadModel(path);
const portAt = args.indexOf("--port");
const port = (portAt >= 0 ? args[portAt + 1] : undefined) ??
  Deno.env.get("FUNCTIONS_CUSTOMHANDLER_PORT") ?? "7071";
const example = JSON.stringify({
  features: model.artifact.features.map((f) => Number(f.mean.toFixed(3))),
});
console.error(`
serving ${model.artifact.version} from ${path}
try:
  curl -s http://localhost:${port}/api/health
  curl -s -X POST http://localhost:${port}/api/predict -H 'content-type: application/json' \\
    -d '${example}'
stop with Ctrl+C
`);
Deno.exit(
  await serve([
    "--model",
    path,
    "--port",
    port,
    ...args.filter((_, i) => i !== portAt && i !== portAt + 1),
  ]),
);
