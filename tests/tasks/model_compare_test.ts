import assert from "node:assert/strict";
import { join } from "node:path";
import { startAzurite } from "../../tasks/local/azurite.ts";
import { openBlobBackend } from "../../lib/store/open_blob_backend.ts";
import { type BlobLocation, parseStoreUrl } from "../../lib/store/store_url.ts";
import { BlobBackend } from "../../lib/store/blob_backend.ts";
import { withTempDir } from "../support/fixtures.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

async function deno(script: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("model compare on Azurite: a worse candidate exits 5 with both figures, an equal one 0", async () => {
  const azurite = await startAzurite();
  try {
    await withTempDir(async (dir) => {
      const env = {
        AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
        FLUXOPS_STORE: "azblob://models",
      };
      const backend = openBlobBackend(parseStoreUrl("azblob://models") as BlobLocation, {
        connectionString: azurite.connectionString,
      });
      if (backend instanceof BlobBackend) await backend.ensureContainer();
      const train = async (name: string, args: string[]) => {
        const r = await deno("trainer/main.ts", [...args, "--out", join(dir, name)], env);
        assert.equal(r.code, 0, r.stderr);
        return join(dir, name);
      };
      const strong = await train("strong", ["--trees", "20"]);
      const weak = await train("weak", ["--trees", "1", "--max-depth", "1"]);
      const data = join(dir, "other.csv");
      await Deno.writeTextFile(data, "u,v,label\n1,2,0\n2,1,1\n3,3,0\n4,1,1\n5,5,0\n6,2,1\n");
      const foreign = await train("foreign", [
        "--data",
        data,
        "--trees",
        "2",
        "--test-size",
        "0.5",
      ]);
      const model = (args: string[]) => deno("tasks/model.ts", args, env);

      const published = await model(["publish", strong, "--promote", "production"]);
      assert.equal(published.code, 0, published.stderr);

      const worse = await model(["compare", weak]);
      assert.equal(worse.code, 5, worse.stderr);
      assert.match(
        worse.stdout,
        /^REFUSED: accuracy candidate \S+ 0\.\d{4} vs champion \S+ 0\.\d{4} \(difference -0\.\d{4}; needs >= champion - 0\.005\) on 200 rows of seed:make_classification/,
      );
      const json = await model(["compare", weak, "--metric", "log_loss", "--json"]);
      assert.equal(json.code, 5, json.stderr);
      const r = JSON.parse(json.stdout);
      assert.equal(r.accepted, false);
      assert.ok(r.candidate.value > r.champion.value, "log loss: higher is worse");

      const equal = await model(["compare", strong]);
      assert.equal(equal.code, 0, equal.stderr);
      assert.match(equal.stdout, /^accepted: accuracy .* \(difference \+0\.0000;/);

      const unset = await model(["compare", weak, "--against", "staging"]);
      assert.equal(unset.code, 0, unset.stderr);
      assert.match(unset.stdout, /no champion yet \(alias staging is not set\)/);

      const tolerant = await model(["compare", weak, "--tolerance", "1"]);
      assert.equal(tolerant.code, 0, tolerant.stderr);

      const bad: [string[], number, RegExp][] = [
        [["compare", foreign], 1, /have different features/],
        [
          ["compare", weak, "--metric", "auc"],
          2,
          /^error: --metric must be one of accuracy, f1, roc_auc or log_loss, got auc$/m,
        ],
        [
          ["compare", weak, "--tolerance=-1"],
          2,
          /^error: --tolerance must be a non-negative number, got -1$/m,
        ],
        [["compare"], 2, /give exactly one CANDIDATE/],
        [["compare", join(dir, "nope")], 2, /neither a model folder or file nor a version/],
        [["compare", weak, "--data", join(dir, "missing.csv")], 1, /missing\.csv: not found/],
      ];
      for (const [args, code, message] of bad) {
        const b = await model(args);
        assert.equal(b.code, code, `${args.join(" ")}: ${b.stderr}`);
        assert.match(b.stderr, message, args.join(" "));
      }
    });
  } finally {
    await azurite.stop();
  }
});
