import assert from "node:assert/strict";
import { IntegrityError } from "../../../lib/errors.ts";
import { encodeSignature, type SigningKey, signModel } from "../../../lib/model/signing.ts";
import { modelVerifier } from "../../../lib/secrets/key_provider.ts";

const VAULT = "keyvault:kv.vault.azure.net/model-signing-key";
const key = (v: string): SigningKey => ({
  key: new TextEncoder().encode(`${v}-`.repeat(16)),
  keyId: `${VAULT}/${v}`,
});
const model = new TextEncoder().encode('{"format":"fluxops.model/v1"}');
const signed = (k: SigningKey) => encodeSignature(signModel(model, k));

/** A vault whose ring is whatever `rings[reads]` is, counting reads. */
function vault(rings: (SigningKey[] | undefined)[]) {
  const state = { reads: 0, clock: 0 };
  const verify = modelVerifier({
    resolve: () => Promise.resolve(rings[Math.min(state.reads++, rings.length - 1)]),
    refreshMs: 60_000,
    now: () => state.clock,
  });
  return { state, verify };
}

Deno.test("modelVerifier() reads the ring once and accepts current and previous versions", async () => {
  const { state, verify } = vault([[key("v2"), key("v1")]]);
  assert.equal((await verify(model, signed(key("v2")), "m"))?.key_id, `${VAULT}/v2`);
  assert.equal((await verify(model, signed(key("v1")), "m"))?.key_id, `${VAULT}/v1`);
  assert.equal(state.reads, 1);
});

Deno.test("modelVerifier() re-reads the ring for a newer key version after a rotation, at most once per minute", async () => {
  const { state, verify } = vault([[key("v2"), key("v1")], [key("v3"), key("v2")]]);
  assert.ok(await verify(model, signed(key("v2")), "m"));
  // The key was rotated to v3 right after the ring was read: too soon to read it again.
  await assert.rejects(verify(model, signed(key("v3")), "m"), /no longer accepted/);
  assert.equal(state.reads, 1);
  state.clock += 60_000;
  assert.equal((await verify(model, signed(key("v3")), "m"))?.key_id, `${VAULT}/v3`);
  assert.equal(state.reads, 2);
  // v1 is now two rotations old: refused, and a known secret's old version causes no re-read
  // sooner than a minute after the last.
  await assert.rejects(verify(model, signed(key("v1")), "m"), (err: unknown) => {
    assert.ok(err instanceof IntegrityError);
    assert.match(err.message, /version v1 .*\(accepted: v3 \(current\), v2 \(previous\)\)/);
    return true;
  });
  assert.equal(state.reads, 2);
});

Deno.test("modelVerifier() checks nothing when signing is not configured, and retries a failed read", async () => {
  assert.equal(await vault([undefined]).verify(model, undefined, "m"), undefined);
  let calls = 0;
  const verify = modelVerifier({
    resolve: () => {
      calls++;
      return calls === 1
        ? Promise.reject(new Error("vault unreachable"))
        : Promise.resolve([key("v1")]);
    },
  });
  await assert.rejects(verify(model, signed(key("v1")), "m"), /vault unreachable/);
  assert.ok(await verify(model, signed(key("v1")), "m"));
  assert.equal(calls, 2);
});
