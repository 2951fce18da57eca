/**
 * The prediction function as a web-standard handler, `(req: Request) => Promise<Response>`:
 * REST routes under `/api` and the Open Inference Protocol under `/v2`. It runs the same under
 * `Deno.serve`, the Azure Functions custom-handler runtime, the Node.js worker adapter, or a
 * test calling it with `new Request(...)`.
 * @module
 */
import { driftLogLine, DriftMonitor, type DriftWatch } from "../lib/drift/monitor.ts";
import { formatRequestLog, isoNow, type RequestLog } from "../lib/log/request_line.ts";
import { describeError, FluxError, InvalidInput } from "../lib/errors.ts";
import { argmaxRows, predictProba } from "../lib/forest/predict.ts";
import { HttpError, toErrorBody } from "./serving/http_error.ts";
import { parseInstances } from "./serving/instances.ts";
import { batchReply, singleReply } from "./serving/predict_reply.ts";
import type { ModelHolder, ServedModel } from "./serving/model_holder.ts";
import { openApiDocument } from "./openapi/document.ts";
import { allowsMethod, type EndpointName, matchRoutes, type Method, ROUTES } from "./routes.ts";
import { defaultBodyLimit } from "./serving/body_limit.ts";
import type { Release, Scored, Scorer } from "./serving/release.ts";
import type { ReadDeadlines } from "./serving/read_deadlines.ts";
import { inferResponse, modelMetadata, parseInferRequest } from "./serving/v2.ts";

/** One structured log line per request. Never holds feature values. */
export type { RequestLog };

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  /** Where the served model lives. */
  readonly holder: ModelHolder;
  /** The model name in `/v2/models/{name}`. */
  readonly modelName?: string;
  /**
   * Largest request body, in bytes. Default: derived from `maxInstances` and the served model's
   * features (`defaultBodyLimit`), so the largest batch the OpenAPI document allows fits.
   */
  readonly maxBodyBytes?: number | undefined;
  /** Most rows in one request. */
  readonly maxInstances?: number;
  /** Receives one entry per request; default: a JSON line on stdout. */
  readonly log?: (entry: RequestLog) => void;
  /** Extra health fields (e.g. the model store's state). */
  readonly healthDetails?: () => Record<string, unknown>;
  /** When the process started, for `uptime_s`. */
  readonly startedAt?: number;
  /** A candidate served beside production (canary or shadow); none by default. */
  readonly release?: Release | undefined;
  /**
   * Watches every parsed row for drift (`GET /api/drift`). Default: a monitor with default
   * settings that logs status changes on stdout; `null` turns drift monitoring off.
   */
  readonly drift?: DriftWatch | null;
  /** Deadlines for reading request bodies (408 past them); default: none. */
  readonly readDeadlines?: ReadDeadlines;
}

/** A request in flight: what the log line and error mapping need. */
interface Ctx {
  readonly id: string;
  route: string;
  instances: number;
  v2: boolean;
  served: ServedModel | undefined;
  /** The model a `/v2/models/{name}/versions/{version}/...` request names. */
  pinned?: ServedModel;
  timing?: number;
}

const JSON_HEADERS = { "content-type": "application/json" };
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const DECODER = new TextDecoder();
const matchRoute = matchRoutes(ROUTES);

/** Scores `nRows` rows of `x` with a model. */
function runForest(served: ServedModel, x: Float64Array, nRows: number) {
  const t0 = performance.now();
  const proba = predictProba(served.model.forest, x, nRows);
  const predicted = argmaxRows(proba, served.model.forest.nClasses);
  return { served, proba, predicted, ms: performance.now() - t0 };
}

/**
 * What a route answers. The handler turns it into one `Response` with every header in place:
 * setting headers on a constructed `Response` costs more than the prediction itself.
 */
interface Reply {
  readonly body: string | Uint8Array<ArrayBuffer>;
  readonly status: number;
  readonly headers: Record<string, string>;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { body: JSON.stringify(body), status, headers: { ...JSON_HEADERS, ...headers } };
}

function methodNotAllowed(allow: string[]): HttpError {
  return new HttpError("method_not_allowed", `method not allowed; use ${allow.join(", ")}`, {
    allow: allow.join(", "),
  });
}

function unavailable(holder: ModelHolder): HttpError {
  const reason = holder.state().lastError;
  return new HttpError("unavailable", `no model is loaded${reason ? `: ${reason}` : ""}`);
}

function bodyTimeout(deadlines: ReadDeadlines): HttpError {
  return new HttpError(
    "request_timeout",
    `body: not received within ${deadlines.timeoutMs / 1000} s`,
    { connection: "close" },
  );
}

/** The size limit of a request body, and how a 413 explains it. */
interface BodyLimit {
  readonly limit: number;
  readonly why: string;
}

/**
 * Reads a body up to `limit` bytes, refusing more as early as it can, and within the read
 * deadline when there is one (a slow client gets a 408 and its connection is closed).
 */
async function readBody(
  req: Request,
  { limit, why }: BodyLimit,
  deadlines?: ReadDeadlines,
): Promise<Uint8Array> {
  const length = req.headers.get("content-length");
  const declared = length === null ? NaN : Number(length);
  const tooLarge = () =>
    new HttpError("payload_too_large", `body: over the limit of ${limit} bytes${why}`);
  if (declared > limit) throw tooLarge();
  // Not `req.bytes()`, though it skips the stream for a body already received (~2 µs less a
  // request): a read given up that way stays pending, and Deno.serve 2.9.6 then keeps the
  // connection of a client trickling its body open after the 408 (tests/function/slowloris_test.ts).
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  const watch = deadlines?.watch(() => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (watch?.expired) {
        await reader.cancel().catch(() => {});
        throw bodyTimeout(deadlines!);
      }
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      // A chunk is a view into a 64 KiB read buffer: keeping a small one as is would let a
      // client that trickles its body pin 64 KiB per byte sent.
      chunks.push(value.byteLength * 4 < value.buffer.byteLength ? value.slice() : value);
      // All the declared bytes are here: asking for the end would cost another read.
      if (size === declared) break;
    }
  } finally {
    watch?.done();
    // No releaseLock(): the stream is done or cancelled, and releasing costs ~3 µs a request.
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether a content type is JSON: `application/json` (the usual case, checked first) or `*+json`. */
function isJson(type: string | null): boolean {
  return type === "application/json" || (type !== null && requireJsonType(type, false));
}

function requireJsonType(header: string, allowMissing: boolean): boolean {
  const type = header.split(";")[0]!.trim().toLowerCase();
  if (allowMissing && type === "") return true;
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new HttpError(
      "unsupported_media_type",
      `content-type: expected application/json, got ${type ? JSON.stringify(type) : "none"}`,
    );
  }
  return true;
}

/**
 * Refuses a body that is not JSON. `allowMissing` accepts no content type at all, as Open
 * Inference Protocol clients (tritonclient) send none.
 */
function requireJson(req: Request, allowMissing = false): void {
  requireJsonType(req.headers.get("content-type") ?? "", allowMissing);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidInput(`body: not valid JSON (${(err as Error).message.split("\n")[0]})`);
  }
}

/**
 * The path of a request URL, as `new URL(url).pathname` gives it. A path of letters, digits,
 * `/`, `-` and `_` (every route's) is taken as it is; anything else (a query, `%`, `.`) goes
 * through the URL parser, which normalises it.
 */
export function pathnameOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  if (start < 0) return new URL(url).pathname;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    const plain = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 47 && c <= 57) ||
      c === 45 || c === 95;
    // 47..57 is "/" and the digits; "." (46) and "%" (37) are not plain.
    if (!plain) return new URL(url).pathname;
  }
  return url.slice(start);
}

/**
 * Builds the handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseModel, serializeModel } from "../lib/model/artifact.ts";
 * import { ModelHolder } from "./serving/model_holder.ts";
 * import { trainModel } from "../lib/training/train_model.ts";
 * import { createHandler } from "./handler.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const holder = new ModelHolder();
 * holder.set(parseModel(serializeModel(artifact)));
 * const handler = createHandler({ holder, drift: null, log: () => {} });
 * const res = await handler(new Request("http://localhost/api/health"));
 * assert.equal(res.status, 200);
 * ```
 */
export function createHandler(options: HandlerOptions): (req: Request) => Promise<Response> {
  const {
    holder,
    modelName = "fluxops",
    maxBodyBytes,
    maxInstances = 10_000,
    log = (entry: RequestLog) => console.log(formatRequestLog(entry)),
    healthDetails = () => ({}),
    startedAt = performance.now(),
    release,
    drift = new DriftMonitor({ onEvent: (e) => console.log(driftLogLine(e)) }),
    readDeadlines,
  } = options;

  const fixedLimit: BodyLimit | undefined = maxBodyBytes === undefined
    ? undefined
    : { limit: maxBodyBytes, why: "" };
  let limitOf: ServedModel | undefined;
  let derivedLimit: BodyLimit = { limit: 0, why: "" };
  /** The body limit for a model: the one given, else derived once per model served. */
  const bodyLimit = (served: ServedModel): BodyLimit => {
    if (fixedLimit) return fixedLimit;
    if (served !== limitOf) {
      const names = served.model.featureNames;
      derivedLimit = {
        limit: defaultBodyLimit(names, maxInstances),
        why: ` (room for ${maxInstances} rows of this model's ${names.length} features)`,
      };
      limitOf = served;
    }
    return derivedLimit;
  };

  const need = (ctx: Ctx): ServedModel => {
    ctx.served ??= holder.served;
    if (!ctx.served) throw unavailable(holder);
    return ctx.served;
  };

  /** Scores with the version the request names, else the one the release assigns it. */
  const scoreWith = <S extends Scored & { readonly ms: number }>(
    req: Request,
    ctx: Ctx,
    scorer: Scorer<S>,
  ): S => {
    const production = need(ctx);
    const out = ctx.pinned || !release
      ? scorer(production)
      : release.score(req.headers.get(release.stickyHeader) || ctx.id, production, scorer);
    ctx.served = out.served;
    ctx.timing = out.ms;
    return out;
  };

  /**
   * Adds parsed rows to the drift window, unless the model changed while the request was read:
   * rows for a replaced model would start its window over in place of the new one's.
   */
  const watch = (
    served: ServedModel,
    x: Float64Array,
    nRows: number,
    predicted: ArrayLike<number>,
  ): void => {
    if (drift && holder.served === served) drift.observe(served.model, x, nRows, predicted);
  };

  const checkName = (name: string): void => {
    if (name !== modelName) {
      throw new HttpError(
        "not_found",
        `model ${JSON.stringify(name)} not found; this server serves ${JSON.stringify(modelName)}`,
      );
    }
  };

  const health = (): Reply => {
    const served = holder.served;
    const details = release ? { ...healthDetails(), candidate: release.health() } : healthDetails();
    if (!served) {
      return json({ status: "unhealthy", reason: unavailable(holder).message, ...details }, 503);
    }
    const lastError = holder.state().lastError;
    return json({
      status: "healthy",
      model_version: served.model.artifact.version,
      uptime_s: Math.round((performance.now() - startedAt) / 100) / 10,
      ...(lastError ? { last_load_error: lastError } : {}),
      ...details,
    });
  };

  const modelInfo = (ctx: Ctx): Reply => {
    const { artifact } = need(ctx).model;
    return json({
      version: artifact.version,
      created_at: artifact.created_at,
      target: artifact.target,
      classes: artifact.classes,
      features: artifact.features.map((f) => ({
        name: f.name,
        min: f.min,
        max: f.max,
        mean: f.mean,
        std: f.std,
      })),
      params: artifact.params,
      metrics: artifact.metrics,
      engine: artifact.engine,
      sha256: artifact.sha256,
      ...healthDetails(),
      ...(release ? { release: release.report() } : {}),
    });
  };

  const predict = async (req: Request, ctx: Ctx): Promise<Reply> => {
    if (!isJson(req.headers.get("content-type"))) requireJson(req);
    const limit = bodyLimit(need(ctx));
    // JSON.parse, not a parser of our own: V8's reads these bodies faster than a JavaScript
    // reader could (measured: 1.2-2.5x faster than one on 17-digit numbers, as fast on short
    // ones), and names every syntax error.
    const json = parseJsonText(DECODER.decode(await readBody(req, limit, readDeadlines)));
    const { served, rows, proba, predicted } = scoreWith(req, ctx, (served) => {
      const { model, index } = served;
      const rows = parseInstances(json, { features: model.featureNames, maxInstances, index });
      return { rows, ...runForest(served, rows.x, rows.nRows) };
    });
    ctx.instances = rows.nRows;
    watch(served, rows.x, rows.nRows, predicted);
    const body = rows.single
      ? singleReply(served, proba, predicted[0]!)
      : batchReply(served, proba, predicted, rows.nRows);
    return { body, status: 200, headers: { "content-type": "application/json" } };
  };

  const infer = async (req: Request, ctx: Ctx): Promise<Reply> => {
    const limit = bodyLimit(need(ctx));
    const headerLength = req.headers.get("inference-header-content-length");
    if (headerLength === null) requireJson(req, true);
    const bytes = await readBody(req, limit, readDeadlines);
    const { served, parsed, proba, predicted } = scoreWith(req, ctx, (served) => {
      const parsed = parseInferRequest(
        bytes,
        headerLength === null ? undefined : Number(headerLength),
        served.model.featureNames.length,
        maxInstances,
      );
      return { parsed, ...runForest(served, parsed.x, parsed.nRows) };
    });
    ctx.instances = parsed.nRows;
    watch(served, parsed.x, parsed.nRows, predicted);
    const out = inferResponse(served, modelName, parsed, predicted, proba);
    return { body: out.body, status: 200, headers: { ...out.headers } };
  };

  const driftReport = (ctx: Ctx): Reply => {
    const { model } = need(ctx);
    if (!drift) throw new HttpError("unavailable", "drift monitoring is off");
    try {
      return json(drift.snapshot(model));
    } catch (err) {
      throw new HttpError("unavailable", `no drift figures: ${describeError(err)}`);
    }
  };

  /** What an endpoint is given: the request, its context, and its route's parameters. */
  type Endpoint = (req: Request, ctx: Ctx, params: readonly string[]) => Reply | Promise<Reply>;

  /** Refuses a method the operation does not serve (HEAD is served wherever GET is). */
  const only = (m: string, allowed: Method, route: string, ctx: Ctx): void => {
    ctx.route = route;
    if (m !== allowed && !(allowed === "GET" && m === "HEAD")) throw methodNotAllowed([allowed]);
  };

  const noRoute = (req: Request, ctx: Ctx): never => {
    ctx.route = "unknown";
    throw new HttpError("not_found", `no route for ${req.method} ${pathnameOf(req.url)}`);
  };

  /** `/v2/models/{name}[/versions/{version}][/ready|/infer]`. */
  const v2Models: Endpoint = (req, ctx, parts) => {
    const m = req.method;
    const name = parts[0]!;
    let rest = parts.slice(1);
    if (rest[0] === "versions" && rest.length >= 2) {
      const version = rest[1]!;
      rest = rest.slice(2);
      checkName(name);
      const served = need(ctx);
      const pinned = version === served.model.artifact.version
        ? served
        : release?.candidateOfVersion(version);
      if (!pinned) {
        ctx.route = "/v2/models/{name}/versions/{version}";
        throw new HttpError(
          "not_found",
          `model ${JSON.stringify(name)} has no version ${JSON.stringify(version)}`,
        );
      }
      ctx.served = ctx.pinned = pinned;
    }
    if (rest.length === 0) {
      only(m, "GET", "/v2/models/{name}", ctx);
      checkName(name);
      return json(modelMetadata(need(ctx), modelName));
    }
    if (rest.length === 1 && rest[0] === "ready") {
      only(m, "GET", "/v2/models/{name}/ready", ctx);
      checkName(name);
      const ready = holder.served !== undefined;
      return json({ name, ready }, ready ? 200 : 503);
    }
    if (rest.length === 1 && rest[0] === "infer") {
      only(m, "POST", "/v2/models/{name}/infer", ctx);
      checkName(name);
      return infer(req, ctx);
    }
    return noRoute(req, ctx);
  };

  /** The endpoint of every route of the table; the compiler checks none is missing. */
  const endpoints: Record<EndpointName, Endpoint> = {
    health: () => health(),
    predict: (req, ctx) => predict(req, ctx),
    modelInfo: (_req, ctx) => modelInfo(ctx),
    drift: (_req, ctx) => driftReport(ctx),
    openapi: () =>
      json(openApiDocument({
        modelName,
        served: holder.served,
        maxInstances,
        maxBodyBytes: holder.served ? bodyLimit(holder.served).limit : undefined,
      })),
    v2Server: () => json({ name: "fluxops", version: "1", extensions: ["binary_tensor_data"] }),
    v2Health: (req, ctx, [probe]) => {
      if (probe !== "live" && probe !== "ready") return noRoute(req, ctx);
      only(req.method, "GET", `/v2/health/${probe}`, ctx);
      if (probe === "live") return json({ live: true });
      return holder.served ? json({ ready: true }) : json({ ready: false }, 503);
    },
    v2Models,
  };

  /**
   * Routes a request by the route table; returns the reply (a promise of it for the routes that
   * read a body) or throws a FluxError. Not an async function: a report answers without a
   * promise, and a prediction's promise is passed on, not wrapped in another.
   */
  const route = (req: Request, ctx: Ctx): Reply | Promise<Reply> => {
    const pathname = pathnameOf(req.url);
    const path = pathname.length > 1 && pathname.endsWith("/")
      ? pathname.replace(/\/+$/, "")
      : pathname;
    // Open Inference Protocol errors are `{"error": "..."}`, unknown /v2 paths' included.
    ctx.v2 = path.startsWith("/v2") && (path.length === 3 || path[3] === "/");
    const match = matchRoute(path);
    if (!match) return noRoute(req, ctx);
    const { route, params } = match;
    if (params.length === 0) {
      // One operation per route without parameters: its path is the route's.
      ctx.route = path;
      if (!allowsMethod(route, req.method)) throw methodNotAllowed([...route.methods]);
    }
    return endpoints[route.handler](req, ctx, params);
  };

  return async (req: Request): Promise<Response> => {
    const t0 = performance.now();
    const given = req.headers.get("x-request-id");
    const ctx: Ctx = {
      id: given && REQUEST_ID.test(given) ? given : crypto.randomUUID(),
      route: "unknown",
      instances: 0,
      v2: false,
      served: undefined,
    };
    let res: Reply;
    let errorCode: string | undefined;
    try {
      const r = route(req, ctx);
      res = r instanceof Promise ? await r : r;
    } catch (err) {
      const e = toErrorBody(err);
      errorCode = e.code;
      // Refused rows count in the drift monitor's quality figures, by cause: every row of a
      // refused batch where the parser counted them, else the request as one.
      if (drift && err instanceof InvalidInput && ctx.served && ctx.served === holder.served) {
        if (ctx.route === "/api/predict" || ctx.v2) {
          drift.refuse(ctx.served.model, err.message, err.rows ?? 1);
        }
      }
      if (!(err instanceof FluxError)) {
        console.error(JSON.stringify({
          time: new Date().toISOString(),
          level: "error",
          msg: "unhandled error",
          request_id: ctx.id,
          route: ctx.route,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        }));
      }
      const body = ctx.v2 ? { error: e.message } : { error: { code: e.code, message: e.message } };
      res = json(body, e.status, { ...e.headers });
    }
    const headers = res.headers;
    headers["x-request-id"] = ctx.id;
    if (ctx.timing !== undefined) headers["server-timing"] = `predict;dur=${ctx.timing.toFixed(3)}`;
    if (ctx.served) headers["x-fluxops-model-version"] = ctx.served.model.artifact.version;
    const entry: RequestLog = {
      time: isoNow(),
      level: res.status >= 500 ? "error" : res.status >= 400 ? "warn" : "info",
      msg: "request",
      request_id: ctx.id,
      method: req.method,
      route: ctx.route,
      status: res.status,
      latency_ms: Math.round((performance.now() - t0) * 1000) / 1000,
      model_version: (ctx.served ?? holder.served)?.model.artifact.version ?? null,
      instances: ctx.instances,
      ...(errorCode ? { error_code: errorCode } : {}),
    };
    log(entry);
    return new Response(res.body, { status: res.status, headers });
  };
}
