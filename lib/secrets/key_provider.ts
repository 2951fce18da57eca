/**
 * Cached sources of model-signing keys: resolved once when they resolve, retried on the next call
 * when they fail (a vault that is briefly unreachable), undefined when signing is not configured.
 * The verifier's key ring (current and previous Key Vault versions) is read again when a model
 * names a key version the ring does not hold, at most once a minute: after a rotation a running
 * function then accepts models signed with the new key without a restart.
 * @module
 */
import { IntegrityError } from "../errors.ts";
import { type ModelSignature, parseVaultKeyId, type SigningKey } from "../model/signing.ts";
import { verifySignature } from "../model/signing.ts";
import { resolveSigningKey, resolveSigningKeys } from "./signing_key.ts";

/** Caches a successful resolution; a failed one is tried again on the next call. */
function cached<T>(resolve: () => Promise<T>): () => Promise<T> {
  let resolved: Promise<T> | undefined;
  return () => {
    resolved ??= resolve().catch((err) => {
      resolved = undefined; // try again next time
      throw err;
    });
    return resolved;
  };
}

/** Returns a function that yields the signing key, or undefined when none is configured. */
export function signingKeyProvider(
  resolve: () => Promise<SigningKey | undefined> = () => resolveSigningKey(),
): () => Promise<SigningKey | undefined> {
  return cached(resolve);
}

/** Options of {@link modelVerifier}. */
export interface ModelVerifierOptions {
  /** Reads the key ring, current key first. Default {@link resolveSigningKeys}. */
  readonly resolve?: () => Promise<readonly SigningKey[] | undefined>;
  /** Least time between two reads of the ring caused by unknown key versions, in ms. Default 60 s. */
  readonly refreshMs?: number;
  /** The clock. */
  readonly now?: () => number;
}

/** Checks a model's bytes against its `model.sig`; throws an IntegrityError if not acceptable. */
export type ModelVerify = (
  bytes: Uint8Array,
  sig: Uint8Array | undefined,
  source: string,
) => Promise<ModelSignature | undefined>;

function signedKeyId(sig: Uint8Array | undefined): string | undefined {
  if (!sig) return undefined;
  try {
    const id = (JSON.parse(new TextDecoder().decode(sig)) as { key_id?: unknown }).key_id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A verifier for the function: models must be signed by a key of the ring (the current or the
 * previous version of the Key Vault key, or the one key file or variable). Resolves `undefined`
 * (nothing checked) when signing is not configured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSignature, signModel } from "../model/signing.ts";
 * import { modelVerifier } from "./key_provider.ts";
 * const key = { key: new TextEncoder().encode("a key of at least 16 bytes"), keyId: "env" };
 * // Default: the key ring from Key Vault or FLUXOPS_SIGNING_KEY(_FILE), as the function reads it.
 * const verify = modelVerifier({ resolve: () => Promise.resolve([key]) });
 * const modelBytes = new TextEncoder().encode('{"format":"fluxops.model/v1"}');
 * const sigBytes = encodeSignature(signModel(modelBytes, key));
 * await verify(modelBytes, sigBytes, "models/v3"); // throws IntegrityError if not acceptable
 * await assert.rejects(verify(new Uint8Array([1]), sigBytes, "models/v4"));
 * ```
 */
export function modelVerifier(
  {
    resolve = () => resolveSigningKeys(),
    refreshMs = 60_000,
    now = () => Date.now(),
  }: ModelVerifierOptions = {},
): ModelVerify {
  interface Ring {
    readonly keys: readonly SigningKey[];
    /** When it was read. */
    readonly read: number;
  }
  const readRing = async (): Promise<Ring | undefined> => {
    const keys = await resolve();
    return keys === undefined ? undefined : { keys, read: now() };
  };
  let ring = cached(readRing);
  return async (bytes, sig, source) => {
    const held = await ring();
    if (!held) return undefined;
    try {
      return verifySignature(bytes, sig, held.keys, source);
    } catch (err) {
      // A version the ring does not hold may be newer than the ring (the key was rotated since
      // it was read): read the ring again, at most once per refreshMs, and check once more.
      const id = parseVaultKeyId(signedKeyId(sig) ?? "");
      const unknown = id !== undefined &&
        !held.keys.some((k) => k.keyId === `${id.secret}/${id.version}`);
      if (!(err instanceof IntegrityError) || !unknown || now() - held.read < refreshMs) throw err;
      ring = cached(readRing);
      const renewed = await ring();
      if (!renewed) return undefined;
      return verifySignature(bytes, sig, renewed.keys, source);
    }
  };
}
