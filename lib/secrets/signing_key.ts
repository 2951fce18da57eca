/**
 * Finds the model-signing key: a Key Vault secret when a vault is configured, else a key file,
 * else an environment variable, else none (signing not configured). The key is only ever
 * returned, never logged or put in a message; its `keyId` says where it came from.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { InvalidInput } from "../errors.ts";
import type { SigningKey } from "../model/signing.ts";
import type { KeyVaultOptions } from "./key_vault.ts";
import { SecretError } from "./secret_error.ts";

/** The fewest bytes a signing key may have (HMAC-SHA256 wants 32; 16 is the floor). */
export const MIN_SIGNING_KEY_BYTES = 16;

/** The secret's name in the vault when `FLUXOPS_SIGNING_SECRET` is not set. */
export const DEFAULT_SIGNING_SECRET = "model-signing-key";

/**
 * How many versions of a Key Vault signing key a verifier accepts: the current and the previous,
 * so models signed before a rotation (the one `model rollback` returns to) still load.
 */
export const ACCEPTED_KEY_VERSIONS = 2;

/** Options of {@link resolveSigningKey}. */
export interface SigningKeyOptions {
  /** Reads a setting. Default: `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
  /** Options for the Key Vault read (credential, retries, timeout). */
  readonly keyVault?: KeyVaultOptions;
  /**
   * Versions of a Key Vault key to read, newest first (verifiers: {@link ACCEPTED_KEY_VERSIONS}).
   * Default 1: the current key, which is what signs.
   */
  readonly versions?: number;
}

function toKey(text: string, source: string): Uint8Array {
  const key = new TextEncoder().encode(text.trim());
  if (key.byteLength < MIN_SIGNING_KEY_BYTES) {
    throw new SecretError(
      "bad_secret",
      `the signing key from ${source} is ${key.byteLength === 0 ? "empty" : "too short"} ` +
        `(at least ${MIN_SIGNING_KEY_BYTES} bytes after trimming; 32 random bytes recommended)`,
    );
  }
  return key;
}

/**
 * Resolves the model-signing key from the environment:
 *
 * 1. `FLUXOPS_KEY_VAULT_URI` (+ `FLUXOPS_SIGNING_SECRET`, default `model-signing-key`): the
 *    latest version of that Key Vault secret, read with `DefaultAzureCredential`;
 * 2. else `FLUXOPS_SIGNING_KEY_FILE`: the file's contents, trimmed;
 * 3. else `FLUXOPS_SIGNING_KEY`: the variable's value, trimmed;
 * 4. else `undefined`: signing is not configured.
 *
 * The key is the UTF-8 bytes of the trimmed secret; `keyId` (safe to log and to record beside a
 * signature) is `keyvault:<vault host>/<secret name>/<version>`, `file:<absolute path>` or `env`.
 *
 * Empty variables count as unset.
 *
 * @throws {SecretError} when the configured source cannot be read or holds an unusable key.
 * @throws {InvalidInput} for a malformed vault URL, or a secret name without a vault.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSigningKey } from "./signing_key.ts";
 * // Default: Deno.env.get; FLUXOPS_KEY_VAULT_URI there reads the key from Key Vault.
 * const env: Record<string, string> = { FLUXOPS_SIGNING_KEY: "a key of at least 16 bytes" };
 * const signing = await resolveSigningKey({ env: (name) => env[name] });
 * if (signing) console.log(`signing with ${signing.keyId}`);
 * assert.equal(signing?.keyId, "env");
 * ```
 */
export async function resolveSigningKey(
  options: SigningKeyOptions = {},
): Promise<SigningKey | undefined> {
  return (await resolveSigningKeys({ ...options, versions: 1 }))?.[0];
}

/**
 * The keys a verifier accepts, the current first: for a Key Vault key its `versions` newest
 * enabled versions (default {@link ACCEPTED_KEY_VERSIONS}), for a key file or variable that one
 * key; undefined when signing is not configured. Sources as {@link resolveSigningKey}.
 *
 * @throws {SecretError} when the configured source cannot be read or holds an unusable key.
 * @throws {InvalidInput} for a malformed vault URL, or a secret name without a vault.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSigningKeys } from "./signing_key.ts";
 * // With FLUXOPS_KEY_VAULT_URI set: [current, previous] from Key Vault; nothing set: undefined.
 * const ring = await resolveSigningKeys({ env: () => undefined });
 * assert.equal(ring, undefined);
 * ```
 */
export async function resolveSigningKeys(
  {
    env = (name) => Deno.env.get(name),
    keyVault = {},
    versions = ACCEPTED_KEY_VERSIONS,
  }: SigningKeyOptions = {},
): Promise<SigningKey[] | undefined> {
  const setting = (name: string) => {
    const value = env(name)?.trim();
    return value ? value : undefined;
  };
  const vaultUri = setting("FLUXOPS_KEY_VAULT_URI");
  const secretName = setting("FLUXOPS_SIGNING_SECRET");
  if (vaultUri) {
    // Loaded only when a vault is configured: the Azure SDK adds ~250 ms to a cold start.
    const { parseVaultUrl, readSecretVersions } = await import("./key_vault.ts");
    const url = parseVaultUrl(vaultUri);
    const name = secretName ?? DEFAULT_SIGNING_SECRET;
    const secrets = await readSecretVersions(url.href, name, versions, keyVault);
    return secrets.flatMap((secret, i) => {
      const keyId = `keyvault:${url.host}/${secret.name}/${secret.version}`;
      try {
        return [{ key: toKey(secret.value, `Key Vault ${url.origin} secret "${name}"`), keyId }];
      } catch (err) {
        // An unusable older version only narrows what is accepted; the current one must work.
        if (i > 0 && err instanceof SecretError) return [];
        throw err;
      }
    });
  }
  if (secretName) {
    throw new InvalidInput(
      "FLUXOPS_SIGNING_SECRET is set but FLUXOPS_KEY_VAULT_URI is not: set the vault URL " +
        "(or unset FLUXOPS_SIGNING_SECRET to use a key file or FLUXOPS_SIGNING_KEY)",
    );
  }
  const file = setting("FLUXOPS_SIGNING_KEY_FILE");
  if (file) {
    const path = isAbsolute(file) ? file : resolve(file);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new SecretError("secret_not_found", `signing key file ${path} does not exist`);
      }
      throw new SecretError(
        "bad_secret",
        `signing key file ${path} cannot be read (${err instanceof Error ? err.name : "error"})`,
      );
    }
    return [{ key: toKey(text, `file ${path}`), keyId: `file:${path}` }];
  }
  const fromEnv = env("FLUXOPS_SIGNING_KEY");
  if (fromEnv !== undefined && fromEnv !== "") {
    return [{ key: toKey(fromEnv, "FLUXOPS_SIGNING_KEY"), keyId: "env" }];
  }
  return undefined;
}
