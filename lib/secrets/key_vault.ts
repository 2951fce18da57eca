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
  /** Longest time the whole read may take, in ms. Default 30 000. */
  readonly timeoutMs?: number;
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
 * const secret = await readSecret("https://fluxops-kv.vault.azure.net", "model-signing-key");
 * console.log(secret.version); // never log secret.value
 * ```
 */
export async function readSecret(
  vaultUrl: string,
  name: string,
  {
    credential,
    version,
    disableChallengeResourceVerification,
    maxRetries = 2,
    retryDelayMs = 500,
    timeoutMs = 30_000,
  }: KeyVaultOptions = {},
): Promise<VaultSecret> {
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
  const what = `secret "${name}"${version ? ` version ${version}` : ""} in Key Vault ${vault}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const secret = await client.getSecret(name, {
      abortSignal: controller.signal,
      ...(version ? { version } : {}),
    });
    if (secret.value === undefined) {
      throw new SecretError("bad_secret", `${what} has no value`);
    }
    return {
      value: secret.value,
      name: secret.name,
      version: secret.properties.version ?? "",
      vaultUrl: vault,
    };
  } catch (err) {
    if (err instanceof SecretError) throw err;
    if (controller.signal.aborted) {
      throw new SecretError("vault_unreachable", `${what}: no answer within ${timeoutMs} ms`);
    }
    throw failure(err, what);
  } finally {
    clearTimeout(timer);
  }
}

function failure(err: unknown, what: string): SecretError {
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
        `access denied (HTTP ${status}${code ? ` ${code}` : ""}); the identity needs the ` +
          '"Key Vault Secrets User" role on the vault',
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
