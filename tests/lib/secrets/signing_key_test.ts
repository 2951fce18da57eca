import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { InvalidInput } from "../../../lib/errors.ts";
import { SecretError } from "../../../lib/secrets/secret_error.ts";
import type { SigningKey } from "../../../lib/model/signing.ts";
import { resolveSigningKey } from "../../../lib/secrets/signing_key.ts";
import { runDriver } from "../../support/driver.ts";
import { startKeyVaultServer } from "../../../tasks/local/key_vault_server.ts";
import { needsTool } from "../../support/python.ts";
import { sha256Hex } from "../../support/sha256.ts";
import { hasOpenssl, makeTls } from "../../../tasks/local/tls.ts";
import { startTokenServer } from "../../../tasks/local/token_server.ts";

const FILE_KEY = "file-key-0123456789abcdef-FILE";
const ENV_KEY = "env-key-0123456789abcdef-ENV";
const VAULT_KEY = "vault-key-0123456789abcdef-VAULT";
const enc = new TextEncoder();

/** Runs `fn` with a folder holding `key.txt` (FILE_KEY plus whitespace) and `short.txt`. */
async function withKeyFiles(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-keys-" });
  try {
    await Deno.writeTextFile(join(dir, "key.txt"), `  ${FILE_KEY}\n`);
    await Deno.writeTextFile(join(dir, "short.txt"), "tiny\n");
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("resolveSigningKey() picks file, then env, then none (table)", async () => {
  await withKeyFiles(async (dir) => {
    const file = join(dir, "key.txt");
    const cases: [string, Record<string, string>, SigningKey | undefined][] = [
      ["nothing set", {}, undefined],
      ["empty variables count as unset", {
        FLUXOPS_KEY_VAULT_URI: "",
        FLUXOPS_SIGNING_SECRET: "",
        FLUXOPS_SIGNING_KEY_FILE: "",
        FLUXOPS_SIGNING_KEY: "",
      }, undefined],
      ["env", { FLUXOPS_SIGNING_KEY: ` ${ENV_KEY}\t` }, { key: enc.encode(ENV_KEY), keyId: "env" }],
      ["file", { FLUXOPS_SIGNING_KEY_FILE: file }, {
        key: enc.encode(FILE_KEY),
        keyId: `file:${file}`,
      }],
      ["file wins over env", { FLUXOPS_SIGNING_KEY_FILE: file, FLUXOPS_SIGNING_KEY: ENV_KEY }, {
        key: enc.encode(FILE_KEY),
        keyId: `file:${file}`,
      }],
    ];
    for (const [what, vars, expected] of cases) {
      assert.deepEqual(await resolveSigningKey({ env: envOf(vars) }), expected, what);
    }
  });
});

Deno.test("resolveSigningKey() resolves a relative key file to an absolute keyId", async () => {
  await withKeyFiles(async (dir) => {
    const path = relative(Deno.cwd(), join(dir, "key.txt"));
    assert.ok(!path.startsWith("/"));
    const got = await resolveSigningKey({ env: envOf({ FLUXOPS_SIGNING_KEY_FILE: path }) });
    assert.equal(got?.keyId, `file:${join(dir, "key.txt")}`);
  });
});

Deno.test("resolveSigningKey() fails clearly, without the key, on unusable sources (table)", async () => {
  await withKeyFiles(async (dir) => {
    // deno-fmt-ignore
    const cases: [string, Record<string, string>, string, RegExp][] = [
      ["missing file", { FLUXOPS_SIGNING_KEY_FILE: join(dir, "nope.txt") }, "secret_not_found", /nope\.txt does not exist/],
      ["short file", { FLUXOPS_SIGNING_KEY_FILE: join(dir, "short.txt") }, "bad_secret", /too short \(at least 16 bytes/],
      ["a folder, not a file", { FLUXOPS_SIGNING_KEY_FILE: dir }, "bad_secret", /cannot be read/],
      ["short env", { FLUXOPS_SIGNING_KEY: "tiny" }, "bad_secret", /FLUXOPS_SIGNING_KEY is too short/],
      ["blank env", { FLUXOPS_SIGNING_KEY: "   " }, "bad_secret", /FLUXOPS_SIGNING_KEY is empty/],
    ];
    for (const [what, vars, reason, message] of cases) {
      await assert.rejects(resolveSigningKey({ env: envOf(vars) }), (err: unknown) => {
        assert.ok(err instanceof SecretError, `${what}: ${err}`);
        assert.equal(err.reason, reason, what);
        assert.match(err.message, message, what);
        assert.ok(!err.message.includes("tiny"), `${what}: the key leaked: ${err.message}`);
        return true;
      });
    }
  });
});

Deno.test("resolveSigningKey() refuses a vault misconfiguration before any request", async () => {
  // deno-fmt-ignore
  const cases: [Record<string, string>, RegExp][] = [
    [{ FLUXOPS_SIGNING_SECRET: "model-signing-key", FLUXOPS_SIGNING_KEY: ENV_KEY }, /FLUXOPS_KEY_VAULT_URI is not/],
    [{ FLUXOPS_KEY_VAULT_URI: "http://kv.vault.azure.net" }, /must use https/],
    [{ FLUXOPS_KEY_VAULT_URI: "https://kv.vault.azure.net", FLUXOPS_SIGNING_SECRET: "bad name" }, /expected 1-127 letters/],
  ];
  const credential = { getToken: () => Promise.reject(new Error("no request expected")) };
  for (const [vars, message] of cases) {
    await assert.rejects(
      resolveSigningKey({ env: envOf(vars), keyVault: { credential } }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInput, String(err));
        assert.match(err.message, message);
        assert.ok(!err.message.includes(ENV_KEY));
        return true;
      },
    );
  }
});

const openssl = hasOpenssl();

Deno.test({
  name: "resolveSigningKey() reads the vault first, with a managed identity (table)",
  ...needsTool(openssl, "openssl (for the HTTPS Key Vault stand-in)"),
  async fn() {
    const tls = await makeTls();
    const tokens = startTokenServer();
    const vault = await startKeyVaultServer({ cert: tls.cert, key: tls.key });
    const dir = await Deno.makeTempDir({ prefix: "fluxops-keys-" });
    try {
      const defaultVersion = vault.setSecret("model-signing-key", VAULT_KEY);
      const customVersion = vault.setSecret("fluxops-hmac", `${VAULT_KEY}-custom`);
      vault.setSecret("too-short", "tiny");
      const file = join(dir, "key.txt");
      await Deno.writeTextFile(file, FILE_KEY);
      const host = new URL(vault.url).host;
      const base = { NODE_EXTRA_CA_CERTS: tls.caCert, ...tokens.env() };
      const cases: [string, Record<string, string>, Record<string, unknown>][] = [
        ["vault, default secret name, over file and env", {
          FLUXOPS_KEY_VAULT_URI: vault.url,
          FLUXOPS_SIGNING_KEY_FILE: file,
          FLUXOPS_SIGNING_KEY: ENV_KEY,
        }, {
          ok: true,
          keyId: `keyvault:${host}/model-signing-key/${defaultVersion}`,
          sha256: await sha256Hex(VAULT_KEY),
        }],
        ["vault, named secret", {
          FLUXOPS_KEY_VAULT_URI: `${vault.url}/`,
          FLUXOPS_SIGNING_SECRET: "fluxops-hmac",
        }, {
          ok: true,
          keyId: `keyvault:${host}/fluxops-hmac/${customVersion}`,
          sha256: await sha256Hex(`${VAULT_KEY}-custom`),
        }],
        ["file, from the real environment", { FLUXOPS_SIGNING_KEY_FILE: file }, {
          ok: true,
          keyId: `file:${file}`,
          sha256: await sha256Hex(FILE_KEY),
        }],
        ["env, from the real environment", { FLUXOPS_SIGNING_KEY: ENV_KEY }, {
          ok: true,
          keyId: "env",
          sha256: await sha256Hex(ENV_KEY),
        }],
        ["none", {}, { ok: true, none: true }],
        ["missing secret", {
          FLUXOPS_KEY_VAULT_URI: vault.url,
          FLUXOPS_SIGNING_SECRET: "absent",
        }, {
          ok: false,
          name: "SecretError",
          code: "not_found",
          reason: "secret_not_found",
          message: `secret "absent" in Key Vault ${vault.url}: not found (SecretNotFound)`,
        }],
        ["a vault secret too short to sign with", {
          FLUXOPS_KEY_VAULT_URI: vault.url,
          FLUXOPS_SIGNING_SECRET: "too-short",
        }, {
          ok: false,
          name: "SecretError",
          code: "invalid_input",
          reason: "bad_secret",
          message: `the signing key from Key Vault ${vault.url} secret "too-short" is too short ` +
            "(at least 16 bytes after trimming; 32 random bytes recommended)",
        }],
      ];
      for (const [what, vars, expected] of cases) {
        const run = await runDriver<Record<string, unknown>>(
          join(import.meta.dirname!, "key_vault_driver.ts"),
          ["signing"],
          { ...base, ...vars },
        );
        const { ms: _ms, ...result } = run.result;
        assert.deepEqual(result, expected, `${what}: ${run.stderr}`);
        for (const key of [VAULT_KEY, FILE_KEY, ENV_KEY, "tiny"]) {
          assert.ok(!run.stdout.includes(key) && !run.stderr.includes(key), `${what}: leaked`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await vault.stop();
      await tokens.stop();
      await tls.cleanup();
    }
  },
});
