/**
 * The prediction function's server: serves {@link createHandler} with `Deno.serve` on
 * `FUNCTIONS_CUSTOMHANDLER_PORT` (set by the Azure Functions host for a custom handler), else
 * `--port`, default 7071. On SIGTERM or SIGINT it stops accepting connections and drains the
 * requests in flight before it exits.
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { driftLogLine, type DriftMonitor } from "../lib/drift/monitor.ts";
import { driftMonitorFromEnv } from "../lib/drift/settings.ts";
import { describeError } from "../lib/errors.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { resolveModelPath } from "../lib/model/local_store.ts";
import { verifySignature } from "../lib/model/signing.ts";
import { signingKeyProvider } from "../lib/secrets/key_provider.ts";
import { openRegistry, storeLocation } from "../lib/store/open_store.ts";
import { RegistryFollower } from "../lib/serving/registry_follower.ts";
import { ModelHolder } from "../lib/serving/model_holder.ts";
import { createHandler } from "./handler.ts";

const HELP = `fluxops function: serve predictions over HTTP

Usage: deno task serve [--model PATH] [--port N]

  --model PATH         serve this model.json or model folder (env FLUXOPS_MODEL)
  --store LOCATION     else follow a registry (env FLUXOPS_STORE; default .fluxops): the
                       alias FLUXOPS_ALIAS (default production; locally, without an alias,
                       the newest version) or the pinned FLUXOPS_MODEL_VERSION, polled every
                       FLUXOPS_POLL_SECONDS (default 30). With a signing key configured
                       (FLUXOPS_KEY_VAULT_URI, FLUXOPS_SIGNING_KEY_FILE or FLUXOPS_SIGNING_KEY)
                       only models with a valid signature are served.
  --port N             port (default: FUNCTIONS_CUSTOMHANDLER_PORT, else 7071)
  --hostname H         address to listen on (default 0.0.0.0; 127.0.0.1 for local only)
  --model-name NAME    model name in /v2/models/{name} (env FLUXOPS_MODEL_NAME, default fluxops)
  --max-body BYTES     largest request body (env FLUXOPS_MAX_BODY_BYTES, default 1048576)
  --max-instances N    most rows per request (env FLUXOPS_MAX_INSTANCES, default 10000)

Drift: the last FLUXOPS_DRIFT_WINDOW rows (default 1000; 0 turns it off) are compared with
the training data (GET /api/drift); a feature crossing PSI 0.1 (warn) or 0.25 (alert) is
logged once the window holds FLUXOPS_DRIFT_MIN_ROWS rows (default 500).

On SIGTERM/SIGINT it finishes the requests in flight (up to FLUXOPS_DRAIN_SECONDS, default 30)
before it exits.
  -h, --help           show this help

Routes: GET /api/health, POST /api/predict, GET /api/model-info, GET /api/drift,
GET /api/openapi.json, and the Open Inference Protocol under /v2.`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new Error(`${name}: expected a positive integer, got "${text}"`);
  }
  return Number(text);
}

function positiveNumber(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && n > 0 ? n : fallback;
}

function logLine(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

/** Starts the server; resolves when it has shut down. */
export async function main(args: string[]): Promise<number> {
  const startedAt = performance.now();
  const cli = parseCli(args, {
    model: { type: "string" },
    store: { type: "string" },
    port: { type: "string" },
    hostname: { type: "string" },
    "model-name": { type: "string" },
    "max-body": { type: "string" },
    "max-instances": { type: "string" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const env = (name: string) => Deno.env.get(name);
  let port: number;
  let maxBodyBytes: number;
  let maxInstances: number;
  let drift: DriftMonitor | null;
  try {
    port = positiveInt("port", env("FUNCTIONS_CUSTOMHANDLER_PORT") ?? values.port, 7071);
    maxBodyBytes = positiveInt(
      "max-body",
      values["max-body"] ?? env("FLUXOPS_MAX_BODY_BYTES"),
      1 << 20,
    );
    maxInstances = positiveInt(
      "max-instances",
      values["max-instances"] ?? env("FLUXOPS_MAX_INSTANCES"),
      10_000,
    );
    drift = driftMonitorFromEnv(env, (e) => console.log(driftLogLine(e)));
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return 2;
  }
  const modelArg = values.model ?? env("FLUXOPS_MODEL");
  const holder = new ModelHolder();
  let follower: RegistryFollower | undefined;
  if (modelArg) {
    // A model file: load it once.
    const loaded = await holder.load(async () => loadModel(await resolveModelPath(modelArg)));
    const served = holder.served;
    if (loaded && served) {
      logLine("info", "model loaded", {
        model_version: served.model.artifact.version,
        features: served.model.featureNames.length,
        classes: served.model.artifact.classes.length,
      });
    } else {
      logLine("error", "no model loaded; serving 503", { reason: holder.state().lastError });
    }
  } else {
    // The registry: follow an alias (or a pinned version), polling for changes.
    const explicit = values.store ?? env("FLUXOPS_STORE");
    try {
      const registry = await openRegistry(storeLocation(explicit));
      const keys = signingKeyProvider();
      follower = new RegistryFollower({
        registry,
        holder,
        alias: env("FLUXOPS_ALIAS") ?? "production",
        version: env("FLUXOPS_MODEL_VERSION") || undefined,
        newestIfNoAlias: explicit === undefined && !env("FLUXOPS_ALIAS"),
        pollSeconds: positiveNumber(env("FLUXOPS_POLL_SECONDS"), 30),
        verify: async (bytes, sig, version) => {
          const key = await keys();
          if (key) verifySignature(bytes, sig, key, version);
        },
        log: (level, msg, fields) => logLine(level, msg, fields ?? {}),
      });
    } catch (err) {
      console.error(`error: ${describeError(err)}`);
      return 2;
    }
    void follower.start(); // serves 503 until the first model loads
  }

  const handler = createHandler({
    holder,
    modelName: values["model-name"] ?? env("FLUXOPS_MODEL_NAME") ?? "fluxops",
    maxBodyBytes,
    maxInstances,
    startedAt,
    drift,
    ...(follower ? { healthDetails: () => ({ store: follower.state() }) } : {}),
  });
  // Deno's server.shutdown() drops request bodies still being received, so the drain is done
  // here: count requests in flight, and on a signal wait for them to finish (telling clients to
  // close their connections) before shutting the server down.
  let inFlight = 0;
  let draining = false;
  const counted = async (req: Request): Promise<Response> => {
    inFlight++;
    try {
      const res = await handler(req);
      if (draining) res.headers.set("connection", "close");
      return res;
    } finally {
      inFlight--;
    }
  };
  const drainMs = 1000 * positiveNumber(env("FLUXOPS_DRAIN_SECONDS"), 30);
  const server = Deno.serve({
    port,
    hostname: values.hostname ?? "0.0.0.0",
    onListen: ({ hostname, port }) => {
      logLine("info", "listening", {
        url: `http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`,
        startup_ms: Math.round(performance.now() - startedAt),
      });
    },
    onError: (err) => {
      logLine("error", "unhandled error", { error: describeError(err) });
      return new Response(
        JSON.stringify({ error: { code: "internal", message: "internal error" } }),
        { status: 500, headers: { "content-type": "application/json" } },
      );
    },
  }, counted);

  const stop = async (signal: string) => {
    if (draining) return;
    draining = true;
    logLine("info", "draining", { signal, in_flight: inFlight });
    const deadline = performance.now() + drainMs;
    while (inFlight > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (inFlight > 0) logLine("warn", "drain timed out", { in_flight: inFlight });
    await server.shutdown();
  };
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  const listeners = signals.map((s) => [s, () => void stop(s)] as const);
  for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);
  await server.finished;
  await follower?.stop();
  // The listeners stay until the process exits: a second SIGTERM during the final steps must not
  // kill it with the default action.
  logLine("info", "stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
