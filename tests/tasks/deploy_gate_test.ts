import assert from "node:assert/strict";
import { join } from "node:path";
import { hasOpenssl } from "../../tasks/local/tls.ts";
import { runScript as run, withLocalStores } from "../support/deploy.ts";
import { needsTool } from "../support/python.ts";

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

      await withLocalStores(state, async ({ registry }) => {
        assert.equal((await registry.alias("production"))?.pointer.version, v1);
        assert.deepEqual((await registry.versions()).sort(), [v1, v2].sort());
      });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
