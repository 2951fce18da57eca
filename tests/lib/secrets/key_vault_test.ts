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
  /** The driver's own time for the operation, without the process start. */
  ms: number;
}

interface Setup {
  tls: TlsFiles;
  tokens: TokenServer;
  vault: KeyVaultServer;
  /** The environment of a process on Azure with a managed identity that trusts the vault. */
  env: Record<string, string>;
}

const openssl = hasOpenssl();

/**
 * A test against a vault whose role assignment has long taken effect (`rbacDelayMs` 0), unless
 * the test says how long it takes.
 */
function vaultTest(
  name: string,
  fn: (s: Setup) => Promise<void>,
  { rbacDelayMs = 0 }: { rbacDelayMs?: number } = {},
): void {
  Deno.test({
    name,
    ...needsTool(openssl, "openssl (for the HTTPS Key Vault stand-in)"),
    async fn() {
      const tls = await makeTls();
      const tokens = startTokenServer();
      const vault = await startKeyVaultServer({ cert: tls.cert, key: tls.key, rbacDelayMs });
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
  const { ms: _ms, ...result } = run.result;
  assert.deepEqual(result, {
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

vaultTest(
  "an identity without access is a SecretError access_denied once the wait for the role is over",
  async (s) => {
    s.vault.setSecret("model-signing-key", SECRET);
    s.vault.forbid("model-signing-key");
    const run = await runDriver<DriverResult>(
      DRIVER,
      ["read", s.vault.url, "model-signing-key"],
      { ...s.env, FLUXOPS_RBAC_WAIT_SECONDS: "1" },
    );
    assert.equal(run.result.reason, "access_denied", run.stdout);
    assert.equal(run.result.code, "store_error");
    assert.match(
      run.result.message ?? "",
      /HTTP 403 Forbidden, still after waiting 1 s\).*Key Vault Secrets User/,
    );
    assert.match(
      run.stderr,
      new RegExp(
        `waiting for the role assignment on Key Vault ${s.vault.url} \\(secret "model-signing-key"\\) ` +
          "to take effect \\(403 ForbiddenByRbac\\), retrying for up to 1 s",
      ),
    );
    assert.ok(!run.stdout.includes(SECRET));
  },
);

vaultTest("with FLUXOPS_RBAC_WAIT_SECONDS=0 a 403 fails at once", async (s) => {
  s.vault.setSecret("model-signing-key", SECRET);
  s.vault.forbid("model-signing-key");
  const run = await runDriver<DriverResult>(
    DRIVER,
    ["read", s.vault.url, "model-signing-key"],
    { ...s.env, FLUXOPS_RBAC_WAIT_SECONDS: "0" },
  );
  assert.equal(run.result.reason, "access_denied", run.stdout);
  assert.match(run.result.message ?? "", /\(HTTP 403 Forbidden\); the identity needs/);
  assert.equal(s.vault.requests.filter((r) => r.status === 403).length, 1);
  assert.doesNotMatch(run.stderr, /waiting for the role assignment/);
});

vaultTest(
  "readSecret() waits out a role assignment that has not taken effect yet (403 ForbiddenByRbac), saying what it waits for",
  async (s) => {
    const version = s.vault.setSecret("model-signing-key", SECRET);
    const run = await runDriver<DriverResult>(
      DRIVER,
      ["read", s.vault.url, "model-signing-key"],
      { ...s.env, FLUXOPS_RBAC_WAIT_SECONDS: "30" },
    );
    assert.equal(run.result.ok, true, run.stdout + run.stderr);
    assert.equal(run.result.version, version);
    const statuses = s.vault.requests.map((r) => r.status);
    assert.equal(statuses[0], 401, "the challenge");
    assert.ok(statuses.filter((x) => x === 403).length >= 2, statuses.join(","));
    assert.equal(statuses.at(-1), 200);
    assert.match(
      run.stderr,
      /waiting for the role assignment on Key Vault .* to take effect \(403 ForbiddenByRbac\), retrying for up to 30 s/,
    );
    assert.match(run.stderr, /took effect after \d+\.\d s/);
    // The operation's time, not the driver process's (its start varies with the machine's load).
    assert.ok(run.result.ms < 15_000, `took ${run.result.ms} ms`);
  },
  { rbacDelayMs: 1_500 },
);

vaultTest(
  "the stand-in's 403 is Azure's: Forbidden with inner code ForbiddenByRbac and the propagation hint",
  async (s) => {
    s.vault.setSecret("model-signing-key", SECRET);
    s.vault.grantRole(60_000);
    const token = (await (await fetch(
      `${s.tokens.endpoint}?api-version=2019-08-01&resource=${
        encodeURIComponent("https://vault.azure.net")
      }`,
      { headers: { "x-identity-header": s.tokens.identityHeader } },
    )).json()).access_token;
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(s.tls.caCert)] });
    try {
      const res = await fetch(`${s.vault.url}/secrets/model-signing-key?api-version=7.5`, {
        client,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 403);
      const body = await res.json();
      assert.equal(body.error.code, "Forbidden");
      assert.equal(body.error.innererror.code, "ForbiddenByRbac");
      assert.match(body.error.message, /^Caller is not authorized to perform action on resource\./);
      assert.match(body.error.message, /observe propagation time/);
      assert.match(
        body.error.message,
        /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action'/,
      );
    } finally {
      client.close();
    }
  },
);

vaultTest(
  "resolveSigningKeys() reads the current and the previous enabled version, newest first",
  async (s) => {
    const v1 = s.vault.setSecret("model-signing-key", `${SECRET}-1`);
    const v2 = s.vault.setSecret("model-signing-key", `${SECRET}-2`);
    const v3 = s.vault.setSecret("model-signing-key", `${SECRET}-3`);
    const host = new URL(s.vault.url).host;
    const ring = async () => {
      const { ms: _ms, ...result } = (await runDriver<
        { ok: boolean; keys: { keyId: string; sha256: string }[]; ms: number }
      >(DRIVER, ["ring"], { ...s.env, FLUXOPS_KEY_VAULT_URI: s.vault.url })).result;
      return result;
    };
    const id = (v: string) => `keyvault:${host}/model-signing-key/${v}`;
    assert.deepEqual(await ring(), {
      ok: true,
      keys: [
        { keyId: id(v3), sha256: await sha256Hex(`${SECRET}-3`) },
        { keyId: id(v2), sha256: await sha256Hex(`${SECRET}-2`) },
      ],
    });
    assert.ok(s.vault.requests.some((r) => r.path === "/secrets/model-signing-key/versions"));
    // A disabled version is not accepted: the next older one is.
    s.vault.setEnabled("model-signing-key", v2, false);
    assert.deepEqual((await ring()).keys.map((k) => k.keyId), [id(v3), id(v1)]);
    // A single version: the ring is just the current key.
    s.vault.setSecret("single", `${SECRET}-only`);
    const one = await runDriver<{ ok: boolean; keys: { keyId: string }[] }>(
      DRIVER,
      ["ring"],
      { ...s.env, FLUXOPS_KEY_VAULT_URI: s.vault.url, FLUXOPS_SIGNING_SECRET: "single" },
    );
    assert.equal(one.result.keys.length, 1, one.stdout + one.stderr);
  },
);

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
  assert.ok(run.result.ms < 10_000, `took ${run.result.ms} ms`);
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

vaultTest(
  "resolveSigningKey() (the trainer's vault read) waits out the role window too",
  async (s) => {
    const version = s.vault.setSecret("model-signing-key", SECRET);
    const run = await runDriver<{ ok: boolean; keyId?: string }>(
      DRIVER,
      ["signing"],
      { ...s.env, FLUXOPS_KEY_VAULT_URI: s.vault.url, FLUXOPS_RBAC_WAIT_SECONDS: "30" },
    );
    assert.equal(run.result.ok, true, run.stdout + run.stderr);
    assert.equal(
      run.result.keyId,
      `keyvault:${new URL(s.vault.url).host}/model-signing-key/${version}`,
    );
    assert.match(
      run.stderr,
      /waiting for the role assignment on Key Vault .*\(403 ForbiddenByRbac\)/,
    );
    assert.ok(s.vault.requests.some((r) => r.status === 403));
  },
  { rbacDelayMs: 1_000 },
);
