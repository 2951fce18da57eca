import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidInput } from "../../../lib/errors.ts";
import { parseVaultUrl, readSecret } from "../../../lib/secrets/key_vault.ts";
import { SecretError } from "../../../lib/secrets/secret_error.ts";
import { runDriver } from "../../support/driver.ts";
import { type KeyVaultServer, startKeyVaultServer } from "../../../tasks/local/key_vault_server.ts";
import { needsTool } from "../../support/python.ts";
import { sha256Hex } from "../../support/sha256.ts";
import { freePort } from "../../support/server.ts";
import { hasOpenssl, makeTls, type TlsFiles } from "../../../tasks/local/tls.ts";
import { startTokenServer, type TokenServer } from "../../../tasks/local/token_server.ts";

const DRIVER = join(import.meta.dirname!, "key_vault_driver.ts");
const SECRET = "kv-test-signing-key-0123456789abcdef";

interface DriverResult {
  ok: boolean;
  name?: string;
  version?: string;
  vaultUrl?: string;
  sha256?: string;
  code?: string;
  reason?: string | null;
  message?: string;
}

interface Setup {
  tls: TlsFiles;
  tokens: TokenServer;
  vault: KeyVaultServer;
  /** The environment of a process on Azure with a managed identity that trusts the vault. */
  env: Record<string, string>;
}

const openssl = hasOpenssl();

function vaultTest(name: string, fn: (s: Setup) => Promise<void>): void {
  Deno.test({
    name,
    ...needsTool(openssl, "openssl (for the HTTPS Key Vault stand-in)"),
    async fn() {
      const tls = await makeTls();
      const tokens = startTokenServer();
      const vault = await startKeyVaultServer({ cert: tls.cert, key: tls.key });
      try {
        await fn({
          tls,
          tokens,
          vault,
          env: { NODE_EXTRA_CA_CERTS: tls.caCert, ...tokens.env() },
        });
      } finally {
        await vault.stop();
        await tokens.stop();
        await tls.cleanup();
      }
    },
  });
}

vaultTest("readSecret() reads a secret over HTTPS with a managed-identity token", async (s) => {
  const version = s.vault.setSecret("model-signing-key", SECRET);
  const run = await runDriver<DriverResult>(
    DRIVER,
    ["read", s.vault.url, "model-signing-key"],
    s.env,
  );
  assert.deepEqual(run.result, {
    ok: true,
    name: "model-signing-key",
    version,
    vaultUrl: s.vault.url,
    sha256: await sha256Hex(SECRET),
  }, run.stderr);
  // Key Vault's challenge flow: an unauthenticated probe, then the authorised read.
  assert.deepEqual(s.vault.requests.map((r) => [r.method, r.auth, r.status]), [
    ["GET", "none", 401],
    ["GET", "ok", 200],
  ]);
  assert.ok(s.vault.requests.every((r) => r.apiVersion !== null));
  assert.equal(s.tokens.requests.length, 1);
  assert.equal(s.tokens.requests[0]?.resource, "https://vault.azure.net");
  assert.equal(s.tokens.requests[0]?.identityHeader, s.tokens.identityHeader);
  assert.equal(s.tokens.requests[0]?.apiVersion, "2019-08-01");
  assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET));
});

vaultTest("readSecret() reads a pinned version, not the latest", async (s) => {
  const old = s.vault.setSecret("model-signing-key", `${SECRET}-old`);
  s.vault.setSecret("model-signing-key", SECRET);
  const run = await runDriver<DriverResult>(
    DRIVER,
    ["read", s.vault.url, "model-signing-key", old],
    s.env,
  );
  assert.equal(run.result.ok, true, run.stdout);
  assert.equal(run.result.version, old);
  assert.equal(run.result.sha256, await sha256Hex(`${SECRET}-old`));
});

vaultTest(
  "a missing secret is a SecretError secret_not_found naming vault and secret",
  async (s) => {
    s.vault.setSecret("other", SECRET);
    const run = await runDriver<DriverResult>(
      DRIVER,
      ["read", s.vault.url, "model-signing-key"],
      s.env,
    );
    assert.deepEqual(
      {
        ok: run.result.ok,
        name: run.result.name,
        code: run.result.code,
        reason: run.result.reason,
      },
      { ok: false, name: "SecretError", code: "not_found", reason: "secret_not_found" },
    );
    assert.equal(
      run.result.message,
      `secret "model-signing-key" in Key Vault ${s.vault.url}: not found (SecretNotFound)`,
    );
  },
);

vaultTest("an identity without access is a SecretError access_denied", async (s) => {
  s.vault.setSecret("model-signing-key", SECRET);
  s.vault.forbid("model-signing-key");
  const run = await runDriver<DriverResult>(
    DRIVER,
    ["read", s.vault.url, "model-signing-key"],
    s.env,
  );
  assert.equal(run.result.reason, "access_denied", run.stdout);
  assert.equal(run.result.code, "store_error");
  assert.match(run.result.message ?? "", /HTTP 403 Forbidden.*Key Vault Secrets User/);
  assert.ok(!run.stdout.includes(SECRET));
});

vaultTest("a refused managed-identity token is a SecretError credential_failed", async (s) => {
  s.vault.setSecret("model-signing-key", SECRET);
  const run = await runDriver<DriverResult>(
    DRIVER,
    ["read", s.vault.url, "model-signing-key"],
    { ...s.env, IDENTITY_HEADER: "not-the-header" },
  );
  assert.equal(run.result.reason, "credential_failed", run.stdout);
  assert.match(run.result.message ?? "", /could not get an access token/);
  assert.ok(s.tokens.requests.some((r) => r.status === 401));
  assert.ok(!s.vault.requests.some((r) => r.auth === "ok"), "no authorised request was made");
});

vaultTest("a vault that is down is a SecretError vault_unreachable, quickly", async (s) => {
  const down = `https://127.0.0.1:${freePort()}`;
  const run = await runDriver<DriverResult>(DRIVER, ["read", down, "model-signing-key"], s.env);
  assert.equal(run.result.reason, "vault_unreachable", run.stdout);
  assert.equal(run.result.code, "unavailable");
  assert.equal(
    run.result.message,
    `secret "model-signing-key" in Key Vault ${down}: cannot reach the vault (ECONNREFUSED)`,
  );
  assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
});

vaultTest(
  "a vault whose certificate is not trusted is vault_unreachable with a hint",
  async (s) => {
    s.vault.setSecret("model-signing-key", SECRET);
    const run = await runDriver<DriverResult>(
      DRIVER,
      ["read", s.vault.url, "model-signing-key"],
      s.tokens.env(),
    );
    assert.equal(run.result.reason, "vault_unreachable", run.stdout);
    assert.match(run.result.message ?? "", /TLS certificate is not trusted.*NODE_EXTRA_CA_CERTS/);
  },
);

Deno.test("parseVaultUrl() and readSecret() refuse bad vault URLs and names before any request", async () => {
  const cases: [string, string, RegExp][] = [
    ["http://127.0.0.1:8443", "key", /must use https/],
    ["https://kv.vault.azure.net/secrets", "key", /nothing after the host/],
    ["https://kv.vault.azure.net/?sig=c2VjcmV0", "key", /nothing after the host/],
    ["https://user:pw@kv.vault.azure.net", "key", /nothing after the host/],
    ["not a url", "key", /not a valid URL/],
    ["https://kv.vault.azure.net", "bad_name!", /expected 1-127 letters, digits and hyphens/],
    ["https://kv.vault.azure.net", "", /expected 1-127 letters/],
  ];
  const credential = { getToken: () => Promise.reject(new Error("no request expected")) };
  for (const [url, name, message] of cases) {
    await assert.rejects(readSecret(url, name, { credential }), (err: unknown) => {
      assert.ok(err instanceof InvalidInput, String(err));
      assert.match(err.message, message);
      assert.ok(!err.message.includes("c2VjcmV0") && !err.message.includes("pw@"), err.message);
      return true;
    });
  }
  assert.equal(parseVaultUrl("https://KV.vault.azure.net/").origin, "https://kv.vault.azure.net");
});

Deno.test("readSecret() refuses to skip challenge verification for a non-loopback vault", async () => {
  const credential = { getToken: () => Promise.reject(new Error("no request expected")) };
  await assert.rejects(
    readSecret("https://kv.vault.azure.net", "key", {
      credential,
      disableChallengeResourceVerification: true,
    }),
    (err: unknown) => {
      assert.ok(err instanceof InvalidInput, String(err));
      assert.match(err.message, /only allowed for a loopback vault/);
      return true;
    },
  );
});

Deno.test("SecretError maps each failure to a FluxOps code", () => {
  const cases: [ConstructorParameters<typeof SecretError>[0], string][] = [
    ["secret_not_found", "not_found"],
    ["vault_unreachable", "unavailable"],
    ["access_denied", "store_error"],
    ["credential_failed", "store_error"],
    ["bad_secret", "invalid_input"],
  ];
  for (const [reason, code] of cases) {
    const err = new SecretError(reason, "m");
    assert.equal(err.code, code);
    assert.equal(err.reason, reason);
    assert.equal(err.name, "SecretError");
  }
});

Deno.test("a vault that accepts connections but never answers times out as vault_unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const vault = `https://127.0.0.1:${listener.addr.port}`;
    const credential = { getToken: () => Promise.reject(new Error("no token expected")) };
    const started = performance.now();
    await assert.rejects(
      readSecret(vault, "model-signing-key", { credential, timeoutMs: 300, maxRetries: 0 }),
      (err: unknown) => {
        assert.ok(err instanceof SecretError, String(err));
        assert.equal(err.reason, "vault_unreachable");
        assert.equal(
          err.message,
          `secret "model-signing-key" in Key Vault ${vault}: no answer within 300 ms`,
        );
        return true;
      },
    );
    assert.ok(performance.now() - started < 3_000);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});
