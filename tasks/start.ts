/**
 * `deno task start`: trains the seed workload if the local model store is empty, then serves
 * predictions on http://localhost:7071 and prints a curl command ready to paste. It takes the
 * flags of `deno task serve` and the same port: `--port`, else `FUNCTIONS_CUSTOMHANDLER_PORT`,
 * else 7071 (lib/cli/serve_port.ts decides for both).
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { servePort } from "../lib/cli/serve_port.ts";
import { HELP as SERVE_HELP, main as serve, SERVE_OPTIONS } from "../function/main.ts";
import { main as train } from "../trainer/main.ts";
import { describeError, ModelNotFound, UsageError } from "../lib/errors.ts";
import { latestModelPath, resolveModelPath } from "../lib/model/local_store.ts";
import { loadModel } from "../lib/model/artifact.ts";

const HELP = `deno task start: train the seed workload if no model exists yet, then serve it

Usage: deno task start [--port N] [other flags of deno task serve]

${SERVE_HELP}`;

/** Starts the local server (training first when there is no model); returns the exit status. */
export async function main(args: string[]): Promise<number> {
  // Refuse bad flags before minutes of training, with the messages `serve` would print.
  const cli = parseCli(args, SERVE_OPTIONS, HELP);
  if (cli.exit !== undefined) return cli.exit;
  let port: number;
  try {
    port = servePort(cli.values.port, (name) => Deno.env.get(name));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${describeError(err)}`);
    return 2;
  }
  let path: string;
  if (cli.values.model === undefined) {
    try {
      path = await latestModelPath();
    } catch (err) {
      if (!(err instanceof ModelNotFound)) throw err;
      console.error("no model in .fluxops/models yet: training the seed workload first");
      const code = await train([]);
      if (code !== 0) return code;
      path = await latestModelPath();
    }
    args = ["--model", path, ...args];
  } else path = await resolveModelPath(cli.values.model);
  const model = await loadModel(path);
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
  // serve() decides the port from the same flags and environment, with the same function.
  return await serve(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
