/**
 * The prediction function's server: serves {@link createHandler} with `Deno.serve` on `--port`,
 * else `FUNCTIONS_CUSTOMHANDLER_PORT` (set by the Azure Functions host for a custom handler),
 * else 7071 (one rule for every entry point: lib/cli/serve_port.ts). On SIGTERM or SIGINT it
 * tells keep-alive clients to close, finishes the requests in flight, stops accepting connections
 * and exits. A request body that does not arrive within the body timeout is answered 408 and its
 * connection closed.
 * @module
 */
import { type CliValues, invalidValue, parseCli, parseNumber } from "../lib/cli/parse_cli.ts";
import { PORT_OPTION, servePort } from "../lib/cli/serve_port.ts";
import { driftLogLine, type DriftMonitor } from "../lib/drift/monitor.ts";
import { driftMonitorFromEnv } from "../lib/drift/settings.ts";
import { describeError, UsageError } from "../lib/errors.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { resolveModelPath } from "../lib/model/local_store.ts";
import { modelVerifier } from "../lib/secrets/key_provider.ts";
import { openRegistry, storeLocation } from "../lib/store/open_store.ts";
import { RegistryFollower } from "./serving/registry_follower.ts";
import { ModelHolder } from "./serving/model_holder.ts";
import { LineWriter, writeAllSync } from "../lib/log/line_writer.ts";
import { formatRequestLog } from "../lib/log/request_line.ts";
import { Release, type RollbackEvent } from "./serving/release.ts";
import { parseReleaseConfig, type ReleaseConfig } from "./serving/release_config.ts";
import { ReadDeadlines } from "./serving/read_deadlines.ts";
import { createHandler } from "./handler.ts";
import { type HttpServer, serveHttp } from "./http_server.ts";
import { inServingThread, runServingThread } from "./serving_thread.ts";
import { ServingThreads } from "./serving_threads.ts";

export const HELP = `fluxops function: serve predictions over HTTP

Usage: deno task serve [--model PATH] [--port N]

  --model PATH         serve this model.json or model folder (env FLUXOPS_MODEL)
  --store LOCATION     else follow a registry (env FLUXOPS_STORE; default .fluxops): the
                       alias FLUXOPS_ALIAS (default production; locally, without an alias,
                       the newest version) or the pinned FLUXOPS_MODEL_VERSION, polled every
                       FLUXOPS_POLL_SECONDS (default 30). With a signing key configured
                       (FLUXOPS_KEY_VAULT_URI, FLUXOPS_SIGNING_KEY_FILE or FLUXOPS_SIGNING_KEY)
                       only models with a valid signature are served; from Key Vault, by
                       the current or the previous version of the key.
  --port N             port (default: FUNCTIONS_CUSTOMHANDLER_PORT, else 7071)
  --hostname H         address to listen on (default 0.0.0.0; 127.0.0.1 for local only)
  --model-name NAME    model name in /v2/models/{name} (env FLUXOPS_MODEL_NAME, default fluxops)
  --max-body BYTES     largest request body (env FLUXOPS_MAX_BODY_BYTES; default: room for
                       --max-instances rows of the served model, by feature name, each value
                       in at most 25 characters, plus 64 KiB; at least 1048576)
  --max-instances N    most rows per request (env FLUXOPS_MAX_INSTANCES, default 10000)
  --body-timeout S     seconds a request body may take to arrive, else 408 and the connection
                       is closed (env FLUXOPS_BODY_TIMEOUT_SECONDS, default 15)
  --threads N          threads serving the port (env FLUXOPS_THREADS; default auto: one per
                       CPU, at most 4, on Linux; 1 elsewhere). Needs --unstable-net for more
                       than one, else it serves on one and says so. The main thread keeps
                       the models, the drift window and the release counters for all.

Canary and shadow releases (environment only):
  FLUXOPS_RELEASE_MODE         off (default), canary or shadow
  FLUXOPS_CANDIDATE_ALIAS      the alias the candidate follows (default candidate)
  FLUXOPS_CANDIDATE_MODEL      a candidate model file instead (required with --model)
  FLUXOPS_CANARY_WEIGHT        canary: share of requests the candidate answers, a fraction
                               from 0 to 1 (0.1 = 10%); required in canary mode
  FLUXOPS_STICKY_HEADER        the header whose value (hashed) keeps a subject on one version
                               (default x-fluxops-subject); without it, the request id decides
                               (x-request-id when sent, else random per request)
  FLUXOPS_ROLLBACK_ERROR_RATE  roll the candidate back in this process when over this share
                               of its requests fail (default 0.05; 1 never)
  FLUXOPS_ROLLBACK_MIN_REQUESTS  candidate requests before judging (default 50)

Drift: the last FLUXOPS_DRIFT_WINDOW rows (default 1000; 0 turns it off) are compared with
the training data (GET /api/drift): a feature drifts when its chi-square p-value over the
training deciles is under FLUXOPS_DRIFT_ALPHA (default 0.005) / features; each change of a
feature's status is logged once the window holds FLUXOPS_DRIFT_MIN_ROWS rows (default 100).

On SIGTERM/SIGINT it answers every request with "connection: close" for up to a second (until
traffic pauses), finishes the requests in flight (up to FLUXOPS_DRAIN_SECONDS, default 30), then
stops accepting connections and exits 0.
  -h, --help           show this help

Routes: GET /api/health, POST /api/predict, GET /api/model-info, GET /api/drift,
GET /api/openapi.json, and the Open Inference Protocol under /v2.`;

/** Time a serving thread gets to stop after its drain, before it is terminated. */
const THREAD_STOP_MS = 5000;

/** A numeric variable `name` read with `env`, or undefined when it is unset or empty. */
function optionalSetting(
  env: Env,
  name: string,
  option: { readonly type: "integer" | "number"; readonly min?: number; readonly above?: number },
): number | undefined {
  const text = env(name);
  return text === undefined || text === "" ? undefined : parseNumber(name, text, option);
}

/** A numeric setting: the flag's value when given, else the variable `name`, else `fallback`. */
function setting(
  flag: number | undefined,
  name: string,
  option: { readonly type: "integer" | "number"; readonly min?: number; readonly above?: number },
  fallback: number,
): number {
  if (flag !== undefined) return flag;
  const text = Deno.env.get(name);
  return text === undefined || text === "" ? fallback : parseNumber(name, text, option);
}

/**
 * Serving threads to run: a positive integer, or `auto` (the default): one per CPU, at most 4
 * (each holds a V8 heap and a copy of the model), on Linux, where the kernel spreads connections
 * over listeners sharing a port; else one.
 */
function threadsWanted(label: string, text: string | undefined): number {
  if (text === undefined || text === "" || text === "auto") {
    return Deno.build.os === "linux" ? Math.max(1, Math.min(4, navigator.hardwareConcurrency)) : 1;
  }
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) {
    throw new UsageError(invalidValue(label, "auto or a positive integer", text));
  }
  return Number(text);
}

/**
 * Whether Deno runs with `--unstable-net`, which `reusePort` needs in 2.9.6 (without it, asking
 * for the option ends the process). `Deno.listenDatagram` exists only with that flag.
 */
function unstableNet(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

function positiveNumber(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && n > 0 ? n : fallback;
}

/** Every log line of the server, request lines included, in order, written in batches. */
const out = new LineWriter((bytes) => writeAllSync(Deno.stdout, bytes));

function logLine(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  out.line(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

/** The flags of `deno task serve` (and of `deno task start`, which passes them on). */
export const SERVE_OPTIONS = {
  model: { type: "string" },
  store: { type: "string" },
  port: PORT_OPTION,
  hostname: { type: "string" },
  "model-name": { type: "string" },
  "max-body": { type: "integer", min: 1 },
  "max-instances": { type: "integer", min: 1 },
  "body-timeout": { type: "number", above: 0 },
  threads: { type: "string" },
} as const;

type Values = CliValues<typeof SERVE_OPTIONS>;
type Env = (name: string) => string | undefined;
type Log = (level: string, msg: string, fields?: Record<string, unknown>) => void;

/** Everything the server is told by its flags and environment. */
interface Settings {
  readonly port: number;
  readonly hostname: string;
  /** Undefined: the handler derives the limit from `maxInstances` and the model's features. */
  readonly maxBodyBytes: number | undefined;
  readonly maxInstances: number;
  readonly bodyTimeoutS: number;
  readonly drainMs: number;
  readonly threadCount: number;
  readonly drift: DriftMonitor | null;
  readonly modelName: string;
  /** A model file to serve; else the registry is followed. */
  readonly modelArg: string | undefined;
  readonly alias: string;
  readonly releaseConfig: ReleaseConfig;
}

/** Reads and checks the settings; throws on a value out of range. */
function readSettings(values: Values, env: Env): Settings {
  const threadCount = values.threads === undefined
    ? threadsWanted("FLUXOPS_THREADS", env("FLUXOPS_THREADS"))
    : threadsWanted("--threads", values.threads);
  const port = servePort(values.port, env);
  const maxBodyBytes = values["max-body"] ?? optionalSetting(env, "FLUXOPS_MAX_BODY_BYTES", {
    type: "integer",
    min: 1,
  });
  const maxInstances = setting(values["max-instances"], "FLUXOPS_MAX_INSTANCES", {
    type: "integer",
    min: 1,
  }, 10_000);
  const drift = driftMonitorFromEnv(env, (e) => out.line(driftLogLine(e)));
  const bodyTimeoutS = setting(values["body-timeout"], "FLUXOPS_BODY_TIMEOUT_SECONDS", {
    type: "number",
    above: 0,
  }, 15);
  const modelArg = values.model ?? env("FLUXOPS_MODEL");
  const alias = env("FLUXOPS_ALIAS") ?? "production";
  const releaseConfig = parseReleaseConfig(env, { productionAlias: alias, fileMode: !!modelArg });
  return {
    port,
    hostname: values.hostname ?? "0.0.0.0",
    maxBodyBytes,
    maxInstances,
    bodyTimeoutS,
    drainMs: 1000 * positiveNumber(env("FLUXOPS_DRAIN_SECONDS"), 30),
    threadCount,
    drift,
    modelName: values["model-name"] ?? env("FLUXOPS_MODEL_NAME") ?? "fluxops",
    modelArg,
    alias,
    releaseConfig,
  };
}

/** Where the served models come from: the holders, and the followers of the registry if any. */
interface Models {
  readonly holder: ModelHolder;
  readonly candidateHolder: ModelHolder;
  readonly follower: RegistryFollower | undefined;
  readonly candidateFollower: RegistryFollower | undefined;
}

/** Loads the model file once. */
async function loadModelFile(holder: ModelHolder, file: string): Promise<void> {
  const loaded = await holder.load(async () => loadModel(await resolveModelPath(file)));
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
}

/**
 * Follows an alias (or a pinned version) of the registry, polling for changes, and the
 * candidate's alias in a release mode without a candidate file; throws if the store cannot be
 * opened.
 */
async function followRegistry(
  settings: Settings,
  models: Pick<Models, "holder" | "candidateHolder">,
  values: Values,
  env: Env,
  log: Log,
): Promise<Pick<Models, "follower" | "candidateFollower">> {
  const explicit = values.store ?? env("FLUXOPS_STORE");
  const registry = await openRegistry(storeLocation(explicit));
  // The current and previous versions of the signing key: a model signed before the last
  // rotation (the one `model rollback` returns to) still loads.
  const verify = modelVerifier();
  const common = {
    registry,
    pollSeconds: positiveNumber(env("FLUXOPS_POLL_SECONDS"), 30),
    verify: async (bytes: Uint8Array, sig: Uint8Array | undefined, version: string) => {
      await verify(bytes, sig, version);
    },
    log,
  };
  const follower = new RegistryFollower({
    ...common,
    holder: models.holder,
    alias: settings.alias,
    version: env("FLUXOPS_MODEL_VERSION") || undefined,
    newestIfNoAlias: explicit === undefined && !env("FLUXOPS_ALIAS"),
  });
  const { releaseConfig } = settings;
  const candidateFollower = releaseConfig.mode !== "off" && !releaseConfig.candidateModel
    ? new RegistryFollower({
      ...common,
      holder: models.candidateHolder,
      alias: releaseConfig.candidateAlias,
    })
    : undefined;
  return { follower, candidateFollower };
}

/**
 * The canary or shadow release, if one is configured, with its candidate file loaded.
 * `onRollback` tells the serving threads.
 */
async function startRelease(
  { releaseConfig }: Settings,
  models: Models,
  log: Log,
  onRollback: (event: RollbackEvent) => void,
): Promise<Release | undefined> {
  if (releaseConfig.mode === "off") return undefined;
  const { candidateHolder } = models;
  const file = releaseConfig.candidateModel;
  if (file) {
    const ok = await candidateHolder.load(async () => loadModel(await resolveModelPath(file)));
    if (ok) {
      log("info", "model loaded", {
        model_version: candidateHolder.served!.model.artifact.version,
        role: "candidate",
      });
    } else {
      log("error", "candidate not loaded; production answers everything", {
        reason: candidateHolder.state().lastError,
      });
    }
  }
  const release = new Release({
    config: releaseConfig,
    production: models.holder,
    candidate: candidateHolder,
    log,
    onRollback,
  });
  log("info", "release mode", {
    mode: releaseConfig.mode,
    weight: releaseConfig.weight,
    candidate: file ?? releaseConfig.candidateAlias,
    sticky_header: releaseConfig.stickyHeader,
  });
  return release;
}

/**
 * The serving threads beside the main one, not started yet: `main` holds them before they
 * start, so that a signal or a report during their start reaches those already up.
 */
function createThreads(
  settings: Settings,
  server: HttpServer,
  parts: {
    models: Models;
    release: Release | undefined;
    handler: (req: Request) => Promise<Response>;
    log: Log;
  },
): ServingThreads {
  const { models, release, handler, log } = parts;
  return new ServingThreads({
    entry: import.meta.url,
    settings: {
      port: server.port,
      hostname: settings.hostname,
      modelName: settings.modelName,
      maxBodyBytes: settings.maxBodyBytes,
      maxInstances: settings.maxInstances,
      bodyTimeoutS: settings.bodyTimeoutS,
      drainMs: settings.drainMs,
      release: release ? settings.releaseConfig : null,
      drift: settings.drift !== null,
    },
    holder: models.holder,
    candidate: models.candidateHolder,
    release,
    drift: settings.drift,
    handler,
    write: (bytes) => {
      out.flush();
      writeAllSync(Deno.stdout, bytes);
    },
    log,
  });
}

/** The handler of the main thread (each serving thread builds its own from the settings). */
function mainThreadHandler(
  settings: Settings,
  { holder, follower }: Models,
  parts: { release: Release | undefined; readDeadlines: ReadDeadlines; startedAt: number },
): (req: Request) => Promise<Response> {
  return createHandler({
    holder,
    readDeadlines: parts.readDeadlines,
    modelName: settings.modelName,
    maxBodyBytes: settings.maxBodyBytes,
    maxInstances: settings.maxInstances,
    startedAt: parts.startedAt,
    log: settings.threadCount > 1
      ? (entry) => out.line(formatRequestLog(entry, 0))
      : (entry) => out.line(formatRequestLog(entry)),
    release: parts.release,
    drift: settings.drift,
    ...(follower ? { healthDetails: () => ({ store: follower.state() }) } : {}),
  });
}

/** Starts the server; resolves when it has shut down. */
export async function main(args: string[]): Promise<number> {
  const startedAt = performance.now();
  const cli = parseCli(args, SERVE_OPTIONS, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const env: Env = (name) => Deno.env.get(name);
  let settings: Settings;
  try {
    settings = readSettings(values, env);
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return 2;
  }
  const log: Log = (level, msg, fields) => logLine(level, msg, fields ?? {});
  let models: Models = {
    holder: new ModelHolder(),
    candidateHolder: new ModelHolder(),
    follower: undefined,
    candidateFollower: undefined,
  };
  if (settings.modelArg) {
    await loadModelFile(models.holder, settings.modelArg);
  } else {
    try {
      models = { ...models, ...await followRegistry(settings, models, values, env, log) };
    } catch (err) {
      console.error(`error: ${describeError(err)}`);
      return 2;
    }
    void models.follower?.start(); // serves 503 until the first model loads
    void models.candidateFollower?.start(); // production answers everything until the candidate loads
  }
  const stopFollowers = () =>
    Promise.all([models.follower?.stop(), models.candidateFollower?.stop()]);
  let threads: ServingThreads | undefined;
  const release = await startRelease(settings, models, log, (event) => threads?.rollBack(event));

  let threadCount = settings.threadCount;
  if (threadCount > 1 && !unstableNet()) {
    logLine("warn", "serving on one thread: sharing the port needs --unstable-net", {
      threads_asked: threadCount,
    });
    threadCount = 1;
  }
  settings = { ...settings, threadCount };
  const readDeadlines = new ReadDeadlines({ timeoutMs: settings.bodyTimeoutS * 1000 });
  const handler = mainThreadHandler(settings, models, { release, readDeadlines, startedAt });
  // With serving threads, a report (a GET or HEAD) waits until every thread has handed over its
  // rows, counts and log lines.
  const serve = threadCount > 1
    ? (req: Request) =>
      threads && (req.method === "GET" || req.method === "HEAD")
        ? threads.sync().then(() => handler(req))
        : handler(req)
    : handler;
  const tag = threadCount > 1 ? { thread: 0 } : {};
  let server: HttpServer;
  try {
    server = serveHttp(serve, {
      port: settings.port,
      hostname: settings.hostname,
      reusePort: threadCount > 1,
      claimPort: true,
      drainMs: settings.drainMs,
      log: (level, msg, fields) => logLine(level, msg, { ...tag, ...fields }),
      onListen: ({ hostname, port }) => {
        logLine("info", "listening", {
          url: `http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`,
          startup_ms: Math.round(performance.now() - startedAt),
        });
      },
    });
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    readDeadlines.close();
    await stopFollowers();
    return 1;
  }
  const threadDrainMs = settings.drainMs + THREAD_STOP_MS;
  // The signal listeners go in as soon as the port is bound: the first serving thread answers
  // health checks before the others are up, and a SIGTERM in that window (a scale-in right after
  // a start) was lost, the process neither draining nor exiting. A signal during the threads'
  // start stops the server here; threads that came up are drained once it has finished.
  const stop = async (signal: string) => {
    await Promise.all([server.stop(signal), threads?.drain(signal, threadDrainMs)]);
  };
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  for (const s of signals) Deno.addSignalListener(s, () => void stop(s));

  if (threadCount > 1) {
    threads = createThreads(settings, server, { models, release, handler, log });
    const up = await threads.start(threadCount - 1);
    logLine("info", "serving threads", {
      threads: up + 1,
      startup_ms: Math.round(performance.now() - startedAt),
    });
  }

  await server.finished;
  await threads?.drain("SIGTERM", threadDrainMs);
  threads?.terminate();
  readDeadlines.close();
  await stopFollowers();
  await release?.settled();
  // The listeners stay until the process exits: a second SIGTERM during the final steps must not
  // kill it with the default action.
  logLine("info", "stopped");
  out.flush();
  return 0;
}

if (import.meta.main && inServingThread()) {
  // This module, loaded again by ServingThreads in a worker (so the bundle needs one file).
  runServingThread();
} else if (import.meta.main) {
  const code = await main(Deno.args);
  out.flush();
  Deno.exit(code);
}
