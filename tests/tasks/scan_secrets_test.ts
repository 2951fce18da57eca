/**
 * secretlint over the repository (`deno task scan:secrets`), and proof that the scanner is not
 * silently blind: secrets planted in temporary files are found, and shown masked. The planted
 * secrets are made at run time from random bytes, so no secret-looking literal sits in this file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidInput } from "../../lib/errors.ts";
import { coreConfig, ROOT, scanSecrets } from "../../tasks/scan_secrets.ts";
import { withTempDir } from "../support/fixtures.ts";
import { needsTool } from "../support/python.ts";

const git = await new Deno.Command("git", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then((r) => r.success, () => false);

const CONFIG = join(ROOT, ".secretlintrc.yaml");

function random(alphabet: string, n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = UPPER + UPPER.toLowerCase() + "0123456789";
const base64 = (n: number) => crypto.getRandomValues(new Uint8Array(n)).toBase64();

async function privateKeyPem(): Promise<string> {
  const { privateKey } = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign"],
  );
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  const body = der.toBase64().replace(/.{64}/g, "$&\n");
  const label = ["PRIVATE", "KEY"].join(" ");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** [what, a maker of [file content, the secret in it], the rule that must report it]. */
const planted: [string, () => Promise<[string, string]>, string][] = [
  ["an AWS secret access key", () => {
    // secretlint's AWS rule matches the key between word boundaries: a key that starts or ends
    // with "/" or "+" (about 1 in 27 random ones) goes unreported, so those two are letters.
    const key = random(ALNUM, 1) + random(ALNUM + "/+", 38) + random(ALNUM, 1);
    return Promise.resolve([`AWS_SECRET_ACCESS_KEY=${key}\n`, key]);
  }, "@secretlint/secretlint-rule-aws"],
  ["a private key", async () => {
    const pem = await privateKeyPem();
    return [`const key = \`${pem}\`;\n`, pem.split("\n")[1]!];
  }, "@secretlint/secretlint-rule-privatekey"],
  ["a GitHub token", () => {
    const token = "ghp_" + random(ALNUM, 36);
    return Promise.resolve([`GITHUB_TOKEN: ${token}\n`, token]);
  }, "@secretlint/secretlint-rule-github"],
  ["a password in a URL", () => {
    const password = random(ALNUM, 20);
    return Promise.resolve([`url = "https://deployer:${password}@example.com/app"\n`, password]);
  }, "@secretlint/secretlint-rule-basicauth"],
  ["an Azure Storage connection string", () => {
    const key = base64(64);
    const conn = `DefaultEndpointsProtocol=https;AccountName=fluxops;AccountKey=${key};` +
      "EndpointSuffix=core.windows.net";
    return Promise.resolve([`AZURE_STORAGE_CONNECTION_STRING="${conn}"\n`, key]);
  }, "@secretlint/secretlint-rule-pattern"],
  ["a SAS URL", () => {
    const sig = encodeURIComponent(base64(32));
    const url = `https://fluxops.blob.core.windows.net/models?sv=2024-08-04&sr=c&sp=r&sig=${sig}`;
    return Promise.resolve([`FLUXOPS_MODEL_URL=${url}\n`, sig]);
  }, "@secretlint/secretlint-rule-pattern"],
];

Deno.test({
  name: "secretlint finds no secret in any file git would commit",
  ...needsTool(git, "git (to list the repository's files)"),
  async fn() {
    const { scanned, findings } = await scanSecrets();
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.message}`),
      [],
      "a secret is committed, or a deliberate fake needs an entry with its reason in " +
        ".secretlintrc.yaml or .secretlintignore",
    );
    // The scan saw the repository, not an empty list.
    for (const file of ["deno.json", "function/handler.ts", "tasks/local/azurite.ts"]) {
      assert.ok(scanned.includes(file), file);
    }
  },
});

Deno.test({
  name: "every .secretlintignore entry names a file that exists",
  ...needsTool(git, "git (to list the repository's files)"),
  async fn() {
    const text = await Deno.readTextFile(join(ROOT, ".secretlintignore")).catch(() => "");
    const entries = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const { ignored } = await scanSecrets();
    // A stale entry would silently except whatever file later takes its name.
    for (const entry of entries) {
      assert.ok(ignored.some((f) => f === entry || f.startsWith(entry)), `${entry}: no such file`);
    }
  },
});

for (const [what, make, ruleId] of planted) {
  Deno.test(`secretlint reports ${what} planted in a file, without showing it`, async () => {
    const [content, secret] = await make();
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "leak.env"), content);
      const { scanned, findings } = await scanSecrets({
        root: dir,
        files: ["leak.env"],
        configPath: CONFIG,
      });
      assert.deepEqual(scanned, ["leak.env"]);
      assert.ok(findings.length >= 1, `nothing found in ${JSON.stringify(content)}`);
      assert.ok(findings.some((f) => f.ruleId === ruleId), JSON.stringify(findings));
      for (const f of findings) {
        assert.equal(f.file, "leak.env");
        assert.equal(f.line, 1); // every planted secret starts on the first line
        assert.ok(!f.message.includes(secret), `the message shows the secret: ${f.message}`);
      }
    });
  });
}

Deno.test("secretlint skips exactly the files .secretlintignore lists", async () => {
  const key = "ghp_" + random(ALNUM, 36);
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "fixtures"));
    await Deno.writeTextFile(join(dir, "fixtures", "fake.env"), `KEY=${key}\n`);
    await Deno.writeTextFile(join(dir, "real.env"), `KEY=${key}\n`);
    await Deno.writeTextFile(join(dir, ".secretlintignore"), "# a fixture\nfixtures/fake.env\n");
    const result = await scanSecrets({
      root: dir,
      files: ["fixtures/fake.env", "real.env"],
      configPath: CONFIG,
    });
    assert.deepEqual(result.ignored, ["fixtures/fake.env"]);
    assert.deepEqual(result.scanned, ["real.env"]);
    assert.deepEqual(result.findings.map((f) => f.file), ["real.env"]);
  });
});

Deno.test("deno task scan:secrets exits 1 and prints a found secret masked", async () => {
  const token = "ghp_" + random(ALNUM, 36);
  await withTempDir(async (dir) => {
    const file = join(dir, "leak.txt");
    await Deno.writeTextFile(file, `token: ${token}\n`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        "tools/deno.json",
        "--allow-read",
        "--allow-run=git",
        "--allow-env",
        "tasks/scan_secrets.ts",
        file,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const stdout = dec.decode(out.stdout);
    assert.equal(out.code, 1, dec.decode(out.stderr));
    assert.match(stdout, new RegExp(`^${file}:1:8  @secretlint/secretlint-rule-github  `));
    assert.match(stdout, /found GitHub Token\(\*+\): \*{20}/);
    assert.ok(!stdout.includes(token), "the token is printed");
    assert.match(
      dec.decode(out.stderr),
      /1 files scanned, 0 skipped by \.secretlintignore, 1 secret/,
    );
  });
});

const badConfigs: [string, unknown, RegExp][] = [
  ["no rules", {}, /expected \{"rules"/],
  ["an empty rule list", { rules: [] }, /expected \{"rules"/],
  [
    "a rule that is not bundled",
    { rules: [{ id: "secretlint-rule-nope" }] },
    /"secretlint-rule-nope" is not a rule this scanner bundles/,
  ],
  ["a rule without an id", { rules: [{}] }, /rules\[0\]: undefined is not a rule/],
];
for (const [what, descriptor, message] of badConfigs) {
  Deno.test(`the scanner refuses a configuration with ${what}`, () => {
    assert.throws(() => coreConfig(descriptor, ".secretlintrc.yaml"), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.match(err.message, message);
      return true;
    });
  });
}
