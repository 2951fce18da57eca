import assert from "node:assert/strict";
import { ModelHolder } from "../../../function/serving/model_holder.ts";
import { smallModel } from "../../support/models.ts";

Deno.test("ModelHolder keeps the good model when a later load fails", async () => {
  const holder = new ModelHolder();
  const good = smallModel();
  assert.equal(await holder.load(() => Promise.resolve(good)), true);
  const ok = await holder.load(() => Promise.reject(new Error("checksum mismatch")));
  assert.equal(ok, false);
  assert.equal(holder.served?.model, good);
  assert.equal(holder.state().lastError, "checksum mismatch");
});

Deno.test("ModelHolder serves nothing and says why before any model loads", async () => {
  const holder = new ModelHolder();
  await holder.load(() => Promise.reject("store down"));
  assert.equal(holder.served, undefined);
  assert.equal(holder.state().lastError, "store down");
  holder.set(smallModel());
  assert.equal(holder.state().lastError, undefined);
  assert.ok(holder.state().loadedAt instanceof Date);
});

Deno.test("ModelHolder tells its subscribers of each model and each failed load until they stop", () => {
  const holder = new ModelHolder();
  const seen: string[] = [];
  const stop = holder.subscribe((c) =>
    seen.push(c.kind === "model" ? c.model.artifact.version : `failed: ${c.reason}`)
  );
  const model = smallModel({ seed: 1 });
  holder.set(model);
  holder.fail("corrupt blob");
  stop();
  holder.set(model);
  assert.deepEqual(seen, [model.artifact.version, "failed: corrupt blob"]);
});
