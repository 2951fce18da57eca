/**
 * The compiled trainer and `deno task train` get one set of permissions: deno.json's `train`
 * task, which tasks/compile.ts reads. A trainer run with exactly that set signs with a Key Vault
 * key and publishes to Azurite; where `deno compile` can fetch its runtime (denort) the binary
 * itself does the same.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { compileArgs, TRAINER_ENTRY, trainPermissions } from "../../tasks/compile.ts";
import { startAzurite } from "../../tasks/local/azurite.ts";
import { startKeyVaultServer, type VaultRequest } from "../../tasks/local/key_vault_server.ts";
import { hasOpenssl, makeTls } from "../../tasks/local/tls.ts";
import { startTokenServer } from "../../tasks/local/token_server.ts";
import { UsageError } from "../../lib/errors.ts";
import { openBlobBackend } from "../../lib/store/open_blob_backend.ts";
import { type BlobLocation, parseStoreUrl } from "../../lib/store/store_url.ts";
import { withTempDir } from "../support/fixtures.ts";
import { needsTool } from "../support/python.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const CONFIG = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
const PERMISSION = /^--(allow|deny)-/;
const dec = new TextDecoder();

async function runDeno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task compile gives the binary exactly the permissions of deno task train", async () => {
  const train: string[] = CONFIG.tasks.train.split(/\s+/);
  const permissions = train.filter((w) => PERMISSION.test(w));
  assert.deepEqual(train, ["deno", "run", ...permissions, TRAINER_ENTRY]);
  // --publish to Blob Storage and Key Vault signing go through node:https: net and bare sys.
  for (const needed of ["--allow-net", "--allow-sys", "--allow-read", "--allow-write"]) {
    assert.ok(permissions.includes(needed), `train task lacks ${needed}`);
  }
  const dry = await runDeno(["run", "-A", "tasks/compile.ts", "--dry-run", "--json"]);
  assert.equal(dry.code, 0, dry.stderr);
  const cmd: string[] = JSON.parse(dry.stdout);
  assert.deepEqual(cmd.filter((w) => PERMISSION.test(w)), permissions);
  assert.deepEqual(cmd.slice(0, 2), ["deno", "compile"]);
  assert.equal(cmd.at(-1), TRAINER_ENTRY);
  assert.deepEqual(await compileArgs(), cmd.slice(1));
});

const badTasks: [string, unknown][] = [
  ["no train task", undefined],
  ["a train task that is not deno run", "deno test -A trainer/main.ts"],
  ["a train task of another entry point", "deno run --allow-all function/main.ts"],
  ["a train task with trailing trainer flags", "deno run -A trainer/main.ts --trees 5"],
];
for (const [what, train] of badTasks) {
  Deno.test(`trainPermissions() refuses ${what}, naming the task`, () => {
    assert.throws(
      () => trainPermissions({ tasks: train === undefined ? {} : { train } }),
      (err: unknown) => err instanceof UsageError && /the "train" task must be/.test(err.message),
    );
  });
}

/** A signing vault, tokens for it, and an Azurite container, for `fn`; stopped after. */
async function withAzureStandIns(
  fn: (
    env: Record<string, string>,
    blobs: (prefix: string) => Promise<string[]>,
    vaultReads: () => readonly VaultRequest[],
  ) => Promise<void>,
): Promise<void> {
  const tls = await makeTls();
  const tokens = startTokenServer();
  const vault = await startKeyVaultServer({ cert: tls.cert, key: tls.key, rbacDelayMs: 0 });
  const azurite = await startAzurite();
  try {
    vault.setSecret("model-signing-key", "compile-test-signing-key-0123456789abcdef");
    const backend = openBlobBackend(parseStoreUrl("azblob://models") as BlobLocation, {
      connectionString: azurite.connectionString,
    });
    await fn(
      {
        AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
        FLUXOPS_KEY_VAULT_URI: vault.url,
        NODE_EXTRA_CA_CERTS: tls.caCert,
        ...tokens.env(),
      },
      (prefix) => backend.list(prefix),
      () => vault.requests,
    );
  } finally {
    await azurite.stop();
    await vault.stop();
    await tokens.stop();
    await tls.cleanup();
  }
}

/** Trains with `command`, publishing to Azurite signed by the vault; checks what landed. */
async function publishesSigned(command: string[], label: string): Promise<void> {
  await withAzureStandIns(async (env, blobs, vaultReads) => {
    await withTempDir(async (dir) => {
      const args = ["--trees", "3", "--out", join(dir, "m"), "--publish", "--json"];
      const out = await new Deno.Command(command[0]!, {
        args: [...command.slice(1), ...args, "--store", "azblob://models"],
        cwd: dir,
        env: { NO_COLOR: "1", ...env },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = dec.decode(out.stderr);
      assert.equal(out.code, 0, `${label}: ${stderr}`);
      const summary = JSON.parse(dec.decode(out.stdout));
      assert.equal(summary.signed, true, label);
      assert.match(
        summary.published,
        /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/models$/,
        label,
      );
      assert.ok(
        vaultReads().some((r) =>
          r.path.startsWith("/secrets/model-signing-key") && r.status === 200
        ),
        `${label}: the signing key was not read from the vault`,
      );
      const names = (await blobs(`models/${summary.version}/`)).map((k) => k.split("/").pop());
      for (const file of ["model.json", "model.sig", "metrics.json"]) {
        assert.ok(names.includes(file), `${label}: ${file} not in Azurite: ${names.join(", ")}`);
      }
    });
  });
}

const openssl = hasOpenssl();

Deno.test({
  name:
    "the trainer with exactly the binary's permissions signs with Key Vault and publishes to Azurite",
  ...needsTool(openssl, "openssl (for the HTTPS Key Vault stand-in)"),
  async fn() {
    const permissions = trainPermissions(CONFIG);
    await publishesSigned(
      [Deno.execPath(), "run", ...permissions, join(ROOT, TRAINER_ENTRY)],
      "deno run with the binary's permissions",
    );
  },
});

/**
 * Whether `deno compile` can get its runtime here: a one-line program compiles (DENORT_BIN, a
 * cached denort, or Deno's release server reachable). Asked only with CI unset.
 */
async function canCompile(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-denort-" });
  try {
    await Deno.writeTextFile(join(dir, "probe.ts"), "console.log(1);\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--quiet", "--output", join(dir, "probe"), join(dir, "probe.ts")],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ci = Deno.env.get("CI") === "true";
/** A binary built already (GitLab's compile:trainer job tests the one it ships). */
const prebuilt = Deno.env.get("FLUXOPS_TRAINER_BINARY");
const compiles = prebuilt !== undefined || ci || await canCompile();
if (!compiles) {
  console.warn(
    "skipping: the compiled trainer's publish test: deno compile cannot fetch its runtime " +
      "(denort) here; GitLab's compile:trainer job publishes with the binary " +
      "(CI=true runs this test)",
  );
}

Deno.test({
  name: "deno task compile builds a trainer that signs with Key Vault and publishes to " +
    "Azurite, or fails saying its runtime (denort) cannot be fetched",
  ignore: !compiles || (!openssl && !ci),
  async fn() {
    if (prebuilt !== undefined) {
      await publishesSigned([prebuilt], `the compiled trainer ${prebuilt}`);
      return;
    }
    await withTempDir(async (dir) => {
      const binary = join(dir, "fluxops-trainer");
      const built = await runDeno(["run", "-A", "tasks/compile.ts", "--output", binary]);
      if (built.code !== 0) {
        // ENVIRONMENT.md: where denort cannot be fetched the compile task must fail with this
        // message, and what is tested here runs via deno run (the test above, same
        // permissions); the binary publishes in GitLab's compile:trainer job.
        assert.equal(built.code, 1, built.stderr);
        assert.match(built.stderr, /could not fetch its runtime \(denort\)/);
        console.warn(`not built here: ${built.stderr.trim().split("\n").at(-1)}`);
        return;
      }
      await publishesSigned([binary], "the compiled trainer");
    });
  },
});
