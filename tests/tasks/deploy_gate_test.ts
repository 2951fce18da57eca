import assert from "node:assert/strict";
import { join } from "node:path";
import { openBlobBackend } from "../../lib/store/open_blob_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { type BlobLocation, parseStoreUrl } from "../../lib/store/store_url.ts";
import { startAzurite } from "../../tasks/local/azurite.ts";
import { hasOpenssl } from "../../tasks/local/tls.ts";
import { needsTool } from "../support/python.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

async function run(script: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, ...args],
    cwd: ROOT,
    env,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "deploy --env local refuses to promote a worse model: it stays published, the alias stays",
  ...needsTool(hasOpenssl(), "openssl (for the stand-ins' HTTPS)"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-gate-" });
    const state = join(tmp, "state");
    try {
      const first = await run("tasks/deploy.ts", [
        "--env",
        "local",
        "--state-dir",
        state,
        "--json",
        "--",
        "--trees",
        "20",
      ]);
      assert.equal(first.code, 0, first.stderr);
      const v1: string = JSON.parse(first.stdout).model_version;
      assert.match(first.stderr, /promotion gate: no champion yet \(alias production is not set\)/);

      const weak = join(tmp, "weak");
      const trained = await run("trainer/main.ts", [
        "--trees",
        "1",
        "--max-depth",
        "1",
        "--out",
        weak,
        "--json",
      ]);
      assert.equal(trained.code, 0, trained.stderr);
      const v2: string = JSON.parse(trained.stdout).version;

      const second = await run("tasks/deploy.ts", [
        "--env",
        "local",
        "--state-dir",
        state,
        "--model",
        weak,
        "--json",
      ]);
      assert.equal(second.code, 1, second.stderr);
      const report = JSON.parse(second.stdout);
      assert.equal(report.failed_step, "promote");
      assert.match(
        report.error,
        new RegExp(
          `promotion gate REFUSED: accuracy candidate ${v2} 0\\.\\d{4} vs champion ${v1} ` +
            `0\\.\\d{4} \\(difference -0\\.\\d{4}; needs >= champion - 0\\.005\\)`,
        ),
      );
      assert.deepEqual(report.rollback, []);

      const azurite = await startAzurite({ location: join(state, "azurite") });
      try {
        const registry = new ModelRegistry(
          openBlobBackend(parseStoreUrl("azblob://models") as BlobLocation, {
            connectionString: azurite.connectionString,
          }),
        );
        assert.equal((await registry.alias("production"))?.pointer.version, v1);
        assert.deepEqual((await registry.versions()).sort(), [v1, v2].sort());
      } finally {
        await azurite.stop();
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
