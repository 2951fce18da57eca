/**
 * The handler's drift monitoring: every parsed row of `/api/predict` and `/v2/.../infer` goes
 * into the window, `GET /api/drift` reports it, and a shifted input stream raises one event.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createHandler, type RequestLog } from "../../function/handler.ts";
import { type DriftEvent, DriftMonitor } from "../../lib/drift/monitor.ts";
import type { LoadedModel } from "../../lib/model/artifact.ts";
import { ModelHolder } from "../../function/serving/model_holder.ts";
import { Rng, uniformModel, uniformRows, uniformStats } from "../support/drift.ts";

const MODEL = uniformModel({ nFeatures: 4 });
const P = 4;

function setup(
  { model = MODEL, drift }: { model?: LoadedModel | null; drift?: DriftMonitor | null } = {},
) {
  const holder = new ModelHolder();
  if (model) holder.set(model);
  const events: DriftEvent[] = [];
  const logs: RequestLog[] = [];
  const monitor = drift === undefined
    ? new DriftMonitor({ onEvent: (e) => events.push(e) })
    : drift;
  const handler = createHandler({ holder, log: (e) => logs.push(e), drift: monitor });
  return { holder, handler, events, logs };
}

function post(path: string, body: unknown): Request {
  return new Request(`http://fn${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const get = (path: string) => new Request(`http://fn${path}`);

function rowsOf(x: Float64Array): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < x.length; i += P) rows.push(Array.from(x.subarray(i, i + P)));
  return rows;
}

async function drift(handler: (req: Request) => Promise<Response>) {
  const res = await handler(get("/api/drift"));
  return { status: res.status, headers: res.headers, body: await res.json() };
}

Deno.test("GET /api/drift reports an empty window for a model that has seen no rows", async () => {
  const { handler } = setup();
  const { status, body } = await drift(handler);
  assert.equal(status, 200);
  const none = {
    psi: 0,
    js_distance: 0,
    chi2_p_value: 1,
    p_value: 1,
    test: "chi2",
    drifted: false,
    status: "ok",
  };
  assert.deepEqual(body, {
    window: 0,
    overall_psi: 0,
    status: "ok",
    share_drifted: 0,
    dataset_drift: false,
    settings: { alpha: 0.005, correction: "bonferroni", share: 0.5 },
    features: Object.fromEntries(MODEL.featureNames.map((n) => [n, none])),
    model_version: MODEL.artifact.version,
    capacity: 1000,
    min_rows: 100,
    ready: false,
    rows_seen: 0,
    prediction: {
      available: false,
      reason: "the model records no training class frequencies (trained before FluxOps kept " +
        "them): retrain it for prediction drift",
    },
    quality: {
      features: Object.fromEntries(
        MODEL.featureNames.map((n) => [n, { out_of_range: 0, share_out_of_range: 0 }]),
      ),
      refused: { non_numeric: 0, missing: 0, wrong_shape: 0, unknown_feature: 0, malformed: 0 },
    },
  });
});

Deno.test("the window takes every parsed row of /api/predict and /v2 infer, and no rejected one", async () => {
  const { handler } = setup();
  const rows = rowsOf(uniformRows(new Rng(1), 6, P));
  const named = Object.fromEntries(MODEL.featureNames.map((n, j) => [n, rows[5]![j]]));
  const answers = [
    await handler(post("/api/predict", { features: rows[0] })),
    await handler(post("/api/predict", { instances: [rows[1], rows[2], named] })),
    await handler(post("/v2/models/fluxops/infer", {
      inputs: [{ name: "x", shape: [2, P], datatype: "FP64", data: [...rows[3]!, ...rows[4]!] }],
    })),
    await handler(post("/api/predict", { instances: [rows[0], [0, 0, 0, "x"]] })),
    await handler(post("/v2/models/fluxops/infer", {
      inputs: [{ name: "x", shape: [1, P], datatype: "FP64", data: [0, 0, 0] }],
    })),
  ];
  assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 400, 400]);
  await Promise.all(answers.map((r) => r.body?.cancel()));
  const { body } = await drift(handler);
  assert.equal(body.window, 6);
  assert.equal(body.rows_seen, 6);
});

Deno.test("a shifted input stream puts only the shifted feature in alert, with one alert event", async () => {
  const { handler, events } = setup();
  const rng = new Rng(7);
  const send = async (n: number, shift: Record<number, number> = {}) => {
    for (let i = 0; i < n; i += 50) {
      const res = await handler(
        post("/api/predict", { instances: rowsOf(uniformRows(rng, 50, P, shift)) }),
      );
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
  };
  await send(1000);
  const before = (await drift(handler)).body;
  assert.equal(before.ready, true);
  assert.equal(before.status, "ok");
  await send(1500, { 2: 0.6 });
  const after = (await drift(handler)).body;
  assert.equal(after.window, 1000);
  assert.equal(after.rows_seen, 2500);
  assert.equal(after.status, "alert");
  for (const [name, f] of Object.entries(after.features) as [string, { psi: number }][]) {
    if (name === "f2") assert.ok(f.psi > 0.25, `${name}: ${f.psi}`);
    else assert.ok(f.psi < 0.1, `${name}: ${f.psi}`);
  }
  assert.deepEqual(events.filter((e) => e.status === "alert").map((e) => e.feature), ["f2"]);
  assert.ok(events.every((e) => e.feature === "f2"), JSON.stringify(events));
});

Deno.test("a new model starts a new drift window", async () => {
  const { handler, holder } = setup();
  const res = await handler(
    post("/api/predict", { instances: rowsOf(uniformRows(new Rng(2), 9, P)) }),
  );
  await res.body?.cancel();
  assert.equal((await drift(handler)).body.window, 9);
  const next = uniformModel({ nFeatures: 4, seed: 5 });
  holder.set(next);
  const { body } = await drift(handler);
  assert.equal(body.window, 0);
  assert.equal(body.model_version, next.artifact.version);
});

Deno.test("rows of a request that began before a model swap do not reset the new model's window", async () => {
  const { handler, holder } = setup();
  const body = new TextEncoder().encode(
    JSON.stringify({ instances: rowsOf(uniformRows(new Rng(3), 4, P)) }),
  );
  let push!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  const slow = handler(
    new Request("http://fn/api/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
    }),
  );
  const next = uniformModel({ nFeatures: 4, seed: 6 });
  holder.set(next);
  const fresh = await handler(
    post("/api/predict", { instances: rowsOf(uniformRows(new Rng(4), 5, P)) }),
  );
  await fresh.body?.cancel();
  push.enqueue(body);
  push.close();
  const res = await slow;
  assert.equal(res.status, 200, "the old model still answers the request it began");
  assert.equal((await res.json()).model_version, MODEL.artifact.version);
  const { body: figures } = await drift(handler);
  assert.equal(figures.model_version, next.artifact.version);
  assert.equal(figures.window, 5);
});

const noHistograms = uniformModel({
  nFeatures: 4,
  features: uniformStats(["f0", "f1", "f2", "f3"]).map((f) => ({ ...f, bin_frequencies: [] })),
});
const UNAVAILABLE: [string, Parameters<typeof setup>[0], RegExp][] = [
  ["no model is loaded", { model: null }, /^no model is loaded/],
  ["drift monitoring is off", { drift: null }, /^drift monitoring is off$/],
  ["the model has no training histograms", { model: noHistograms }, /^no drift figures: .*f0/],
];
for (const [what, options, message] of UNAVAILABLE) {
  Deno.test(`GET /api/drift is 503 unavailable when ${what}`, async () => {
    const { handler, logs } = setup(options);
    const { status, body } = await drift(handler);
    assert.equal(status, 503);
    assert.equal(body.error.code, "unavailable");
    assert.match(body.error.message, message);
    assert.equal(logs[0]!.route, "/api/drift");
  });
}

Deno.test("predictions go on when drift monitoring is off or the model has no histograms", async () => {
  for (const options of [{ drift: null }, { model: noHistograms }]) {
    const { handler } = setup(options);
    const res = await handler(post("/api/predict", { features: [0.1, 0.2, 0.3, 0.4] }));
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
});

Deno.test("POST /api/drift is 405 with Allow: GET", async () => {
  const { handler } = setup();
  const res = await handler(post("/api/drift", {}));
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET");
  assert.equal((await res.json()).error.code, "method_not_allowed");
});

Deno.test("the OpenAPI document describes GET /api/drift and its answers match the schema", async () => {
  const { handler } = setup();
  const doc = await (await handler(get("/api/openapi.json"))).json();
  assert.ok((await new Validator().validate(doc)).valid);
  const op = doc.paths["/api/drift"]?.get;
  assert.ok(op, "GET /api/drift is documented");
  assert.deepEqual(Object.keys(op.responses).sort(), ["200", "405", "503"]);
  const ajv = new Ajv2020({ strict: false });
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    ajv.addSchema(schema as object, `#/components/schemas/${name}`);
  }
  const check = (body: unknown, schema: string) =>
    assert.ok(
      ajv.validate({ $ref: `#/components/schemas/${schema}` }, body),
      `${schema}: ${JSON.stringify(ajv.errors)} for ${JSON.stringify(body)}`,
    );
  check((await drift(handler)).body, "Drift");
  const res = await handler(
    post("/api/predict", { instances: rowsOf(uniformRows(new Rng(3), 600, P)) }),
  );
  await res.body?.cancel();
  check((await drift(handler)).body, "Drift");
  check((await drift(setup({ model: null }).handler)).body, "Error");
  // The document names the served model's features; a body without them does not match.
  assert.equal(
    ajv.validate({ $ref: "#/components/schemas/Drift" }, {
      ...(await drift(handler)).body,
      features: {
        other: {
          psi: 0,
          js_distance: 0,
          chi2_p_value: 1,
          p_value: 1,
          test: "chi2",
          drifted: false,
          status: "ok",
        },
      },
    }),
    false,
  );
});

Deno.test("GET /api/drift reports prediction drift against the model's training class frequencies", async () => {
  const model = uniformModel({ nFeatures: 4, classFrequencies: [0.5, 0.5] });
  const { handler } = setup({ model });
  const rows = rowsOf(uniformRows(new Rng(21), 300, P));
  const res = await handler(post("/api/predict", { instances: rows }));
  const predictions: number[] = (await res.json()).predictions;
  const { body } = await drift(handler);
  const p = body.prediction;
  assert.equal(p.available, true);
  assert.equal(p.rows, 300);
  assert.deepEqual(p.training, { "0": 0.5, "1": 0.5 });
  const ones = predictions.filter((c) => c === 1).length;
  assert.deepEqual(p.recent, { "0": (300 - ones) / 300, "1": ones / 300 });
  assert.ok(p.chi2_p_value >= 0 && p.chi2_p_value <= 1);
  assert.ok(p.js_distance >= 0 && p.js_distance <= 1);
  assert.equal(p.drifted, p.chi2_p_value < 0.005);
});

Deno.test("GET /api/drift counts refused rows per cause (a refused batch counts every row) and values outside the training range", async () => {
  const { handler } = setup();
  const bad: [unknown, string][] = [
    [{ instances: [[0, 0, 0, 0], [0, 0, 0, "x"], [0, 0, 0, 0]] }, "non_numeric"],
    [{ instances: [[0, 0, 0, null]] }, "missing"],
    [{ features: { f0: 1, f1: 1, f2: 1 } }, "missing"],
    [{ features: [1, 2] }, "wrong_shape"],
    [{ features: { f0: 1, f1: 1, f2: 1, f3: 1, f9: 1 } }, "unknown_feature"],
    ["{not json", "malformed"],
  ];
  for (const [body] of bad) {
    const res = await handler(post("/api/predict", body));
    assert.equal(res.status, 400);
    await res.body?.cancel();
  }
  const ok = await handler(
    post("/api/predict", { instances: [[2, 0.5, -1, 0.5], [0.5, 0.5, 0.5, 0.5]] }),
  );
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  const { body } = await drift(handler);
  assert.deepEqual(body.quality.refused, {
    non_numeric: 3,
    missing: 2,
    wrong_shape: 1,
    unknown_feature: 1,
    malformed: 1,
  });
  assert.deepEqual(body.quality.features.f0, { out_of_range: 1, share_out_of_range: 0.5 });
  assert.deepEqual(body.quality.features.f2, { out_of_range: 1, share_out_of_range: 0.5 });
  assert.deepEqual(body.quality.features.f1, { out_of_range: 0, share_out_of_range: 0 });
});
