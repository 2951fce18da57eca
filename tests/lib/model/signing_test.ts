import assert from "node:assert/strict";
import { IntegrityError } from "../../../lib/errors.ts";
import { encodeSignature, signModel, verifySignature } from "../../../lib/model/signing.ts";

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
