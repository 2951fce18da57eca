import assert from "node:assert/strict";
import { ConflictError, StoreError } from "../../../lib/errors.ts";
import { verifySignature } from "../../../lib/model/signing.ts";
import type { PutCondition, StorageBackend, StoredObject } from "../../../lib/store/backend.ts";
import { FsBackend } from "../../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../../lib/store/registry.ts";
import { ModelHolder } from "../../../function/serving/model_holder.ts";
import { RegistryFollower } from "../../../function/serving/registry_follower.ts";
import { withTempDir } from "../../support/fixtures.ts";
import { modelFolder, smallModelJson } from "../../support/models.ts";
import { waitUntil } from "../../support/wait.ts";

const enc = new TextEncoder();
const KEY = { key: enc.encode("s".repeat(32)), keyId: "test" };

function files(seed: number, signed = false): Map<string, Uint8Array> {
  const model = smallModelJson({ seed, createdAt: new Date(Date.UTC(2026, 0, seed)) });
  return modelFolder(model, signed ? KEY : undefined);
}

/** A backend that can be switched off, as a store that goes away. */
class Flaky implements StorageBackend {
  down = false;
  constructor(readonly inner: StorageBackend) {}
  get location() {
    return this.inner.location;
  }
  #check() {
    if (this.down) throw new StoreError(`${this.location}: connection refused`);
  }
  async get(key: string): Promise<StoredObject | undefined> {
    this.#check();
    return await this.inner.get(key);
  }
  async etag(key: string) {
    this.#check();
    return await this.inner.etag(key);
  }
  async put(key: string, bytes: Uint8Array, c?: PutCondition) {
    this.#check();
    return await this.inner.put(key, bytes, c);
  }
  async list(prefix: string) {
    this.#check();
    return await this.inner.list(prefix);
  }
  async delete(key: string) {
    this.#check();
    await this.inner.delete(key);
  }
}

async function withStore(fn: (r: ModelRegistry, flaky: Flaky) => Promise<void>) {
  await withTempDir(async (dir) => {
    const flaky = new Flaky(new FsBackend(dir));
    await fn(new ModelRegistry(flaky), flaky);
  });
}

Deno.test("the follower loads the aliased version and swaps when the alias moves", async () => {
  await withStore(async (r) => {
    const a = (await r.publish(files(1))).version;
    const b = (await r.publish(files(2))).version;
    await r.promote(a);
    const holder = new ModelHolder();
    const f = new RegistryFollower({ registry: r, holder, pollSeconds: 3600 });
    await f.check();
    assert.equal(holder.served?.model.artifact.version, a);
    const before = holder.served;
    await f.check(); // unchanged ETag: nothing reloaded
    assert.equal(holder.served, before);
    await r.promote(b);
    await f.check();
    assert.equal(holder.served?.model.artifact.version, b);
    assert.equal(f.state().reachable, true);
    assert.equal(f.state().alias, "production");
  });
});

Deno.test("the follower keeps serving the current model when the store goes away", async () => {
  await withStore(async (r, flaky) => {
    await r.promote((await r.publish(files(1))).version);
    const holder = new ModelHolder();
    const f = new RegistryFollower({ registry: r, holder });
    await f.check();
    const version = holder.served?.model.artifact.version;
    flaky.down = true;
    await f.check();
    assert.equal(holder.served?.model.artifact.version, version);
    assert.equal(f.state().reachable, false);
    assert.match(f.state().last_error!, /connection refused/);
    flaky.down = false;
    await f.check();
    assert.equal(f.state().reachable, true);
  });
});

Deno.test("the follower retries with backoff while the store is down at start-up", async () => {
  await withStore(async (r, flaky) => {
    await r.promote((await r.publish(files(1))).version);
    flaky.down = true;
    const holder = new ModelHolder();
    const logs: string[] = [];
    const f = new RegistryFollower({
      registry: r,
      holder,
      maxBackoffSeconds: 1,
      pollSeconds: 3600,
      log: (_l, msg) => logs.push(msg),
    });
    const started = f.start();
    // Its first load has failed and it retries (events; a fixed pause may not reach them).
    await waitUntil(() => logs.includes("retrying model load"), "a retry");
    assert.equal(holder.served, undefined);
    assert.match(holder.state().lastError!, /connection refused/);
    flaky.down = false;
    await started;
    assert.ok(holder.served);
    assert.ok(logs.includes("retrying model load"));
    await f.stop();
  });
});

Deno.test("the follower refuses an unsigned or altered model and keeps the last good one", async () => {
  await withStore(async (r) => {
    const good = (await r.publish(files(1, true))).version;
    const unsigned = (await r.publish(files(2, false))).version;
    const verify = (bytes: Uint8Array, sig: Uint8Array | undefined, v: string) => {
      verifySignature(bytes, sig, KEY, v);
    };
    await r.promote(good);
    const holder = new ModelHolder();
    const f = new RegistryFollower({ registry: r, holder, verify });
    await f.check();
    assert.equal(holder.served?.model.artifact.version, good);
    await r.promote(unsigned);
    await f.check();
    assert.equal(holder.served?.model.artifact.version, good);
    assert.match(holder.state().lastError!, /unsigned/);
    // An altered signature on a new version.
    const altered = files(3, true);
    const sig = JSON.parse(new TextDecoder().decode(altered.get("model.sig")));
    sig.signature = "f".repeat(64);
    altered.set("model.sig", enc.encode(JSON.stringify(sig)));
    const v3 = (await r.publish(altered)).version;
    await r.promote(v3);
    await f.check();
    assert.equal(holder.served?.model.artifact.version, good);
    assert.match(holder.state().lastError!, /does not match/);
  });
});

Deno.test("the follower refuses a corrupted model.json and serves a pinned version without polling", async () => {
  await withStore(async (r, flaky) => {
    const a = (await r.publish(files(1))).version;
    const b = (await r.publish(files(2))).version;
    await r.promote(a);
    const holder = new ModelHolder();
    const f = new RegistryFollower({ registry: r, holder });
    await f.check();
    await flaky.inner.put(
      `models/${b}/model.json`,
      enc.encode('{"format":"fluxops.model/v1","sha256":"x"}'),
    );
    await r.promote(b);
    await f.check();
    assert.equal(holder.served?.model.artifact.version, a);
    assert.match(holder.state().lastError!, /checksum/);

    const pinned = new ModelHolder();
    const p = new RegistryFollower({ registry: r, holder: pinned, version: a });
    await p.start();
    assert.equal(pinned.served?.model.artifact.version, a);
    assert.equal(p.state().pinned_version, a);
    await p.stop();
  });
});

Deno.test("the local store without an alias serves its newest version", async () => {
  await withStore(async (r) => {
    await r.publish(files(1));
    const newest = (await r.publish(files(2))).version;
    const holder = new ModelHolder();
    await new RegistryFollower({ registry: r, holder, newestIfNoAlias: true }).check();
    assert.equal(holder.served?.model.artifact.version, newest);
    const strict = new ModelHolder();
    await new RegistryFollower({ registry: r, holder: strict }).check();
    assert.equal(strict.served, undefined);
    assert.match(strict.state().lastError!, /alias production is not set/);
  });
});

Deno.test("a conflict is not a store outage", () => {
  assert.equal(new ConflictError("x").code, "conflict");
});
