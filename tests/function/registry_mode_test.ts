import assert from "node:assert/strict";
import { join } from "node:path";
import { FsBackend } from "../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { withTempDir } from "../support/fixtures.ts";
import { modelFolder, smallModelJson } from "../support/models.ts";
import { startServer } from "../support/server.ts";
import { pollUntil as until } from "../support/wait.ts";

const enc = new TextEncoder();
const SECRET = "a-test-signing-key-0123456789abcdef";

function files(seed: number, signWith?: string): Map<string, Uint8Array> {
  const model = smallModelJson({
    seed,
    nFeatures: 3,
    metrics: { accuracy: 0.5 },
    createdAt: new Date(Date.UTC(2026, 1, seed)),
  });
  return modelFolder(model, signWith ? { key: enc.encode(signWith), keyId: "env" } : undefined);
}

async function health(url: string) {
  const res = await fetch(`${url}/api/health`);
  return { status: res.status, body: await res.json() };
}

Deno.test("the function follows the production alias and hot-swaps when it moves", async () => {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(dir));
    const a = (await registry.publish(files(1))).version;
    const b = (await registry.publish(files(2))).version;
    await registry.promote(a);
    const server = await startServer([], { FLUXOPS_STORE: dir, FLUXOPS_POLL_SECONDS: "0.1" });
    try {
      let h = await until(() => health(server.url), (x) => x.status === 200);
      assert.equal(h.body.model_version, a);
      assert.equal(h.body.store.alias, "production");
      assert.equal(h.body.store.reachable, true);
      await registry.promote(b);
      h = await until(() => health(server.url), (x) => x.body.model_version === b);
      assert.equal(h.body.model_version, b);
      const info = await (await fetch(`${server.url}/api/model-info`)).json();
      assert.equal(info.version, b);
      assert.equal(info.store.location, dir);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("with a signing key the function serves only signed models and keeps the last good one", async () => {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(dir));
    const good = (await registry.publish(files(1, SECRET))).version;
    const unsigned = (await registry.publish(files(2))).version;
    const forged = (await registry.publish(files(3, "another-key-entirely-0123456789"))).version;
    await registry.promote(good);
    const server = await startServer([], {
      FLUXOPS_STORE: dir,
      FLUXOPS_POLL_SECONDS: "0.1",
      FLUXOPS_SIGNING_KEY: SECRET,
    });
    try {
      let h = await until(() => health(server.url), (x) => x.status === 200);
      assert.equal(h.body.model_version, good);
      await registry.promote(unsigned);
      h = await until(
        () => health(server.url),
        (x) => /unsigned/.test(x.body.last_load_error ?? ""),
      );
      assert.equal(h.body.model_version, good);
      assert.match(h.body.last_load_error, /unsigned/);
      await registry.promote(forged);
      h = await until(
        () => health(server.url),
        (x) => /does not match/.test(x.body.last_load_error ?? ""),
      );
      assert.equal(h.body.model_version, good);
      // Log lines are written in batches every few milliseconds: wait for this one.
      const logs = await until(
        () => Promise.resolve(server.stdout()),
        (out) => /"msg":"loading from [^"]* failed"/.test(out),
      );
      assert.match(logs, /"msg":"loading from [^"]* failed"/);
      assert.ok(!logs.includes(SECRET), "the key never appears in logs");
    } finally {
      await server.stop();
    }
  });
});

Deno.test("a pinned FLUXOPS_MODEL_VERSION is served whatever the alias says", async () => {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(dir));
    const a = (await registry.publish(files(1))).version;
    const b = (await registry.publish(files(2))).version;
    await registry.promote(b);
    const server = await startServer([], { FLUXOPS_STORE: dir, FLUXOPS_MODEL_VERSION: a });
    try {
      const h = await until(() => health(server.url), (x) => x.status === 200);
      assert.equal(h.body.model_version, a);
      assert.equal(h.body.store.pinned_version, a);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("an empty registry leaves the function unhealthy with the reason, retrying", async () => {
  await withTempDir(async (dir) => {
    const server = await startServer([], { FLUXOPS_STORE: join(dir, "empty") });
    try {
      const h = await until(() => health(server.url), (x) => x.status === 503 && !!x.body.reason);
      assert.equal(h.status, 503);
      assert.match(h.body.reason, /alias production is not set/);
      const registry = new ModelRegistry(new FsBackend(join(dir, "empty")));
      await registry.promote((await registry.publish(files(1))).version);
      const later = await until(() => health(server.url), (x) => x.status === 200);
      assert.equal(later.status, 200);
    } finally {
      await server.stop();
    }
  });
});
