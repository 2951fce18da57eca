import assert from "node:assert/strict";
import { join } from "node:path";
import { ModelNotFound } from "../../../lib/errors.ts";
import { latestModelPath, resolveModelPath } from "../../../lib/model/local_store.ts";
import { withTempDir } from "../../support/fixtures.ts";

Deno.test("latestModelPath() picks the newest version that has a model.json", async () => {
  await withTempDir(async (dir) => {
    for (const v of ["20260101T000000Z-aaaa", "20261231T000000Z-bbbb", "20261231T000000Z-cccc"]) {
      await Deno.mkdir(join(dir, v));
    }
    await Deno.writeTextFile(join(dir, "20260101T000000Z-aaaa", "model.json"), "{}");
    await Deno.writeTextFile(join(dir, "20261231T000000Z-bbbb", "model.json"), "{}");
    await Deno.mkdir(join(dir, ".staging-x"));
    assert.equal(await latestModelPath(dir), join(dir, "20261231T000000Z-bbbb", "model.json"));
  });
});

Deno.test("latestModelPath() says how to get a model when there is none", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(latestModelPath(join(dir, "missing")), ModelNotFound);
    await assert.rejects(latestModelPath(dir), /train one with `deno task train`/);
  });
});

Deno.test("resolveModelPath() accepts a model folder or a file", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await resolveModelPath(dir), join(dir, "model.json"));
    assert.equal(await resolveModelPath(join(dir, "x.json")), join(dir, "x.json"));
  });
});
