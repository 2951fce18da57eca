/**
 * Reads a secret from Azure Key Vault with `@azure/keyvault-secrets` and
 * `DefaultAzureCredential` (or a given credential). Failures become a {@link SecretError} whose
 * message names the vault and the secret, never the value.
 * @module
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { InvalidInput } from "../errors.ts";
import { azureErrorFacts } from "../net/azure_error.ts";
import { isLoopbackHost } from "../net/loopback.ts";
import { RoleNotEffective, waitForRole } from "../net/role_propagation.ts";
import { redactSecrets } from "./redact.ts";
import { SecretError } from "./secret_error.ts";

/** Options of {@link readSecret}. */
export interface KeyVaultOptions {
  /** The credential. Default: a new `DefaultAzureCredential`. */
  readonly credential?: TokenCredential;
  /** A specific version of the secret. Default: the latest. */
  readonly version?: string;
  /**
   * Skip the check that the vault's authentication challenge names a Key Vault resource on the
   * vault's own domain. A local stand-in cannot pass it, so it is skipped by default for a
   * loopback vault, and may not be skipped for any other.
   */
  readonly disableChallengeResourceVerification?: boolean;
  /** Retries after the first attempt. Default 2. */
  readonly maxRetries?: number;
  /** Base delay between retries, in ms. Default 500. */
  readonly retryDelayMs?: number;
  /** Longest time one attempt of the read may take, in ms. Default 30 000. */
  readonly timeoutMs?: number;
  /**
   * Longest wait for a new role assignment to take effect (403 `ForbiddenByRbac` meanwhile), in
   * ms. Default `FLUXOPS_RBAC_WAIT_SECONDS`, else 5 min (see `lib/net/role_propagation.ts`).
   */
  readonly rbacWaitMs?: number;
  /** First delay between attempts while waiting for the role, in ms. Default 1 000. */
  readonly rbacDelayMs?: number;
  /** Where the wait for a role is reported. Default `console.error`. */
  readonly log?: (line: string) => void;
}

/** A secret read from a vault. */
export interface VaultSecret {
  readonly value: string;
  readonly name: string;
  readonly version: string;
  /** The vault's URL, normalised (`https://<vault>.vault.azure.net`). */
  readonly vaultUrl: string;
}

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** Checks and normalises a vault URL: https, no path, query or user info. */
export function parseVaultUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InvalidInput(`Key Vault URL "${text.replace(/[?#].*$/s, "")}": not a valid URL`);
  }
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol !== "https:") {
    throw new InvalidInput(`Key Vault URL "${shown}": must use https://`);
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    throw new InvalidInput(
      `Key Vault URL "${shown}": expected https://<vault>.vault.azure.net with nothing after ` +
        "the host",
    );
  }
  return url;
}

/**
 * Reads secret `name` from the vault at `vaultUrl`.
 *
 * @throws {InvalidInput} for a malformed vault URL or secret name.
 * @throws {SecretError} `secret_not_found`, `vault_unreachable`, `access_denied` or
 *   `credential_failed`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSecret } from "./key_vault.ts";
 * import { SecretError } from "./secret_error.ts";
 * // On Azure: readSecret("https://fluxops-kv.vault.azure.net", "model-signing-key"), with the
 * // managed identity. Here a vault nobody listens at, to show the typed error.
 * const credential = {
 *   getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }),
 * };
 * await assert.rejects(
 *   readSecret("https://127.0.0.1:9", "model-signing-key", { credential, maxRetries: 0 }),
 *   (e) => e instanceof SecretError && e.reason === "vault_unreachable",
 * ); // and of a secret read, log secret.version, never secret.value
 * ```
 */
export async function readSecret(
  vaultUrl: string,
  name: string,
  options: KeyVaultOptions = {},
): Promise<VaultSecret> {
  const { vault, client, run } = openVault(vaultUrl, name, options);
  const { version } = options;
  const what = `secret "${name}"${version ? ` version ${version}` : ""} in Key Vault ${vault}`;
  return await run(what, async (abortSignal) => {
    const secret = await client.getSecret(name, { abortSignal, ...(version ? { version } : {}) });
    return toVaultSecret(secret, vault, what);
  });
}

/** What {@link openVault} gives a read: the client and a runner with timeout, wait and errors. */
interface OpenVault {
  readonly vault: string;
  readonly client: SecretClient;
  run<T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/** Checks the URL and name, makes the client, and wraps reads in timeout, role wait and errors. */
function openVault(
  vaultUrl: string,
  name: string,
  {
    credential,
    disableChallengeResourceVerification,
    maxRetries = 2,
    retryDelayMs = 500,
    timeoutMs = 30_000,
    rbacWaitMs,
    rbacDelayMs,
    log,
  }: KeyVaultOptions,
): OpenVault {
  const url = parseVaultUrl(vaultUrl);
  const vault = url.origin;
  if (!SECRET_NAME.test(name)) {
    throw new InvalidInput(
      `secret name "${name}": expected 1-127 letters, digits and hyphens (vault ${vault})`,
    );
  }
  const loopback = isLoopbackHost(url.hostname);
  if (disableChallengeResourceVerification && !loopback) {
    throw new InvalidInput(
      `Key Vault ${vault}: disableChallengeResourceVerification is only allowed for a ` +
        "loopback vault (a local stand-in)",
    );
  }
  const client = new SecretClient(vault, credential ?? new DefaultAzureCredential(), {
    disableChallengeResourceVerification: disableChallengeResourceVerification ?? loopback,
    retryOptions: { maxRetries, retryDelayInMs: retryDelayMs, maxRetryDelayInMs: 4 * retryDelayMs },
  });
  const run = async <T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const attempt = async (): Promise<T> => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        return await op(controller.signal);
      } catch (err) {
        if (controller.signal.aborted && !(err instanceof SecretError)) {
          throw new SecretError("vault_unreachable", `${what}: no answer within ${timeoutMs} ms`);
        }
        throw err;
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      return await waitForRole(attempt, `Key Vault ${vault} (secret "${name}")`, {
        ...(rbacWaitMs === undefined ? {} : { waitMs: rbacWaitMs }),
        ...(rbacDelayMs === undefined ? {} : { delayMs: rbacDelayMs }),
        ...(log === undefined ? {} : { log }),
      });
    } catch (err) {
      if (err instanceof SecretError) throw err;
      throw failure(err, what);
    }
  };
  return { vault, client, run };
}

function toVaultSecret(
  secret: { value?: string | undefined; name: string; properties: { version?: string } },
  vault: string,
  what: string,
): VaultSecret {
  if (secret.value === undefined) throw new SecretError("bad_secret", `${what} has no value`);
  return {
    value: secret.value,
    name: secret.name,
    version: secret.properties.version ?? "",
    vaultUrl: vault,
  };
}

/**
 * Reads the `count` newest enabled versions of secret `name`, the current (latest) first: what a
 * verifier accepts while a key rotates. The current version is the one a plain read returns;
 * the others are ordered by their creation time (Key Vault lists versions in no set order).
 *
 * @throws {InvalidInput} for a malformed vault URL, secret name or count.
 * @throws {SecretError} as {@link readSecret}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidInput } from "../errors.ts";
 * import { readSecretVersions } from "./key_vault.ts";
 * // On Azure: const [current, previous] = await readSecretVersions(vault, "model-signing-key", 2);
 * // here a count that is refused before any request.
 * await assert.rejects(
 *   readSecretVersions("https://kv.vault.azure.net", "model-signing-key", 0),
 *   InvalidInput,
 * );
 * ```
 */
export async function readSecretVersions(
  vaultUrl: string,
  name: string,
  count: number,
  options: KeyVaultOptions = {},
): Promise<VaultSecret[]> {
  if (!Number.isInteger(count) || count < 1) {
    throw new InvalidInput(`versions of secret "${name}": count must be an integer >= 1`);
  }
  // One client, so one token and one challenge for all the reads.
  const { vault, client, run } = openVault(vaultUrl, name, options);
  const read = (version?: string) => {
    const what = `secret "${name}"${version ? ` version ${version}` : ""} in Key Vault ${vault}`;
    return run(what, async (abortSignal) =>
      toVaultSecret(
        await client.getSecret(name, { abortSignal, ...(version ? { version } : {}) }),
        vault,
        what,
      ));
  };
  const current = await read();
  if (count === 1) return [current];
  const others = await run(
    `the versions of secret "${name}" in Key Vault ${vault}`,
    async (abortSignal) => {
      const found: { version: string; created: number }[] = [];
      for await (const p of client.listPropertiesOfSecretVersions(name, { abortSignal })) {
        if (p.enabled === false || !p.version || p.version === current.version) continue;
        found.push({ version: p.version, created: p.createdOn?.getTime() ?? 0 });
      }
      return found.sort((a, b) => b.created - a.created).slice(0, count - 1);
    },
  );
  const older: VaultSecret[] = [];
  for (const { version } of others) older.push(await read(version));
  return [current, ...older];
}

function failure(thrown: unknown, what: string): SecretError {
  const waited = thrown instanceof RoleNotEffective ? thrown : undefined;
  const err = waited ? waited.cause : thrown;
  const facts = azureErrorFacts(err);
  const { name, status, code, message } = facts;
  const detail = (text: string) => redactSecrets(`${what}: ${text}`);
  if (status === 404) {
    return new SecretError("secret_not_found", detail(`not found (${code ?? "HTTP 404"})`));
  }
  if (status === 401 || status === 403) {
    return new SecretError(
      "access_denied",
      detail(
        `access denied (HTTP ${status}${code ? ` ${code}` : ""}${
          waited ? `, still after waiting ${Math.round(waited.waitedMs / 1000)} s` : ""
        }); the identity needs the "Key Vault Secrets User" role on the vault`,
      ),
    );
  }
  if (facts.credential) {
    return new SecretError(
      "credential_failed",
      detail(`could not get an access token (${name}: ${message})`),
    );
  }
  if (facts.network) {
    return new SecretError("vault_unreachable", detail(`cannot reach the vault (${code})`));
  }
  if (facts.tls) {
    return new SecretError(
      "vault_unreachable",
      detail(
        `the vault's TLS certificate is not trusted (${code || message}); for a private CA, ` +
          "start the process with NODE_EXTRA_CA_CERTS",
      ),
    );
  }
  if (status !== undefined) {
    return new SecretError("vault_unreachable", detail(`HTTP ${status}${code ? ` ${code}` : ""}`));
  }
  return new SecretError("vault_unreachable", detail(`${name}: ${message}`));
}
