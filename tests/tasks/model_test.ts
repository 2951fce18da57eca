import assert from "node:assert/strict";
import { join } from "node:path";
import { main as model } from "../../tasks/model.ts";
import { main as train } from "../../trainer/main.ts";
import { withTempDir } from "../support/fixtures.ts";

/** Runs `deno task model` in a subprocess and returns its exit status and output. */
async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../tasks/model.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function trained(dir: string, name: string, seed: number): Promise<string> {
  const out = join(dir, name);
  assert.equal(await train(["--trees", "3", "--seed", String(seed), "--out", out]), 0);
  return out;
}

Deno.test("deno task model publishes, lists, shows, promotes, rolls back and prunes", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store");
    const a = await trained(dir, "a", 1);
    const b = await trained(dir, "b", 2);
    const pa = await run(["publish", a, "--store", store, "--json"]);
    assert.equal(pa.code, 0, pa.stderr);
    const va = JSON.parse(pa.stdout).version;
    const pb = await run(["publish", b, "--promote", "production", "--json"], {
      FLUXOPS_STORE: store,
    });
    const vb = JSON.parse(pb.stdout).version;
    assert.equal(JSON.parse(pb.stdout).promoted, "production");

    const list = await run(["list", "--store", store]);
    assert.match(list.stdout, /version\s+created_at\s+accuracy/);
    assert.match(list.stdout, new RegExp(`${vb}.*production`));
    const listed = JSON.parse((await run(["list", "--store", store, "--json"])).stdout);
    assert.deepEqual(listed.map((v: { version: string }) => v.version), [vb, va]);

    const show = JSON.parse((await run(["show", va, "--store", store, "--json"])).stdout);
    assert.deepEqual(show.files.sort(), ["meta.json", "metrics.json", "model.json", "report.html"]);

    assert.equal((await run(["promote", va, "--store", store])).code, 0);
    const back = await run(["rollback", "--store", store]);
    assert.match(back.stdout, new RegExp(`production -> ${vb} \\(rolled back from ${va}\\)`));
    const pruned = JSON.parse(
      (await run(["prune", "--keep", "0", "--store", store, "--json"])).stdout,
    );
    // After the rollback only vb is named (production); va, rolled back from, is pruned.
    assert.deepEqual(pruned.deleted, [va]);
  });
});

const failures: [string, string[], number, RegExp][] = [
  ["no command", [], 2, /Usage: deno task model/],
  ["an unknown command", ["deploy"], 2, /unknown command "deploy"/],
  ["publish without a folder", ["publish"], 2, /DIR is required/],
  ["publish of a folder without a model", ["publish", "."], 2, /no model.json/],
  [
    "promote of an unknown version",
    ["promote", "20990101T000000Z-00000000"],
    1,
    /is not published/,
  ],
  ["promote of a malformed version", ["promote", "latest"], 2, /is not a FluxOps version/],
  ["rollback of an unset alias", ["rollback", "--alias", "staging"], 1, /alias staging is not set/],
  ["a bad --keep", ["prune", "--keep", "-1"], 2, /--keep/],
  [
    "an azblob store without a connection string",
    ["list", "--store", "azblob://models"],
    2,
    /AZURE_STORAGE_CONNECTION_STRING/,
  ],
];
for (const [what, args, code, message] of failures) {
  Deno.test(`deno task model exits ${code} on ${what}`, async () => {
    await withTempDir(async (dir) => {
      const hasStore = args.includes("--store");
      const result = await run(hasStore ? args : [...args, "--store", dir], {
        AZURE_STORAGE_CONNECTION_STRING: "",
      });
      assert.equal(result.code, code, result.stderr + result.stdout);
      assert.match(result.stderr + result.stdout, message);
    });
  });
}

Deno.test("publishing the same version twice exits 3 with a clear conflict", async () => {
  await withTempDir(async (dir) => {
    const a = await trained(dir, "a", 1);
    assert.equal(await model(["publish", a, "--store", join(dir, "s")]), 0);
    const again = await run(["publish", a, "--store", join(dir, "s")]);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /already published.*immutable/);
  });
});
