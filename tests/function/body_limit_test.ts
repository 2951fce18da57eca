import assert from "node:assert/strict";
import { join } from "node:path";
import { saveModel } from "../../lib/model/artifact.ts";
import {
  defaultBodyLimit,
  ENVELOPE_BYTES,
  MAX_NUMBER_CHARS,
  MIN_BODY_BYTES,
} from "../../function/serving/body_limit.ts";
import { smallModel } from "../support/models.ts";
import { startServer } from "../support/server.ts";
import { withTempDir } from "../support/fixtures.ts";

/** A value as long as a shortest round-trip double can be written (25 characters). */
const LONGEST = "-0.0000012345678901234567";

/** The largest body of `rows` rows by feature name the document calls valid, no whitespace. */
function namedBatch(names: readonly string[], rows: number): string {
  const row = `{${names.map((n) => `${JSON.stringify(n)}:${LONGEST}`).join(",")}}`;
  return `{"instances":[${Array(rows).fill(row).join(",")}]}`;
}

Deno.test("the longest value the limit allows for is the longest shortest round-trip double", () => {
  assert.equal(LONGEST.length, MAX_NUMBER_CHARS);
  assert.equal(String(Number(LONGEST)), LONGEST);
});

const limits: [string, readonly string[], number, number][] = [
  ["2 features keep the floor of 1 MiB", ["a", "b"], 10_000, MIN_BODY_BYTES],
  [
    "30 features get the largest named batch plus the envelope",
    Array.from({ length: 30 }, (_, j) => `f${j}`),
    10_000,
    namedBatch(Array.from({ length: 30 }, (_, j) => `f${j}`), 10_000).length + ENVELOPE_BYTES,
  ],
  [
    "names that JSON escapes count as escaped",
    ['a"b', "c\\d", ...Array.from({ length: 98 }, (_, j) => `feature_${j}`)],
    500,
    namedBatch(['a"b', "c\\d", ...Array.from({ length: 98 }, (_, j) => `feature_${j}`)], 500)
      .length + ENVELOPE_BYTES,
  ],
];
for (const [what, names, maxInstances, expected] of limits) {
  Deno.test(`defaultBodyLimit(): ${what}`, () => {
    assert.equal(defaultBodyLimit(names, maxInstances), expected);
  });
}

Deno.test("the server accepts the largest valid batch of a 30-feature model and refuses one byte more with 413", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel({ nFeatures: 30 });
    const path = join(dir, "model.json");
    await saveModel(path, model.artifact);
    const names = model.featureNames;
    const limit = defaultBodyLimit(names, 10_000);
    const server = await startServer(["--model", path], { FLUXOPS_DRIFT_WINDOW: "0" });
    try {
      const post = (url: string, body: string) =>
        fetch(`${server.url}${url}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
      // By name: the longest form, 9.2 MB where the old fixed limit was 1 MiB.
      const named = namedBatch(names, 10_000);
      assert.ok(named.length > 8 * MIN_BODY_BYTES, `${named.length} bytes`);
      const ok = await post("/api/predict", named);
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal((await ok.json()).predictions.length, 10_000);
      // The V2 form of the same rows.
      const data = Array(10_000 * 30).fill(LONGEST).join(",");
      const v2 = await post(
        "/v2/models/fluxops/infer",
        `{"inputs":[{"name":"input","shape":[10000,30],"datatype":"FP64","data":[${data}]}]}`,
      );
      assert.equal(v2.status, 200, await v2.clone().text());
      await v2.body?.cancel();
      // One byte over the limit (JSON whitespace, still valid JSON): refused before parsing.
      const over = named + " ".repeat(limit - named.length + 1);
      assert.equal(over.length, limit + 1);
      const refused = await post("/api/predict", over);
      assert.equal(refused.status, 413);
      const { error } = await refused.json();
      assert.equal(error.code, "payload_too_large");
      assert.equal(
        error.message,
        `body: over the limit of ${limit} bytes (room for 10000 rows of this model's 30 features)`,
      );
      // The document states the limit it enforces.
      const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
      const predict413 = doc.paths["/api/predict"].post.responses["413"].description;
      assert.match(predict413, new RegExp(`body limit for this model is ${limit} bytes`));
      assert.equal(doc.components.schemas.PredictBatch.properties.instances.maxItems, 10_000);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("an explicit --max-body is the limit whatever the model", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.json");
    await saveModel(path, smallModel({ nFeatures: 30 }).artifact);
    const server = await startServer(["--model", path, "--max-body", "2048"], {
      FLUXOPS_DRIFT_WINDOW: "0",
    });
    try {
      const res = await fetch(`${server.url}/api/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: namedBatch(smallModel({ nFeatures: 30 }).featureNames, 3),
      });
      assert.equal(res.status, 413);
      assert.equal((await res.json()).error.message, "body: over the limit of 2048 bytes");
      const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
      assert.match(
        doc.paths["/api/predict"].post.responses["413"].description,
        /body limit for this model is 2048 bytes/,
      );
    } finally {
      await server.stop();
    }
  });
});
