/**
 * Driver for the Key Vault tests: reads a secret (`read <vault> <name> [version]`), resolves
 * the signing key from the environment (`signing`) the way the trainer and function do, or the
 * verifier's key ring (`ring`: current and previous versions), with
 * DefaultAzureCredential, and prints a JSON result with the value's SHA-256 (never the value).
 * Run in its own process so NODE_EXTRA_CA_CERTS and IDENTITY_* apply from the start.
 * @module
 */
import { FluxError } from "../../../lib/errors.ts";
import { readSecret } from "../../../lib/secrets/key_vault.ts";
import { SecretError } from "../../../lib/secrets/secret_error.ts";
import { resolveSigningKey, resolveSigningKeys } from "../../../lib/secrets/signing_key.ts";

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The wait for a role to take effect comes from FLUXOPS_RBAC_WAIT_SECONDS, as in production.
const fast = { maxRetries: 1, retryDelayMs: 50, timeoutMs: 20_000, rbacDelayMs: 200 };
const [command, vault = "", name = "", version] = Deno.args;
// The operation's own time (the process start is not part of it): tests bound this one.
const started = performance.now();
const print = (result: Record<string, unknown>) =>
  console.log(JSON.stringify({ ...result, ms: Math.round(performance.now() - started) }));
try {
  if (command === "read") {
    const secret = await readSecret(vault, name, { ...fast, ...(version ? { version } : {}) });
    print({
      ok: true,
      name: secret.name,
      version: secret.version,
      vaultUrl: secret.vaultUrl,
      sha256: await sha256(new TextEncoder().encode(secret.value)),
    });
  } else if (command === "signing") {
    const signing = await resolveSigningKey({ keyVault: fast });
    print(
      signing
        ? { ok: true, keyId: signing.keyId, sha256: await sha256(signing.key) }
        : { ok: true, none: true },
    );
  } else if (command === "ring") {
    const ring = await resolveSigningKeys({ keyVault: fast });
    const keys = [];
    for (const k of ring ?? []) keys.push({ keyId: k.keyId, sha256: await sha256(k.key) });
    print({ ok: true, keys });
  } else {
    throw new Error(`unknown command ${command}`);
  }
} catch (err) {
  const e = err instanceof FluxError ? err : new FluxError("store_error", String(err));
  print({
    ok: false,
    name: e.name,
    code: e.code,
    reason: e instanceof SecretError ? e.reason : null,
    message: e.message,
  });
}
