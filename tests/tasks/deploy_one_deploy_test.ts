import assert from "node:assert/strict";
import { join } from "node:path";
import { ONE_DEPLOY_CURRENT } from "../../tasks/deploy/app_host.ts";
import { sha256Hex } from "../../lib/model/canonical.ts";
import { parseDeployArgs } from "../../tasks/deploy.ts";
import { APP_PACKAGE, RELEASED_PACKAGE } from "../../tasks/deploy_local.ts";
import { UsageError } from "../../lib/errors.ts";
import { needsTool } from "../support/python.ts";
import { hasOpenssl } from "../../tasks/local/tls.ts";
import { type Ran, runScript, trainForeignSigned, withLocalStores } from "../support/deploy.ts";

function deploy(args: string[]): Promise<Ran> {
  return runScript("tasks/deploy.ts", args);
}

Deno.test("parseDeployArgs() takes --hosting only with --env local and only a known mode", () => {
  const rows: [string[], RegExp][] = [
    [["--env", "dev", "--hosting", "one_deploy"], /--hosting: only with --env local; dev and prod/],
    [
      ["--env", "local", "--hosting", "fc1"],
      /--hosting must be run_from_package or one_deploy, got fc1/,
    ],
    [["--env", "local", "--hosting", ""], /--hosting must be .*, got ""/],
  ];
  for (const [argv, message] of rows) {
    assert.throws(
      () => parseDeployArgs(argv),
      (e) => e instanceof UsageError && message.test(e.message),
      argv.join(" "),
    );
  }
  const local = parseDeployArgs(["--env", "local", "--hosting", "one_deploy"]);
  assert.ok(local !== "help");
  assert.equal(local.hosting, "one_deploy");
  assert.match(local.stateDir, /local-one-deploy$/, "its own default state folder");
  const plain = parseDeployArgs(["--env", "local"]);
  assert.ok(plain !== "help");
  assert.equal(plain.hosting, "run_from_package");
  const dev = parseDeployArgs(["--env", "dev"]);
  assert.ok(dev !== "help");
  assert.equal(dev.hosting, undefined, "dev reads it from the outputs");
});

Deno.test("deploy --help says the one-deploy path was rehearsed locally only", async () => {
  const r = await deploy(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--hosting MODE/);
  assert.match(
    r.stdout,
    /one_deploy \(Flex Consumption\) path was rehearsed only with\s+--env local --hosting one_deploy/,
  );
});

Deno.test({
  name:
    "deploy --env local --hosting one_deploy serves the model, and a failed smoke test re-publishes the previous zip",
  ...needsTool(hasOpenssl(), "openssl (for the stand-ins' HTTPS)"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-onedeploy-" });
    const state = join(tmp, "state");
    const local = ["--env", "local", "--hosting", "one_deploy", "--state-dir", state];
    const t0 = performance.now();
    try {
      // 1. A full deploy, published by one-deploy.
      const first = await deploy([...local, "--json", "--", "--trees", "10"]);
      assert.equal(first.code, 0, first.stderr);
      const good = JSON.parse(first.stdout);
      assert.equal(good.ok, true);
      assert.equal(good.hosting, "one_deploy");
      const step = (r: { steps: { name: string; detail: string }[] }, name: string) =>
        r.steps.find((s) => s.name === name)!.detail;
      assert.match(
        step(good, "point"),
        /^published azblob:\/\/deployments\/function\/.+\.zip by one-deploy$/,
      );
      assert.match(step(good, "smoke"), /health, model-info, predict, bad input: ok/);
      const v1: string = good.model_version;
      const pkg1: string = good.package;
      const firstSeconds = (performance.now() - t0) / 1000;
      // Flex has no package setting: the deploy never wrote one.
      const settings = JSON.parse(await Deno.readTextFile(join(state, "app_settings.json")));
      assert.equal(settings.WEBSITE_RUN_FROM_PACKAGE, undefined);
      await assert.rejects(() => fetch(`${good.function_url}/api/health`));

      // 2. A model signed with another key: the smoke test fails, the alias goes back and the
      //    previous release's zip is published again.
      const bad = join(tmp, "bad-model");
      await trainForeignSigned(bad, ["--trees", "3", "--seed", "9"]);
      const t1 = performance.now();
      // --force: the 3-tree model is meant to fail the smoke step, which the promotion gate would
      // otherwise refuse it before.
      const second = await deploy([...local, "--model", bad, "--json", "--force"]);
      const secondSeconds = (performance.now() - t1) / 1000;
      assert.equal(second.code, 1, second.stderr);
      const failed = JSON.parse(second.stdout);
      assert.equal(failed.failed_step, "smoke");
      assert.notEqual(failed.package, pkg1, "the failed deploy published a release of its own");
      assert.deepEqual(failed.rollback.map((r: { name: string; ok: boolean }) => [r.name, r.ok]), [
        ["published package", true],
        ["model alias production", true],
      ]);
      assert.equal(
        failed.rollback[0].detail,
        `re-published azblob://deployments/${pkg1} by one-deploy`,
      );
      // Started at stack start, on the failed release's publish, and on the rollback's.
      assert.equal(
        second.stderr.match(/local app: running released-package\.zip/g)?.length,
        3,
        second.stderr,
      );

      // 3. What runs is the first release again, and the record says so.
      await withLocalStores(state, async ({ registry, open }) => {
        const current = await open("azblob://deployments").get(ONE_DEPLOY_CURRENT);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(current!.bytes)), {
          package: `azblob://deployments/${pkg1}`,
        });
        const running = await open(APP_PACKAGE).get(RELEASED_PACKAGE);
        const release1 = await open("azblob://deployments").get(pkg1);
        assert.equal(sha256Hex(running!.bytes), sha256Hex(release1!.bytes));
        assert.equal((await registry.alias("production"))?.pointer.version, v1);
        console.log(
          `one-deploy rehearsal: package ${(release1!.bytes.length / 2 ** 20).toFixed(1)} MiB; ` +
            `first deploy ${firstSeconds.toFixed(1)} s, failed deploy with rollback ` +
            `${secondSeconds.toFixed(1)} s`,
        );
      });

      // 4. The state folder is a one-deploy environment: a run-from-package deploy refuses it.
      const other = await deploy(["--env", "local", "--state-dir", state, "--skip-train"]);
      assert.equal(other.code, 1, other.stderr);
      assert.match(other.stderr, /was made with --hosting one_deploy; use another --state-dir/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
