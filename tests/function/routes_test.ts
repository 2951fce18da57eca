import assert from "node:assert/strict";
import { DriftMonitor } from "../../lib/drift/monitor.ts";
import { createHandler } from "../../function/handler.ts";
import { openApiDocument } from "../../function/openapi/document.ts";
import { matchRoutes, type Route, ROUTES } from "../../function/routes.ts";
import { ModelHolder } from "../../function/serving/model_holder.ts";
import { smallModel } from "../support/models.ts";

const match = matchRoutes(ROUTES);

const paths: [string, string | undefined, string[]][] = [
  ["/api/health", "health", []],
  ["/api/predict", "predict", []],
  ["/api/openapi.json", "openapi", []],
  ["/v2", "v2-server", []],
  ["/v2/health/live", "v2-health", ["live"]],
  ["/v2/health/%72eady", "v2-health", ["ready"]],
  ["/v2/health/live/more", undefined, []],
  ["/v2/health/", undefined, []],
  ["/v2/models/fluxops", "v2-models", ["fluxops"]],
  ["/v2/models/fluxops/versions/7/infer", "v2-models", ["fluxops", "versions", "7", "infer"]],
  ["/v2/models", undefined, []],
  ["/api/nothing", undefined, []],
  ["/api/%70redict", undefined, []],
  ["/", undefined, []],
];
for (const [path, name, params] of paths) {
  Deno.test(`matchRoutes() finds ${name ?? "no route"} for ${path}`, () => {
    const hit = match(path);
    assert.equal(hit?.route.name, name);
    if (hit) assert.deepEqual(hit.params, params);
  });
}

Deno.test("matchRoutes() refuses a table with a parameter before the last segment", () => {
  const bad: Route = { ...ROUTES[0]!, name: "bad", path: "v2/models/{name}/ready" };
  assert.throws(() => matchRoutes([bad]), /route bad: only a last \{param\}/);
});

/** A concrete path of every route, its parameters filled in with an operation it serves. */
const EXAMPLES: Record<string, { path: string; ok: Record<string, number> }> = {
  "health": { path: "/api/health", ok: { GET: 200 } },
  "predict": { path: "/api/predict", ok: { POST: 200 } },
  "model-info": { path: "/api/model-info", ok: { GET: 200 } },
  "drift": { path: "/api/drift", ok: { GET: 200 } },
  "openapi": { path: "/api/openapi.json", ok: { GET: 200 } },
  "v2-server": { path: "/v2", ok: { GET: 200 } },
  "v2-health": { path: "/v2/health/ready", ok: { GET: 200 } },
  "v2-models": { path: "/v2/models/fluxops/infer", ok: { POST: 200 } },
};

Deno.test("the handler serves every route of the table with its methods and refuses others with 405", async () => {
  const holder = new ModelHolder();
  holder.set(smallModel({ nFeatures: 2 }));
  const drift = new DriftMonitor({ onEvent: () => {} });
  const handler = createHandler({ holder, log: () => {}, drift });
  assert.deepEqual(Object.keys(EXAMPLES), ROUTES.map((r) => r.name));
  for (const route of ROUTES) {
    const { path, ok } = EXAMPLES[route.name]!;
    for (const [method, status] of Object.entries(ok)) {
      assert.ok(route.methods.includes(method as "GET" | "POST"), `${route.name} ${method}`);
      const body = method === "POST"
        ? path.startsWith("/v2")
          ? '{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}'
          : '{"features":[1,2]}'
        : undefined;
      const res = await handler(
        new Request(`http://fn${path}`, {
          method,
          ...(body ? { body, headers: { "content-type": "application/json" } } : {}),
        }),
      );
      assert.equal(res.status, status, `${method} ${path}: ${await res.text()}`);
    }
    const res = await handler(new Request(`http://fn${path}`, { method: "DELETE" }));
    assert.equal(res.status, 405, `DELETE ${path}`);
    await res.body?.cancel();
  }
});

Deno.test("every OpenAPI path and method is served by a route of the table that lists the method", () => {
  const doc = openApiDocument({ modelName: "fluxops", served: undefined });
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>);
  assert.ok(documented.length >= ROUTES.length);
  const covered = new Set<string>();
  for (const [path, item] of documented) {
    const hit = match(path.replace("{name}", "fluxops"));
    assert.ok(hit, `${path}: no route serves it`);
    covered.add(hit.route.name);
    for (const method of Object.keys(item).filter((k) => k !== "parameters")) {
      assert.ok(
        hit.route.methods.includes(method.toUpperCase() as "GET" | "POST"),
        `${method} ${path}: route ${hit.route.name} does not list it`,
      );
    }
  }
  assert.deepEqual([...covered], ROUTES.map((r) => r.name));
});
