import assert from "node:assert/strict";
import { ConflictError, IntegrityError, InvalidInput, ModelNotFound } from "../../../lib/errors.ts";
import { buildArtifact, serializeModel } from "../../../lib/model/artifact.ts";
import { FsBackend } from "../../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../../lib/store/registry.ts";
import { smallModel } from "../../support/models.ts";
import { withTempDir } from "../../support/fixtures.ts";

const enc = new TextEncoder();

/** A model folder's files for a distinct version (`seed` changes the forest, so the hash). */
function modelFiles(
  seed: number,
  createdAt = `2026-11-2${seed % 10}T10:00:00Z`,
): Map<string, Uint8Array> {
  const m = smallModel({ seed });
  const artifact = buildArtifact({
    target: m.artifact.target,
    classes: m.artifact.classes,
    features: m.artifact.features,
    forest: m.forest,
    params: {},
    metrics: { accuracy: 0.9 },
    engine: { name: "native", version: "1.0.0" },
    createdAt: new Date(createdAt),
  });
  return new Map([
    ["model.json", enc.encode(serializeModel(artifact))],
    ["metrics.json", enc.encode("{}")],
    ["report.html", enc.encode("<html></html>")],
  ]);
}

async function withRegistry(fn: (r: ModelRegistry, dir: string) => Promise<void>) {
  await withTempDir((dir) => fn(new ModelRegistry(new FsBackend(dir)), dir));
}

Deno.test("publish() makes a version with its files and summary, listed oldest first", async () => {
  await withRegistry(async (r) => {
    const a = await r.publish(modelFiles(1));
    const b = await r.publish(modelFiles(2));
    assert.deepEqual(await r.versions(), [a.version, b.version]);
    const listed = await r.list();
    assert.equal(listed[0]!.accuracy, 0.9);
    assert.deepEqual(listed[0]!.aliases, []);
    assert.equal((await r.file(a.version, "report.html")).length, 13);
    assert.equal(await r.file(a.version, "model.sig", true), undefined);
  });
});

Deno.test("publishing the same version twice fails clearly and changes nothing", async () => {
  await withRegistry(async (r) => {
    const files = modelFiles(1);
    const meta = await r.publish(files);
    await assert.rejects(r.publish(files), (err: unknown) => {
      assert.ok(err instanceof ConflictError);
      assert.match(err.message, new RegExp(`version ${meta.version} is already published`));
      return true;
    });
    assert.deepEqual(await r.versions(), [meta.version]);
  });
});

Deno.test("publish() refuses a folder without a model or with an altered one", async () => {
  await withRegistry(async (r) => {
    await assert.rejects(r.publish(new Map()), InvalidInput);
    const files = modelFiles(1);
    const text = new TextDecoder().decode(files.get("model.json")).replace(
      '"accuracy":0.9',
      '"accuracy":1',
    );
    files.set("model.json", enc.encode(text));
    await assert.rejects(r.publish(files), IntegrityError);
    assert.deepEqual(await r.versions(), []);
  });
});

Deno.test("a publish that died before model.json leaves no visible version and can be redone", async () => {
  await withRegistry(async (r) => {
    const files = modelFiles(1);
    const version = (await r.publish(files)).version;
    await r.backend.delete(`models/${version}/model.json`); // as if the process died here
    assert.deepEqual(await r.versions(), []);
    await assert.rejects(r.promote(version), ModelNotFound);
    await r.publish(files);
    assert.deepEqual(await r.versions(), [version]);
  });
});

Deno.test("promote() moves an alias and keeps its history; rollback() goes back", async () => {
  await withRegistry(async (r) => {
    const a = (await r.publish(modelFiles(1))).version;
    const b = (await r.publish(modelFiles(2))).version;
    const c = (await r.publish(modelFiles(3))).version;
    await r.promote(a);
    await r.promote(b);
    const p = await r.promote(c);
    assert.equal(p.version, c);
    assert.deepEqual(p.history.map((h) => h.version), [b, a]);
    assert.deepEqual((await r.list()).find((v) => v.version === c)!.aliases, ["production"]);
    assert.equal((await r.rollback()).version, b);
    assert.equal((await r.rollback()).version, a);
    await assert.rejects(r.rollback(), /no earlier version/);
    await r.promote(b, "staging");
    assert.deepEqual((await r.aliases()).map((x) => x.alias).sort(), ["production", "staging"]);
  });
});

Deno.test("promoting a version that does not exist fails and leaves the alias alone", async () => {
  await withRegistry(async (r) => {
    const a = (await r.publish(modelFiles(1))).version;
    await r.promote(a);
    await assert.rejects(r.promote("20990101T000000Z-deadbeef"), ModelNotFound);
    await assert.rejects(r.promote("latest"), InvalidInput);
    await assert.rejects(r.promote(a, "Prod!"), InvalidInput);
    assert.equal((await r.alias("production"))!.pointer.version, a);
  });
});

Deno.test("two concurrent promotions: exactly one wins, the other gets a clear conflict", async () => {
  await withRegistry(async (r) => {
    const a = (await r.publish(modelFiles(1))).version;
    const b = (await r.publish(modelFiles(2))).version;
    const c = (await r.publish(modelFiles(3))).version;
    await r.promote(a);
    const results = await Promise.allSettled([r.promote(b), r.promote(c)]);
    const won = results.filter((x) => x.status === "fulfilled");
    const lost = results.filter((x) => x.status === "rejected") as PromiseRejectedResult[];
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof ConflictError);
    assert.match(lost[0]!.reason.message, /moved by someone else/);
    const now = (await r.alias("production"))!.pointer;
    assert.deepEqual(now.history.map((h) => h.version), [a]);
  });
});

Deno.test("prune() deletes old unaliased versions and keeps aliased ones and their history", async () => {
  await withRegistry(async (r) => {
    const v = [];
    for (let i = 1; i <= 5; i++) v.push((await r.publish(modelFiles(i))).version);
    await r.promote(v[0]!);
    await r.promote(v[1]!);
    const deleted = await r.prune(1);
    assert.deepEqual(deleted, [v[2]!, v[3]!]);
    assert.deepEqual(await r.versions(), [v[0]!, v[1]!, v[4]!]);
    await assert.rejects(r.prune(-1), InvalidInput);
  });
});
