import assert from "node:assert/strict";
import { join } from "node:path";
import { main, smoke } from "../../tasks/smoke.ts";
import { saveModel } from "../../lib/model/artifact.ts";
import { withTempDir } from "../support/fixtures.ts";
import { smallModel } from "../support/models.ts";
import { freePort, startServer } from "../support/server.ts";

Deno.test("smoke passes every check against a healthy function", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.json");
    await saveModel(path, smallModel({ nFeatures: 3 }).artifact);
    const server = await startServer(["--model", path]);
    try {
      const results = await smoke({ url: server.url, key: "k" });
      assert.deepEqual(results.map((r) => [r.name, r.ok]), [
        ["health", true],
        ["model-info", true],
        ["predict", true],
        ["bad input", true],
      ]);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("smoke fails, naming the check, when the function is unhealthy or unreachable", async () => {
  await withTempDir(async (dir) => {
    const server = await startServer([], { FLUXOPS_MODEL: join(dir, "missing.json") });
    try {
      const results = await smoke({ url: server.url, retries: 1, retryDelayMs: 10 });
      assert.equal(results[0]!.name, "health");
      assert.equal(results[0]!.ok, false);
      assert.match(results[0]!.detail, /expected 200 healthy, got 503/);
    } finally {
      await server.stop();
    }
  });
  const down = await smoke({ url: `http://127.0.0.1:${freePort()}`, retries: 0, timeoutMs: 2000 });
  assert.ok(down.every((r) => !r.ok));
});

Deno.test("smoke refuses a missing or malformed URL with exit status 2", async () => {
  assert.equal(await main([]), 2);
  assert.equal(await main(["--url", "ftp://x"]), 2);
  assert.equal(await main(["--bogus"]), 2);
  assert.equal(await main(["--help"]), 0);
});
