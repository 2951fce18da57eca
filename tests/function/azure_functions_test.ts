import assert from "node:assert/strict";
import fns from "@azure/functions";
import {
  azureHandler,
  type AzureHttpFunction,
  type HttpApp,
  registerFunctions,
} from "../../function/azure_functions.ts";
import { ROUTES } from "../../function/routes.ts";
import { createHandler } from "../../function/handler.ts";
import { ModelHolder } from "../../function/serving/model_holder.ts";
import { smallModel } from "../support/models.ts";

const { HttpRequest, InvocationContext } = fns;
const model = smallModel({ nFeatures: 2, classes: ["no", "yes"] });

function handler() {
  const holder = new ModelHolder();
  holder.set(model);
  return createHandler({ holder, log: () => {} });
}

const ctx = () => new InvocationContext({ functionName: "predict", invocationId: "test" });
const decode = (body: unknown) => new TextDecoder().decode(body as Uint8Array);

Deno.test("the Node.js worker adapter serves a prediction from an HttpRequest", async () => {
  const fn = azureHandler(handler());
  const req = new HttpRequest({
    method: "POST",
    url: "https://app.azurewebsites.net/api/predict",
    headers: { "content-type": "application/json", "x-request-id": "from-azure" },
    body: { string: JSON.stringify({ features: [0.5, -0.5] }) },
  });
  const res = await fn(req, ctx());
  assert.equal(res.status, 200);
  const headers = res.headers as Record<string, string>;
  assert.equal(headers["x-request-id"], "from-azure");
  const body = JSON.parse(decode(res.body));
  assert.ok(["no", "yes"].includes(body.prediction));
});

Deno.test("the Node.js worker adapter passes errors through with their status", async () => {
  const fn = azureHandler(handler());
  const bad = await fn(
    new HttpRequest({
      method: "POST",
      url: "https://app/api/predict",
      headers: { "content-type": "application/json" },
      body: { string: '{"features":[1]}' },
    }),
    ctx(),
  );
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(decode(bad.body)).error.code, "invalid_input");
  const health = await fn(new HttpRequest({ method: "GET", url: "https://app/api/health" }), ctx());
  assert.equal(health.status, 200);
});

Deno.test("registerFunctions() registers every route with its methods and auth level", () => {
  const seen: { name: string; route: string; methods: string[]; authLevel: string }[] = [];
  const app: HttpApp = { http: (name, o) => seen.push({ name, ...o }) };
  registerFunctions(handler(), app);
  assert.deepEqual(seen.map((s) => s.route), ROUTES.map((r) => r.path));
  assert.equal(seen.find((s) => s.name === "health")!.authLevel, "anonymous");
  assert.equal(seen.find((s) => s.name === "predict")!.authLevel, "function");
  assert.deepEqual(seen.find((s) => s.name === "v2-models")!.methods, ["GET", "POST"]);
});

Deno.test("registerFunctions() uses the real app.http, which registers nothing under Deno", () => {
  const fn: AzureHttpFunction = azureHandler(handler());
  assert.equal(typeof fn, "function");
  registerFunctions(handler()); // prints the worker's test-mode notice; must not throw
});
