/**
 * The handler with a release (canary or shadow) configured, called in-process. The packaged
 * function over HTTP is in release_package_test.ts.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { createHandler } from "../../function/handler.ts";
import type { LoadedModel } from "../../lib/model/artifact.ts";
import { ModelHolder } from "../../function/serving/model_holder.ts";
import { Release } from "../../function/serving/release.ts";
import type { ReleaseConfig } from "../../function/serving/release_config.ts";
import { smallModel } from "../support/models.ts";

const PRODUCTION = smallModel({ nFeatures: 3, seed: 1, classes: ["cat", "dog"] });
const CANDIDATE = smallModel({ nFeatures: 3, seed: 2, classes: ["cat", "dog"] });
const WIDER = smallModel({ nFeatures: 4, seed: 3, classes: ["cat", "dog"] });
const P = PRODUCTION.artifact.version;
const C = CANDIDATE.artifact.version;

function setup(config: Partial<ReleaseConfig> = {}, candidate: LoadedModel = CANDIDATE) {
  const holder = new ModelHolder();
  holder.set(PRODUCTION);
  const candidateHolder = new ModelHolder();
  candidateHolder.set(candidate);
  const release = new Release({
    config: {
      mode: "canary",
      candidateAlias: "candidate",
      candidateModel: undefined,
      weight: 0.5,
      stickyHeader: "x-fluxops-subject",
      rollbackErrorRate: 0.05,
      rollbackMinRequests: 50,
      ...config,
    },
    production: holder,
    candidate: candidateHolder,
  });
  const handler = createHandler({ holder, release, log: () => {} });
  return { handler, release };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://fn${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const get = (path: string) => new Request(`http://fn${path}`);
const ROW = { features: [0.2, -0.4, 1.1] };
const INFER = { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [0.2, -0.4, 1.1] }] };

async function served(res: Response): Promise<string> {
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(res.headers.get("x-fluxops-model-version"), body.model_version);
  return body.model_version;
}

Deno.test("a canary answers each subject with one version, on REST and V2 alike", async () => {
  const { handler } = setup();
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const subject = { "x-fluxops-subject": `user-${i}` };
    const rest = await served(await handler(post("/api/predict", ROW, subject)));
    const v2 = await served(await handler(post("/v2/models/fluxops/infer", INFER, subject)));
    assert.equal(v2, rest, `user-${i}`);
    for (let j = 0; j < 3; j++) {
      assert.equal(await served(await handler(post("/api/predict", ROW, subject))), rest);
    }
    seen.add(rest);
  }
  assert.deepEqual([...seen].sort(), [C, P].sort(), "both versions answer some subjects");
});

Deno.test("without the sticky header the request id decides the version", async () => {
  const { handler } = setup();
  const versions = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const id = { "x-request-id": `req-${i}` };
    const first = await served(await handler(post("/api/predict", ROW, id)));
    assert.equal(await served(await handler(post("/api/predict", ROW, id))), first);
    versions.add(first);
  }
  assert.equal(versions.size, 2);
});

Deno.test("a request naming the candidate's version gets the candidate whatever the weight", async () => {
  const { handler } = setup({ weight: 0 });
  const res = await handler(post(`/v2/models/fluxops/versions/${C}/infer`, INFER));
  assert.equal(await served(res), C);
  const meta = await (await handler(get(`/v2/models/fluxops/versions/${C}`))).json();
  assert.deepEqual(meta.versions, [C]);
  assert.equal(await served(await handler(post("/api/predict", ROW))), P);
  const missing = await handler(
    post("/v2/models/fluxops/versions/20990101T000000Z-00000000/infer", INFER),
  );
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("a candidate that refuses valid input never shows: production answers 200", async () => {
  const { handler, release } = setup({ weight: 1 }, WIDER);
  for (let i = 0; i < 10; i++) {
    assert.equal(await served(await handler(post("/api/predict", ROW))), P);
    assert.equal(await served(await handler(post("/v2/models/fluxops/infer", INFER))), P);
  }
  const bad = await handler(post("/api/predict", { features: [1] }));
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error.message, /expected 3 features, got 1/);
  const candidate = release.report().versions.find((v) => v.role === "candidate");
  assert.deepEqual([candidate?.requests, candidate?.errors], [21, 20]);
});

Deno.test("model-info and health report the release in the shape the OpenAPI document gives", async () => {
  for (const mode of ["canary", "shadow"] as const) {
    const { handler, release } = setup({ mode });
    for (let i = 0; i < 20; i++) {
      await (await handler(post("/api/predict", ROW, { "x-fluxops-subject": `s${i}` }))).body
        ?.cancel();
      await release.settled();
    }
    const doc = await (await handler(get("/api/openapi.json"))).json();
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    }
    const check = (body: unknown, schema: string) =>
      assert.ok(
        ajv.validate({ $ref: `#/components/schemas/${schema}` }, body),
        `${schema}: ${JSON.stringify(ajv.errors)} for ${JSON.stringify(body)}`,
      );
    const info = await (await handler(get("/api/model-info"))).json();
    check(info, "ModelInfo");
    check(info.release, "Release");
    assert.equal(info.release.mode, mode);
    assert.equal(info.release.candidate_version, C);
    assert.equal(info.release.production_version, P);
    const total = info.release.versions.reduce(
      (n: number, v: { role: string; requests: number }) =>
        n + (v.role === "production" ? v.requests : 0),
      0,
    );
    if (mode === "shadow") {
      assert.equal(total, 20);
      assert.equal(info.release.shadow.compared, 20);
      assert.ok(info.release.shadow.agreement_rate >= 0 && info.release.shadow.agreement_rate <= 1);
    } else {
      assert.equal(info.release.shadow, null);
      assert.ok(total > 0 && total < 20, `production answered ${total} of 20`);
    }
    const health = await (await handler(get("/api/health"))).json();
    check(health, "Healthy");
    assert.deepEqual(health.candidate, {
      mode,
      alias: "candidate",
      model_version: C,
      last_load_error: null,
      rolled_back: false,
    });
  }
});

Deno.test("without a release model-info has no release section and responses name their version", async () => {
  const holder = new ModelHolder();
  holder.set(PRODUCTION);
  const handler = createHandler({ holder, log: () => {} });
  assert.equal(await served(await handler(post("/api/predict", ROW))), P);
  const info = await (await handler(get("/api/model-info"))).json();
  assert.equal("release" in info, false);
  const health = await (await handler(get("/api/health"))).json();
  assert.equal("candidate" in health, false);
});
