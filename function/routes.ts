/**
 * The route table: every route of the prediction function, once. The handler's dispatch
 * (function/handler.ts), the custom-handler package's `function.json` files
 * (function/package/function_json.ts), the Node.js worker's `app.http` registrations
 * (function/azure_functions.ts) and the OpenAPI document's `paths` (function/openapi/document.ts)
 * are all derived from it.
 *
 * `path` is an Azure Functions route template relative to an empty route prefix (both hosts run
 * with `routePrefix: ""`, so the handler sees the original path). A route with a `{param}` or a
 * `{*catchAll}` segment covers several operations; its handler dispatches among them.
 *
 * Auth levels: only what a caller without a key must reach is `anonymous`, and that is the
 * probes: `api/health` (load balancers, uptime checks, the deploy's smoke step) and
 * `v2/health/{probe}` (KServe's and Triton's liveness and readiness probes, which carry no
 * headers). Everything else is `function`:
 * - `api/openapi.json` embeds the served model's feature names and class labels, the facts
 *   `model-info` guards, so it needs the key too (a client reading it has the key it will
 *   call `predict` with);
 * - `v2` (server metadata) is keyed because KServe and Triton clients set the key header once
 *   for the client and send it on every call, so a key costs them nothing, while an anonymous
 *   route is one more door for unauthenticated traffic the host forwards to the handler.
 * The Node.js worker used to leave these two anonymous while `function.json` keyed them; the
 * table ends that drift.
 *
 * `v2/health/{probe}` rather than `{*rest}`: a probe path has one segment (`live`, `ready`),
 * and a one-segment parameter keeps the host from forwarding deeper anonymous paths at all.
 * There is deliberately no catch-all route: an anonymous `{*path}` would forward, without a
 * key, any request the keyed routes do not match but the handler serves (HEAD for GET, say).
 * @module
 */
import {
  driftPaths,
  healthPaths,
  modelInfoPaths,
  openApiPaths,
  predictPaths,
} from "./openapi/api_paths.ts";
import type { OpenApiContext, PathItems } from "./openapi/common.ts";
import { v2HealthPaths, v2ModelPaths, v2ServerPaths } from "./openapi/v2_paths.ts";

/** An HTTP method a route serves (HEAD is served wherever GET is). */
export type Method = "GET" | "POST";

/** Who may call a route: anyone, or a caller with a function (or host) key. */
export type AuthLevel = "anonymous" | "function";

/** The handler's endpoint that answers a route (see `createHandler`). */
export type EndpointName =
  | "health"
  | "predict"
  | "modelInfo"
  | "drift"
  | "openapi"
  | "v2Server"
  | "v2Health"
  | "v2Models";

/** One route of the function. */
export interface Route {
  /** The function name on Azure (a package folder, a worker registration). */
  readonly name: string;
  readonly methods: readonly Method[];
  /** Azure Functions route template, relative to the empty route prefix. */
  readonly path: string;
  readonly authLevel: AuthLevel;
  /** The endpoint of the handler that answers it. */
  readonly handler: EndpointName;
  /** The OpenAPI path items of the operations it covers. */
  readonly openapi: (c: OpenApiContext) => PathItems;
}

/** Every route, in the order the README and the OpenAPI document list them. */
export const ROUTES: readonly Route[] = [
  {
    name: "health",
    methods: ["GET"],
    path: "api/health",
    authLevel: "anonymous",
    handler: "health",
    openapi: healthPaths,
  },
  {
    name: "predict",
    methods: ["POST"],
    path: "api/predict",
    authLevel: "function",
    handler: "predict",
    openapi: predictPaths,
  },
  {
    name: "model-info",
    methods: ["GET"],
    path: "api/model-info",
    authLevel: "function",
    handler: "modelInfo",
    openapi: modelInfoPaths,
  },
  {
    name: "drift",
    methods: ["GET"],
    path: "api/drift",
    authLevel: "function",
    handler: "drift",
    openapi: driftPaths,
  },
  {
    name: "openapi",
    methods: ["GET"],
    path: "api/openapi.json",
    authLevel: "function",
    handler: "openapi",
    openapi: openApiPaths,
  },
  {
    name: "v2-server",
    methods: ["GET"],
    path: "v2",
    authLevel: "function",
    handler: "v2Server",
    openapi: v2ServerPaths,
  },
  {
    name: "v2-health",
    methods: ["GET"],
    path: "v2/health/{probe}",
    authLevel: "anonymous",
    handler: "v2Health",
    openapi: v2HealthPaths,
  },
  {
    name: "v2-models",
    methods: ["GET", "POST"],
    path: "v2/models/{*rest}",
    authLevel: "function",
    handler: "v2Models",
    openapi: v2ModelPaths,
  },
];

/** A route as the handler matches it: literal segments, then parameters. */
interface CompiledRoute {
  readonly route: Route;
  /** The path up to the first parameter, with a leading `/`. */
  readonly fixed: string;
  /** Parameter segments after `fixed`: one for `{name}`, any number (at least one) for `{*name}`. */
  readonly params: "none" | "one" | "rest";
}

/** What a path matched: the route and the decoded segments its parameters took. */
export interface RouteMatch {
  readonly route: Route;
  readonly params: readonly string[];
}

/** Finds the route of a path; built once from a table. */
export type RouteMatcher = (path: string) => RouteMatch | undefined;

const NO_PARAMS: readonly string[] = [];

/**
 * Builds the matcher of a route table. Routes without parameters are found in one map look-up
 * (the prediction route is a hot path); the rest by their literal prefix. Literal segments are
 * matched as sent; parameter segments are percent-decoded.
 * @example
 * ```ts
 * import { matchRoutes, ROUTES } from "./routes.ts";
 * const match = matchRoutes(ROUTES)("/v2/models/fluxops/infer");
 * console.assert(match?.route.name === "v2-models" && match.params.join() === "fluxops,infer");
 * ```
 */
export function matchRoutes(routes: readonly Route[]): RouteMatcher {
  const exact = new Map<string, RouteMatch>();
  const withParams: CompiledRoute[] = [];
  for (const route of routes) {
    const at = route.path.indexOf("{");
    if (at < 0) {
      exact.set(`/${route.path}`, { route, params: NO_PARAMS });
      continue;
    }
    const param = route.path.slice(at);
    if (!route.path.endsWith("}") || param.indexOf("}") !== param.length - 1) {
      throw new Error(`route ${route.name}: only a last {param} or {*rest} segment is supported`);
    }
    withParams.push({
      route,
      fixed: `/${route.path.slice(0, at)}`,
      params: param.startsWith("{*") ? "rest" : "one",
    });
  }
  return (path) => {
    const hit = exact.get(path);
    if (hit) return hit;
    for (const c of withParams) {
      if (!path.startsWith(c.fixed) || path.length === c.fixed.length) continue;
      const params = path.slice(c.fixed.length).split("/");
      if (c.params === "one" && params.length !== 1) continue;
      return { route: c.route, params: params.map(decodeURIComponent) };
    }
    return undefined;
  };
}

/** Whether a route serves a method (HEAD wherever GET is). */
export function allowsMethod(route: Route, method: string): boolean {
  return route.methods.includes(method as Method) ||
    (method === "HEAD" && route.methods.includes("GET"));
}
