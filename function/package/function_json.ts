/**
 * The functions of the custom-handler package: one folder per function, each with a
 * `function.json` holding an HTTP trigger and an HTTP output. With `enableProxyingHttpRequest`
 * the Functions host only routes and authorizes; the handler sees the original request on the
 * original path, so these routes must match the handler's own (`routePrefix` is `""`).
 *
 * The functions, their routes, methods and auth levels come from the route table
 * (function/routes.ts), which says why each route has its auth level.
 * On Azure a method a function does not list is answered by the host (404), not by the
 * handler's 405 with `Allow`: the host routes by method before the handler sees anything.
 * @module
 */
import { ROUTES } from "../routes.ts";

/** A function's HTTP authorization level, as `function.json` spells it. */
export type AuthLevel = "anonymous" | "function" | "admin";

/** An HTTP method, lower case as `function.json` spells it. */
export type HttpMethod = "get" | "post" | "put" | "patch" | "delete" | "head" | "options";

/** One HTTP-triggered function of the package. */
export interface FunctionDef {
  /** The folder name, which is the function name: a letter, then letters, digits, `-`, `_`. */
  readonly name: string;
  /** Route template, relative to the (empty) route prefix. */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
  readonly authLevel: AuthLevel;
}

/** Every function of the package: one per route of the route table, in its order. */
export const FUNCTIONS: readonly FunctionDef[] = ROUTES.map((r) => ({
  name: r.name,
  route: r.path,
  methods: r.methods.map((m) => m.toLowerCase() as HttpMethod),
  authLevel: r.authLevel,
}));

/** The `function.json` document of one function. */
export interface FunctionJson {
  readonly bindings: readonly [
    {
      readonly type: "httpTrigger";
      readonly direction: "in";
      readonly name: "req";
      readonly authLevel: AuthLevel;
      readonly methods: readonly HttpMethod[];
      readonly route: string;
    },
    { readonly type: "http"; readonly direction: "out"; readonly name: "res" },
  ];
}

const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;

/**
 * Builds a function's `function.json`.
 * @example
 * ```ts
 * import { FUNCTIONS, functionJson } from "./function_json.ts";
 * const doc = functionJson(FUNCTIONS[0]!);
 * // {"bindings":[{"type":"httpTrigger",...,"route":"api/health"},{"type":"http",...}]}
 * ```
 */
export function functionJson(def: FunctionDef): FunctionJson {
  if (!FUNCTION_NAME.test(def.name)) {
    throw new Error(`function name ${JSON.stringify(def.name)}: not a valid function name`);
  }
  if (def.route.startsWith("/") || def.methods.length === 0) {
    throw new Error(`function ${def.name}: route must be relative and methods non-empty`);
  }
  return {
    bindings: [
      {
        type: "httpTrigger",
        direction: "in",
        name: "req",
        authLevel: def.authLevel,
        methods: def.methods,
        route: def.route,
      },
      { type: "http", direction: "out", name: "res" },
    ],
  };
}
