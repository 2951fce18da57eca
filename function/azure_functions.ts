/**
 * The same handler on the Azure Functions Node.js worker (programming model v4, `app.http`),
 * through `npm:@azure/functions`. Choose this when the Function App runs the Node.js stack
 * instead of a custom handler (see the README).
 *
 * `@azure/functions` is a webpack CommonJS bundle, so it is imported whole and destructured.
 * @module
 */
import fns from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { ROUTES } from "./routes.ts";

/** A v4 HTTP function. */
export type AzureHttpFunction = (
  req: HttpRequest,
  ctx: InvocationContext,
) => Promise<HttpResponseInit>;

/** Converts the worker's request into a web-standard Request. */
export async function toRequest(req: HttpRequest): Promise<Request> {
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const body = hasBody ? new Uint8Array(await req.arrayBuffer()) : undefined;
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    ...(body && body.length > 0 ? { body } : {}),
  });
}

/** Converts a web-standard Response into what the worker sends back. */
export async function toResponseInit(res: Response): Promise<HttpResponseInit> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

/** Wraps a web-standard handler as a v4 HTTP function. */
export function azureHandler(handler: (req: Request) => Promise<Response>): AzureHttpFunction {
  return async (req) => toResponseInit(await handler(await toRequest(req)));
}

/** The part of `app` this module uses, so tests can record registrations. */
export interface HttpApp {
  http(name: string, options: {
    route: string;
    methods: ("GET" | "POST")[];
    authLevel: "anonymous" | "function";
    handler: AzureHttpFunction;
  }): void;
}

/**
 * Registers every route of the route table with the worker: the same names, route templates,
 * methods and auth levels the custom-handler package's `function.json` files declare. The host
 * of a Node.js app must run with `routePrefix: ""` too (tasks/build_node_worker.ts writes it), so
 * the handler sees the original path. Under Deno `app.http` only prints that it is in test
 * mode; on the Node.js worker it registers the functions.
 */
export function registerFunctions(
  handler: (req: Request) => Promise<Response>,
  app: HttpApp = fns.app as unknown as HttpApp,
): void {
  const fn = azureHandler(handler);
  for (const r of ROUTES) {
    app.http(r.name, {
      route: r.path,
      methods: [...r.methods],
      authLevel: r.authLevel,
      handler: fn,
    });
  }
}
