import assert from "node:assert/strict";
import { IntegrityError } from "../../../lib/errors.ts";
import {
  encodeSignature,
  parseVaultKeyId,
  signModel,
  verifySignature,
} from "../../../lib/model/signing.ts";

const key = { key: new TextEncoder().encode("k".repeat(32)), keyId: "test" };
const other = { key: new TextEncoder().encode("o".repeat(32)), keyId: "other" };
const model = new TextEncoder().encode('{"format":"fluxops.model/v1"}');

Deno.test("a signed model verifies with the same key", () => {
  const sig = signModel(model, key);
  assert.equal(sig.key_id, "test");
  assert.equal(verifySignature(model, encodeSignature(sig), key).signature, sig.signature);
  assert.ok(!JSON.stringify(sig).includes("kkkk"));
});

const sig = encodeSignature(signModel(model, key));
const bad: [string, Uint8Array, Uint8Array | undefined, typeof key, RegExp][] = [
  ["is unsigned", model, undefined, key, /unsigned/],
  ["has a garbled signature file", model, new TextEncoder().encode("{"), key, /not valid JSON/],
  [
    "has a signature of another format",
    model,
    new TextEncoder().encode("{}"),
    key,
    /not a fluxops.signature/,
  ],
  [
    "was altered after signing",
    new TextEncoder().encode('{"format":"x"}'),
    sig,
    key,
    /other model bytes/,
  ],
  ["was signed with another key", model, sig, other, /does not match/],
  [
    "carries a forged signature",
    model,
    encodeSignature({ ...signModel(model, key), signature: "0".repeat(64) }),
    key,
    /does not match/,
  ],
];
for (const [what, bytes, sigBytes, k, message] of bad) {
  Deno.test(`verifySignature() refuses a model that ${what}`, () => {
    assert.throws(() => verifySignature(bytes, sigBytes, k), (err: unknown) => {
      assert.ok(err instanceof IntegrityError);
      assert.match(err.message, message);
      return true;
    });
  });
}

const VAULT = "keyvault:kv.vault.azure.net/model-signing-key";
const versionKey = (v: string, fill: string) => ({
  key: new TextEncoder().encode(fill.repeat(32)),
  keyId: `${VAULT}/${v}`,
});
const v1 = versionKey("a1", "1");
const v2 = versionKey("b2", "2");
const v3 = versionKey("c3", "3");
/** The ring after two rotations: current v3, previous v2. */
const ring = [v3, v2];

Deno.test("verifySignature() with a key ring accepts the current and the previous key version (table)", () => {
  const cases: [string, typeof key][] = [["current", v3], ["previous", v2]];
  for (const [what, signer] of cases) {
    const s = verifySignature(model, encodeSignature(signModel(model, signer)), ring, "m");
    assert.equal(s.key_id, signer.keyId, what);
  }
  // A key from another source (a key file) with the same bytes as a ring key also verifies.
  const fromFile = { key: v2.key, keyId: "file:/keys/signing.key" };
  assert.ok(verifySignature(model, encodeSignature(signModel(model, fromFile)), ring));
});

Deno.test("verifySignature() refuses a model signed by an older key version, naming the versions it accepts", () => {
  assert.throws(
    () => verifySignature(model, encodeSignature(signModel(model, v1)), ring, "20261202T1200Z-ab"),
    (err: unknown) => {
      assert.ok(err instanceof IntegrityError);
      assert.equal(
        err.message,
        `20261202T1200Z-ab: signed with version a1 of ${VAULT}, which is no longer accepted ` +
          "(accepted: c3 (current), b2 (previous)); publish the model again so it is signed " +
          "with the current key",
      );
      return true;
    },
  );
  // A signature that names the current version but was made with other bytes is forged.
  const forged = encodeSignature({ ...signModel(model, v1), key_id: v3.keyId });
  assert.throws(() => verifySignature(model, forged, ring), /signature does not match/);
  assert.throws(
    () => verifySignature(model, encodeSignature(signModel(model, v1)), []),
    /no signing key/,
  );
});

Deno.test("parseVaultKeyId() splits Key Vault key ids and leaves others alone (table)", () => {
  const cases: [string, ReturnType<typeof parseVaultKeyId>][] = [
    [`${VAULT}/0123abcd`, { secret: VAULT, version: "0123abcd" }],
    ["keyvault:127.0.0.1:8443/model-signing-key/ff", {
      secret: "keyvault:127.0.0.1:8443/model-signing-key",
      version: "ff",
    }],
    ["env", undefined],
    ["file:/keys/a/b/c", undefined],
    [`${VAULT}`, undefined],
    [`${VAULT}/v1/extra`, undefined],
  ];
  for (const [id, expected] of cases) assert.deepEqual(parseVaultKeyId(id), expected, id);
});
