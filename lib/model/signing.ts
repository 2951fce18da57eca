/**
 * Model signatures: HMAC-SHA256 over the exact bytes of model.json, with a key kept in Key Vault
 * (or a local key file or variable). The signature travels beside the model as `model.sig`.
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

/**
 * Checks that `sigBytes` is a valid signature of `modelBytes` under `key`; throws an
 * IntegrityError saying what is wrong (missing, unreadable, for other bytes, or forged).
 */
export function verifySignature(
  modelBytes: Uint8Array,
  sigBytes: Uint8Array | undefined,
  { key }: SigningKey,
  source = "model",
): ModelSignature {
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
  const expected = createHmac("sha256", key).update(modelBytes).digest();
  const given = /^[0-9a-f]{64}$/.test(sig.signature)
    ? Uint8Array.fromHex(sig.signature)
    : new Uint8Array(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new IntegrityError(
      `${source}: signature does not match (signed with another key, or forged)`,
    );
  }
  return sig;
}
