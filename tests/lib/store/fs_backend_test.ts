import assert from "node:assert/strict";
import { join } from "node:path";
import { ConflictError, InvalidInput, StoreError } from "../../../lib/errors.ts";
import { FsBackend, STALE_TEMP_MS } from "../../../lib/store/fs_backend.ts";
import { listDir, withTempDir } from "../../support/fixtures.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("FsBackend stores, lists and deletes objects with content ETags", async () => {
  await withTempDir(async (dir) => {
    const b = new FsBackend(dir);
    const etag = await b.put("models/v1/model.json", bytes("one"));
    assert.equal((await b.get("models/v1/model.json"))?.etag, etag);
    assert.equal(await b.etag("models/v1/model.json"), etag);
    await b.put("aliases/production.json", bytes("p"));
    assert.deepEqual(await b.list("models/"), ["models/v1/model.json"]);
    assert.deepEqual(await b.list(""), ["aliases/production.json", "models/v1/model.json"]);
    await b.delete("models/v1/model.json");
    await b.delete("models/v1/model.json"); // deleting twice is fine
    assert.equal(await b.get("models/v1/model.json"), undefined);
    assert.deepEqual(await listDir(join(dir, "models")), []);
  });
});

Deno.test("FsBackend create-only writes fail on an existing key and leave it unchanged", async () => {
  await withTempDir(async (dir) => {
    const b = new FsBackend(dir);
    await b.put("k", bytes("first"), { ifNoneMatch: "*" });
    await assert.rejects(b.put("k", bytes("second"), { ifNoneMatch: "*" }), ConflictError);
    assert.equal(new TextDecoder().decode((await b.get("k"))!.bytes), "first");
    assert.deepEqual(await listDir(dir), ["k"]); // no temporary files left
  });
});

Deno.test("FsBackend compare-and-swap lets exactly one of two concurrent writers win", async () => {
  await withTempDir(async (dir) => {
    const b = new FsBackend(dir);
    const etag = await b.put("alias", bytes("v0"));
    const results = await Promise.allSettled([
      b.put("alias", bytes("v1"), { ifMatch: etag }),
      b.put("alias", bytes("v2"), { ifMatch: etag }),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(lost.reason instanceof ConflictError);
    await assert.rejects(
      b.put("alias", bytes("v3"), { ifMatch: '"stale"' }),
      /changed since it was read/,
    );
  });
});

Deno.test("FsBackend refuses keys that would escape its folder", async () => {
  await withTempDir(async (dir) => {
    const b = new FsBackend(dir);
    for (const key of ["../x", "/etc/passwd", "a//b", "a/../b", ""]) {
      await assert.rejects(b.get(key), InvalidInput, key);
    }
  });
});

Deno.test("FsBackend reports a read-only store as a clear StoreError", async () => {
  if (Deno.uid() === 0) {
    // root ignores permission bits; use a file where a folder is needed instead
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "models"), "not a folder");
      const b = new FsBackend(dir);
      await assert.rejects(b.put("models/v/model.json", bytes("x")), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.match(err.message, /cannot write/);
        return true;
      });
    });
    return;
  }
  await withTempDir(async (dir) => {
    await Deno.chmod(dir, 0o555);
    try {
      await assert.rejects(new FsBackend(dir).put("k", bytes("x")), /permission denied/);
    } finally {
      await Deno.chmod(dir, 0o755);
    }
  });
});

Deno.test("FsBackend removes the temporary files a killed writer left once they are stale", async () => {
  await withTempDir(async (dir) => {
    const b = new FsBackend(dir);
    await b.put("models/v/metrics.json", bytes("{}"));
    const folder = join(dir, "models", "v");
    const stale = `.${crypto.randomUUID()}.tmp`;
    const fresh = `.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(join(folder, stale), "half a model");
    await Deno.writeTextFile(join(folder, fresh), "a write in progress");
    const old = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    await Deno.utime(join(folder, stale), old, old);
    assert.deepEqual(await b.list("aliases/"), []);
    assert.deepEqual(await b.list(""), ["models/v/metrics.json"]); // never listed
    const left = await listDir(folder);
    assert.ok(!left.includes(stale), "the stale one is removed");
    assert.ok(left.includes(fresh), "a recent one may be a live writer's");
  });
});

Deno.test("FsBackend breaks at once a lock whose writer was killed", async () => {
  await withTempDir(async (dir) => {
    const b = new FsBackend(dir);
    const t1 = performance.now();
    const etag = await b.put("aliases/production.json", bytes("v1"));
    const plainMs = performance.now() - t1;
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(
      join(dir, "aliases", "production.json.lock"),
      JSON.stringify({ pid: dead.pid, host: Deno.hostname(), nonce: "x" }),
    );
    const t0 = performance.now();
    await b.put("aliases/production.json", bytes("v2"), { ifMatch: etag });
    // Measure, then choose: 1 s, or 10x an uncontended put on this machine now if that is more
    // (a busy machine); a writer that waited on the lock would give up only after 10 s.
    const ms = performance.now() - t0;
    assert.ok(ms < Math.max(1000, 10 * plainMs), `${ms.toFixed(0)} ms: no wait for the lock`);
    assert.equal(new TextDecoder().decode((await b.get("aliases/production.json"))!.bytes), "v2");
    assert.deepEqual(await listDir(join(dir, "aliases")), ["production.json"]);
  });
});
