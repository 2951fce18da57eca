/**
 * Model signatures: HMAC-SHA256 over the exact bytes of model.json, with a key kept in Key Vault
 * (or a local key file or variable). The signature travels beside the model as `model.sig`, with
 * the id of the key that made it; a Key Vault key's id names its version
 * (`keyvault:<vault host>/<secret>/<version>`), so a verifier holding the current and the previous
 * versions of the key (a key ring) knows which one to check, and can say clearly when a model
 * was signed by a version it no longer accepts.
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { IntegrityError } from "../errors.ts";
import { sha256Hex } from "./canonical.ts";

/** The signature format tag. */
export const SIGNATURE_FORMAT = "fluxops.signature/v1" as const;

/** `model.sig`. */
export interface ModelSignature {
  readonly format: typeof SIGNATURE_FORMAT;
  readonly alg: "HMAC-SHA256";
  /** Which key signed it (never the key itself). */
  readonly key_id: string;
  /** SHA-256 of the signed model.json bytes. */
  readonly model_sha256: string;
  /** Hex HMAC-SHA256 of the model.json bytes. */
  readonly signature: string;
}

/** A signing key and a name for it that is safe to log. */
export interface SigningKey {
  readonly key: Uint8Array;
  readonly keyId: string;
}

/** Signs model.json bytes. */
export function signModel(modelBytes: Uint8Array, { key, keyId }: SigningKey): ModelSignature {
  return {
    format: SIGNATURE_FORMAT,
    alg: "HMAC-SHA256",
    key_id: keyId,
    model_sha256: sha256Hex(modelBytes),
    signature: createHmac("sha256", key).update(modelBytes).digest("hex"),
  };
}

/** Serialises a signature as model.sig bytes. */
export function encodeSignature(sig: ModelSignature): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(sig, null, 2) + "\n");
}

/** A Key Vault key id split into the secret it names and the version. */
export interface VaultKeyId {
  /** `keyvault:<vault host>/<secret>`. */
  readonly secret: string;
  readonly version: string;
}

/** Splits `keyvault:<vault host>/<secret>/<version>`; undefined for other key ids. */
export function parseVaultKeyId(keyId: string): VaultKeyId | undefined {
  const m = /^(keyvault:[^/\s]+\/[0-9A-Za-z-]+)\/([0-9A-Za-z]+)$/.exec(keyId);
  return m ? { secret: m[1]!, version: m[2]! } : undefined;
}

/**
 * Checks that `sigBytes` is a valid signature of `modelBytes` under `keys`: one key, or a key
 * ring (the current key first, then older versions still accepted). The key whose id the
 * signature names is checked; a signature naming another version of the ring's Key Vault secret
 * is refused without trying the others, naming the versions accepted. Throws an IntegrityError
 * saying what is wrong (missing, unreadable, for other bytes, an old key version, or forged).
 */
export function verifySignature(
  modelBytes: Uint8Array,
  sigBytes: Uint8Array | undefined,
  keys: SigningKey | readonly SigningKey[],
  source = "model",
): ModelSignature {
  const ring: readonly SigningKey[] = Array.isArray(keys) ? keys : [keys as SigningKey];
  if (ring.length === 0) throw new IntegrityError(`${source}: no signing key to verify with`);
  if (!sigBytes) {
    throw new IntegrityError(`${source}: unsigned (no model.sig), and signing is required`);
  }
  let sig: ModelSignature;
  try {
    sig = JSON.parse(new TextDecoder().decode(sigBytes));
  } catch {
    throw new IntegrityError(`${source}: model.sig is not valid JSON`);
  }
  if (
    sig?.format !== SIGNATURE_FORMAT || sig.alg !== "HMAC-SHA256" ||
    typeof sig.signature !== "string"
  ) {
    throw new IntegrityError(
      `${source}: model.sig is not a ${SIGNATURE_FORMAT} HMAC-SHA256 signature`,
    );
  }
  if (sig.model_sha256 !== sha256Hex(modelBytes)) {
    throw new IntegrityError(
      `${source}: model.sig was made for other model bytes (altered model?)`,
    );
  }
  const named = ring.find((k) => k.keyId === sig.key_id);
  const signedBy = typeof sig.key_id === "string" ? parseVaultKeyId(sig.key_id) : undefined;
  const ringIds = ring.map((k) => parseVaultKeyId(k.keyId));
  if (!named && signedBy && ringIds.some((id) => id?.secret === signedBy.secret)) {
    const accepted = ringIds.filter((id) => id?.secret === signedBy.secret)
      .map((id, i) => `${id!.version} (${i === 0 ? "current" : "previous"})`);
    throw new IntegrityError(
      `${source}: signed with version ${signedBy.version} of ${signedBy.secret}, which is no ` +
        `longer accepted (accepted: ${accepted.join(", ")}); publish the model again so it is ` +
        "signed with the current key",
    );
  }
  const given = /^[0-9a-f]{64}$/.test(sig.signature)
    ? Uint8Array.fromHex(sig.signature)
    : new Uint8Array(0);
  // The named key only; a signature from another source (a key file, the environment) is
  // checked against each key of the ring: a match proves the same key bytes signed it.
  for (const { key } of named ? [named] : ring) {
    const expected = createHmac("sha256", key).update(modelBytes).digest();
    if (given.length === expected.length && timingSafeEqual(given, expected)) return sig;
  }
  throw new IntegrityError(
    `${source}: signature does not match (signed with another key, or forged)`,
  );
}
