/**
 * A cached source of the model-signing key: resolved once when it resolves, retried on the next
 * call when it fails (a vault that is briefly unreachable), undefined when signing is not
 * configured.
 * @module
 */
import type { SigningKey } from "../model/signing.ts";
import { resolveSigningKey } from "./signing_key.ts";

/** Returns a function that yields the signing key, or undefined when none is configured. */
export function signingKeyProvider(
  resolve: () => Promise<SigningKey | undefined> = () => resolveSigningKey(),
): () => Promise<SigningKey | undefined> {
  let resolved: Promise<SigningKey | undefined> | undefined;
  return () => {
    resolved ??= resolve().catch((err) => {
      resolved = undefined; // try again next time
      throw err;
    });
    return resolved;
  };
}
