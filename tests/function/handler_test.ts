import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { createHandler, type RequestLog } from "../../function/handler.ts";
import { ModelHolder } from "../../function/serving/model_holder.ts";
import { ReadDeadlines } from "../../function/serving/read_deadlines.ts";
import { smallModel } from "../support/models.ts";

const model = smallModel({ nFeatures: 4, classes: ["cat", "dog"] });
const NAMES = model.featureNames;

function setup(opts: { loaded?: boolean; maxBodyBytes?: number; maxInstances?: number } = {}) {
  const holder = new ModelHolder();
  if (opts.loaded !== false) holder.set(model);
  const logs: RequestLog[] = [];
  const handler = createHandler({
    holder,
    log: (e) => logs.push(e),
    ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}),
    ...(opts.maxInstances ? { maxInstances: opts.maxInstances } : {}),
  });
  return { holder, handler, logs };
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`http://fn${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://fn${path}`, { headers });

Deno.test("GET /api/health reports the loaded model and uptime", async () => {
  const { handler } = setup();
  const res = await handler(get("/api/health"));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "healthy");
  assert.equal(body.model_version, model.artifact.version);
  assert.equal(typeof body.uptime_s, "number");
});

Deno.test("GET /api/health is 503 unhealthy with a reason when no model is loaded", async () => {
  const { handler, holder } = setup({ loaded: false });
  holder.fail("model.json: checksum mismatch");
  const res = await handler(get("/api/health"));
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.status, "unhealthy");
  assert.match(body.reason, /checksum mismatch/);
});

Deno.test("POST /api/predict answers one row given as an array with labels as trained", async () => {
  const { handler } = setup();
  const res = await handler(post("/api/predict", { features: [0.1, -0.2, 0.3, 0.4] }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.model_version, model.artifact.version);
  assert.ok(body.prediction === "cat" || body.prediction === "dog");
  assert.deepEqual(Object.keys(body.probabilities), ["cat", "dog"]);
  assert.ok(Math.abs(body.probabilities.cat + body.probabilities.dog - 1) < 1e-12);
  assert.match(res.headers.get("server-timing") ?? "", /^predict;dur=/);
});

Deno.test("POST /api/predict accepts features by name in any order", async () => {
  const { handler } = setup();
  const values = [0.5, 1.5, -1, 2];
  const byName = Object.fromEntries(NAMES.map((n, i) => [n, values[i]]).reverse());
  const a = await (await handler(post("/api/predict", { features: values }))).json();
  const b = await (await handler(post("/api/predict", { features: byName }))).json();
  assert.deepEqual(a, b);
});

Deno.test("POST /api/predict answers a batch with classes, predictions and probabilities", async () => {
  const { handler, logs } = setup();
  const rows = [[0, 0, 0, 0], [1, 1, 1, 1], Object.fromEntries(NAMES.map((n) => [n, 2]))];
  const res = await handler(post("/api/predict", { instances: rows }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.classes, ["cat", "dog"]);
  assert.equal(body.predictions.length, 3);
  assert.equal(body.probabilities.length, 3);
  for (const p of body.probabilities) assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-12);
  assert.equal(logs.at(-1)!.instances, 3);
});

const tooMany = { instances: Array.from({ length: 6 }, () => [0, 0, 0, 0]) };
const badPredict: [string, Request, number, string, RegExp][] = [
  [
    "invalid JSON",
    post("/api/predict", "{features:"),
    400,
    "invalid_input",
    /^body: not valid JSON/,
  ],
  [
    "a JSON array body",
    post("/api/predict", [1, 2]),
    400,
    "invalid_input",
    /expected a JSON object/,
  ],
  [
    "no features or instances",
    post("/api/predict", { rows: [] }),
    400,
    "invalid_input",
    /"features" \(one row\) or "instances"/,
  ],
  [
    "an unknown field beside the row",
    post("/api/predict", { features: [1, 2, 3, 4], instance: [[1, 2, 3, 4]] }),
    400,
    "invalid_input",
    /^body: unknown field "instance"; expected "features" \(one row\) or "instances"/,
  ],
  [
    "both features and instances",
    post("/api/predict", { features: [1], instances: [] }),
    400,
    "invalid_input",
    /not both/,
  ],
  [
    "features as a string",
    post("/api/predict", { features: "1,2,3,4" }),
    400,
    "invalid_input",
    /^features: expected an array of 4 numbers/,
  ],
  [
    "too few features",
    post("/api/predict", { features: [1, 2, 3] }),
    400,
    "invalid_input",
    /^features: expected 4 features, got 3/,
  ],
  [
    "a non-numeric value",
    post("/api/predict", { instances: [[0, 0, 0, 0], [0, 0, 0, "abc"]] }),
    400,
    "invalid_input",
    /^instances\[1\]\[3\]: expected a finite number, got "abc"/,
  ],
  [
    "a null value",
    post("/api/predict", { features: [0, null, 0, 0] }),
    400,
    "invalid_input",
    /^features\[1\]: expected a finite number, got null/,
  ],
  [
    "a huge number",
    post("/api/predict", '{"features":[0,1e999,0,0]}'),
    400,
    "invalid_input",
    /^features\[1\]: expected a finite number, got null/,
  ],
  [
    "an unknown named feature",
    post("/api/predict", {
      features: { ...Object.fromEntries(NAMES.map((n) => [n, 1])), bogus: 1 },
    }),
    400,
    "invalid_input",
    /unknown feature "bogus"/,
  ],
  [
    "a missing named feature",
    post("/api/predict", { features: { [NAMES[0]!]: 1 } }),
    400,
    "invalid_input",
    /missing features/,
  ],
  [
    "a named value that is a string",
    post("/api/predict", { features: Object.fromEntries(NAMES.map((n) => [n, "1"])) }),
    400,
    "invalid_input",
    /expected a finite number, got "1"/,
  ],
  [
    "instances not an array",
    post("/api/predict", { instances: { a: 1 } }),
    400,
    "invalid_input",
    /^instances: expected an array of rows/,
  ],
  [
    "an empty batch",
    post("/api/predict", { instances: [] }),
    400,
    "invalid_input",
    /^instances: the batch is empty/,
  ],
  [
    "a row that is a number",
    post("/api/predict", { instances: [5] }),
    400,
    "invalid_input",
    /^instances\[0\]: expected an array/,
  ],
  [
    "more rows than the instance limit",
    post("/api/predict", tooMany),
    413,
    "payload_too_large",
    /6 rows is over the limit of 5/,
  ],
  [
    "a body over the size limit",
    post("/api/predict", { features: [1, 2, 3, 4], pad: "x".repeat(300) }),
    413,
    "payload_too_large",
    /over the limit of 256 bytes/,
  ],
  [
    "a form content type",
    post("/api/predict", "features=1", { "content-type": "application/x-www-form-urlencoded" }),
    415,
    "unsupported_media_type",
    /expected application\/json, got "application\/x-www-form-urlencoded"/,
  ],
  [
    "no content type",
    new Request("http://fn/api/predict", { method: "POST", body: "{}" }),
    415,
    "unsupported_media_type",
    /content-type/,
  ],
  ["GET instead of POST", get("/api/predict"), 405, "method_not_allowed", /use POST/],
  ["POST to health", post("/api/health", {}), 405, "method_not_allowed", /use GET/],
  ["an unknown route", get("/api/nothing"), 404, "not_found", /no route for GET \/api\/nothing/],
  ["the root path", get("/"), 404, "not_found", /no route/],
];
for (const [what, req, status, code, message] of badPredict) {
  Deno.test(`the REST API answers ${status} ${code} to ${what}, with no stack trace`, async () => {
    const { handler, logs } = setup({ maxBodyBytes: 256, maxInstances: 5 });
    const res = await handler(req);
    assert.equal(res.status, status);
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = await res.json();
    assert.equal(body.error.code, code);
    assert.match(body.error.message, message);
    assert.doesNotMatch(JSON.stringify(body), /\bat .*\.ts:\d+/);
    if (status === 405) assert.ok(res.headers.get("allow"));
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.status, status);
    assert.equal(logs[0]!.error_code, code);
  });
}

Deno.test("a body within the limit is read, and a declared length over the limit is refused unread", async () => {
  const { handler } = setup({ maxBodyBytes: 256 });
  const body = JSON.stringify({ features: [0.1, -0.2, 0.3, 0.4] });
  const ok = await handler(post("/api/predict", body, { "content-length": String(body.length) }));
  assert.equal(ok.status, 200);
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new TextEncoder().encode(" ".repeat(100)));
    },
  });
  const big = new Request("http://fn/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": "5000" },
    body: stream,
  });
  const res = await handler(big);
  assert.equal(res.status, 413);
  assert.match((await res.json()).error.message, /over the limit of 256 bytes/);
  assert.ok(pulled <= 1, `the body was read (${pulled} chunks)`);
  await big.body?.cancel();
});

Deno.test("POST /api/predict is 503 when no model is loaded", async () => {
  const { handler } = setup({ loaded: false });
  const res = await handler(post("/api/predict", { features: [0, 0, 0, 0] }));
  assert.equal(res.status, 503);
  assert.equal((await res.json()).error.code, "unavailable");
});

Deno.test("GET /api/model-info describes the model without its forest", async () => {
  const { handler } = setup();
  const body = await (await handler(get("/api/model-info"))).json();
  assert.equal(body.version, model.artifact.version);
  assert.equal(body.sha256, model.artifact.sha256);
  assert.deepEqual(body.classes, ["cat", "dog"]);
  assert.deepEqual(body.features.map((f: { name: string }) => f.name), NAMES);
  for (const key of ["created_at", "target", "params", "metrics", "engine"]) assert.ok(key in body);
  assert.ok(!("forest" in body));
});

Deno.test("every response carries x-request-id, echoing a valid one and replacing a bad one", async () => {
  const { handler, logs } = setup();
  const echoed = await handler(get("/api/health", { "x-request-id": "abc-123" }));
  assert.equal(echoed.headers.get("x-request-id"), "abc-123");
  const replaced = await handler(get("/api/health", { "x-request-id": "bad id\twith spaces" }));
  assert.match(replaced.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const onError = await handler(get("/nope"));
  assert.match(onError.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  assert.deepEqual(logs.map((l) => l.request_id), [
    "abc-123",
    replaced.headers.get("x-request-id"),
    onError.headers.get("x-request-id"),
  ]);
});

Deno.test("the request log has one line per request and never the feature values", async () => {
  const { handler, logs } = setup();
  await handler(post("/api/predict", { features: [123.456789, 0, 0, 0] }));
  await handler(post("/api/predict", { features: [987.654321, 0, 0, "x"] }));
  assert.equal(logs.length, 2);
  const text = JSON.stringify(logs);
  assert.ok(!text.includes("123.456789") && !text.includes("987.654321"));
  for (
    const key of [
      "time",
      "request_id",
      "route",
      "status",
      "latency_ms",
      "model_version",
      "instances",
    ]
  ) {
    assert.ok(key in logs[0]!, key);
  }
  assert.equal(logs[0]!.route, "/api/predict");
});

Deno.test("the OpenAPI document is valid OpenAPI 3.1 and describes every route", async () => {
  const { handler } = setup();
  const doc = await (await handler(get("/api/openapi.json"))).json();
  const result = await new Validator().validate(doc);
  assert.ok(result.valid, JSON.stringify(result.errors));
  assert.equal(doc.openapi, "3.1.0");
  for (
    const path of [
      "/api/health",
      "/api/predict",
      "/api/model-info",
      "/api/openapi.json",
      "/v2",
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/{name}",
      "/v2/models/{name}/ready",
      "/v2/models/{name}/infer",
    ]
  ) assert.ok(doc.paths[path], path);
  const unloaded = await (await setup({ loaded: false }).handler(get("/api/openapi.json"))).json();
  assert.ok((await new Validator().validate(unloaded)).valid);
});

Deno.test("responses match the schemas the OpenAPI document gives for them", async () => {
  const { handler } = setup();
  const doc = await (await handler(get("/api/openapi.json"))).json();
  const ajv = new Ajv2020({ strict: false });
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    ajv.addSchema(schema as object, `#/components/schemas/${name}`);
  }
  const check = async (req: Request, schema: string) => {
    const res = await handler(req);
    const body = await res.json();
    const ok = ajv.validate({ $ref: `#/components/schemas/${schema}` }, body);
    assert.ok(ok, `${schema}: ${JSON.stringify(ajv.errors)} for ${JSON.stringify(body)}`);
  };
  await check(get("/api/health"), "Healthy");
  await check(post("/api/predict", { features: [0, 0, 0, 0] }), "PredictionOne");
  await check(post("/api/predict", { instances: [[0, 0, 0, 0]] }), "PredictionBatch");
  await check(get("/api/model-info"), "ModelInfo");
  await check(post("/api/predict", { features: [] }), "Error");
  await check(post("/v2/models/fluxops/infer", { inputs: [] }), "V2Error");
  await check(get("/v2/models/fluxops"), "V2ModelMetadata");
  await check(
    post("/v2/models/fluxops/infer", {
      inputs: [{ name: "x", shape: [1, 4], datatype: "FP64", data: [0, 0, 0, 0] }],
    }),
    "V2InferResponse",
  );
});

Deno.test("the OpenAPI document states the instance limit and the served model's name", async () => {
  const { handler } = setup({ maxInstances: 5 });
  const doc = await (await handler(get("/api/openapi.json"))).json();
  const { schemas, parameters } = doc.components;
  assert.equal(schemas.PredictBatch.properties.instances.maxItems, 5);
  const shape = schemas.V2InferRequest.properties.inputs.items.properties.shape;
  assert.deepEqual(shape.anyOf[0].prefixItems, [{ maximum: 5 }, { const: NAMES.length }]);
  assert.deepEqual(parameters.ModelName.schema.enum, ["fluxops"]);
  const example = doc.paths["/api/predict"].post.requestBody.content["application/json"].examples;
  for (const { value } of Object.values(example) as { value: unknown }[]) {
    const res = await handler(post("/api/predict", value));
    assert.equal(res.status, 200, JSON.stringify(value));
    await res.body?.cancel();
  }
});

Deno.test("a body that stalls past the read deadline is answered 408 and the connection closed", async () => {
  const holder = new ModelHolder();
  holder.set(model);
  const readDeadlines = new ReadDeadlines({ timeoutMs: 50, tickMs: 10 });
  const logs: RequestLog[] = [];
  const handler = createHandler({ holder, readDeadlines, log: (e) => logs.push(e) });
  try {
    for (const path of ["/api/predict", "/v2/models/fluxops/infer"]) {
      let cancelled = false;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"features":[0.1,')); // and no more
        },
        cancel() {
          cancelled = true;
        },
      });
      const res = await handler(
        new Request(`http://fn${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }),
      );
      assert.equal(res.status, 408, path);
      assert.equal(res.headers.get("connection"), "close");
      const json = await res.json();
      const message = path === "/api/predict" ? json.error.message : json.error;
      assert.match(message, /body: not received within 0.05 s/);
      assert.ok(cancelled, "the stalled body was cancelled");
    }
    assert.equal(logs.length, 2);
    assert.ok(logs.every((l) => l.status === 408 && l.error_code === "request_timeout"));
    assert.equal(readDeadlines.active, 0);
  } finally {
    readDeadlines.close();
  }
});
