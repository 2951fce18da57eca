/**
 * Fault tests of the function following a registry in Blob Storage, against real Azurite:
 * store down at start-up then back, store gone mid-flight, a corrupted blob.
 */
import assert from "node:assert/strict";
import type { ModelRegistry } from "../../lib/store/registry.ts";
import { startAzurite } from "../../tasks/local/azurite.ts";
import { withTempDir } from "../support/fixtures.ts";
import { modelFolder, smallModelJson } from "../support/models.ts";
import { azuriteRegistry } from "../support/registry.ts";
import { freePort, startServer } from "../support/server.ts";
import { pollUntil, WAIT_LIMIT_MS } from "../support/wait.ts";

const enc = new TextEncoder();

function files(seed: number): Map<string, Uint8Array> {
  return modelFolder(
    smallModelJson({ seed, nFeatures: 3, createdAt: new Date(Date.UTC(2026, 2, seed)) }),
  );
}

/**
 * The test's own writer, with the product's retries and timeout: one try and 5 s made the setup
 * fail on a reset or a slow first answer of a freshly started Azurite on a busy machine, which
 * says nothing about the function under test.
 */
function registryAt(connectionString: string): Promise<ModelRegistry> {
  return azuriteRegistry(connectionString);
}

async function getJson(url: string) {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.json() };
  } catch (err) {
    return { status: 0, body: { error: String(err) } };
  }
}

/** {@link pollUntil}, every 100 ms. */
const until = <T>(fn: () => Promise<T>, ok: (v: T) => boolean, limitMs = WAIT_LIMIT_MS) =>
  pollUntil(fn, ok, { limitMs, everyMs: 100 });

const predict = (url: string) =>
  fetch(`${url}/api/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ features: [0.1, 0.2, 0.3] }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

Deno.test("the function waits for a store that is down at start-up, then follows it through outages and corruption", async () => {
  await withTempDir(async (data) => {
    const port = freePort();
    const connectionString =
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const server = await startServer([], {
      FLUXOPS_STORE: "azblob://models",
      AZURE_STORAGE_CONNECTION_STRING: connectionString,
      FLUXOPS_POLL_SECONDS: "0.2",
    });
    let azurite;
    try {
      // 1. Store down at start-up: unhealthy with a reason, retrying.
      const down = await until(
        () => getJson(`${server.url}/api/health`),
        (h) => h.status === 503 && !!h.body.reason,
      );
      assert.equal(down.status, 503);
      assert.equal(down.body.store.reachable, false);

      // 2. The store comes up with a promoted model: the function loads it.
      azurite = await startAzurite({ port, location: data });
      const registry = await registryAt(connectionString);
      const a = (await registry.publish(files(1))).version;
      const b = (await registry.publish(files(2))).version;
      await registry.promote(a);
      const up = await until(
        () => getJson(`${server.url}/api/health`),
        (h) => h.status === 200,
        40_000,
      );
      assert.equal(up.body.model_version, a);

      // 3. The store goes away mid-flight: predictions go on with the current model.
      await azurite.stop();
      azurite = undefined;
      const gone = await until(
        () => getJson(`${server.url}/api/health`),
        (h) => h.body.store?.reachable === false,
      );
      assert.equal(gone.status, 200);
      assert.equal(gone.body.model_version, a);
      const p = await predict(server.url);
      assert.equal(p.status, 200);
      assert.equal(p.body.model_version, a);

      // 4. It comes back; a corrupted version is refused, the good one stays.
      azurite = await startAzurite({ port, location: data });
      const again = await registryAt(connectionString);
      await again.backend.put(
        `models/${b}/model.json`,
        enc.encode('{"format":"fluxops.model/v1","sha256":"0"}'),
      );
      await again.promote(b);
      const refused = await until(
        () => getJson(`${server.url}/api/health`),
        (h) => /checksum/.test(h.body.last_load_error ?? ""),
      );
      assert.equal(refused.body.model_version, a);
      assert.match(refused.body.last_load_error, /checksum mismatch/);
      assert.ok(!server.stdout().includes("AccountKey"), "no account key in the logs");
    } finally {
      await server.stop();
      await azurite?.stop();
    }
  });
});
