import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDeployArgs } from "../../tasks/deploy.ts";
import { UsageError } from "../../lib/errors.ts";
import { needsTool } from "../support/python.ts";
import { hasOpenssl } from "../../tasks/local/tls.ts";
import {
  DEPLOY_STEPS as STEPS,
  type Ran,
  runScript,
  trainForeignSigned,
  withLocalStores,
} from "../support/deploy.ts";

/**
 * The smoke step's wait for the new version (`--wait`, 30 s locally by default) is a hang guard
 * here, not a claim: on a busy machine restarting the local app from its package takes longer.
 */
const BUSY_WAIT = ["--wait", "300"];

function deploy(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return runScript("tasks/deploy.ts", args, env);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("deno task deploy rejects bad command lines with exit 2, a reason, and writes nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-flags-" });
  try {
    const state = join(tmp, "state");
    const local = ["--env", "local", "--state-dir", state];
    const cases: [string[], RegExp][] = [
      [[], /--env is required: dev, prod, local/],
      [
        ["--env", "staging"],
        /--env must be one of dev, prod or local, got staging \(see --help\)$/m,
      ],
      [[...local, "--skip-infra"], /--skip-infra: --env local has no infrastructure to skip/],
      [[...local, "--plan", "x.tfplan"], /--plan: only with --env dev or prod/],
      [["--env", "dev", "--skip-infra", "--plan", "x.tfplan"], /--plan: only with/],
      [["--env", "dev", "--state-dir", state], /--state-dir: only with --env local/],
      [[...local, "--model", tmp, "--skip-train"], /--model and --skip-train: choose one/],
      [[...local, "--skip-train", "--", "--trees", "5"], /trainer flags after -- need a training/],
      [[...local, "--alias", "Prod!"], /--alias: alias "Prod!"/],
      [[...local, "--wait", "0"], /--wait must be a positive integer, got 0 \(see --help\)$/m],
      [["--env", "dev", "--host-restart-ms", "100"], /--host-restart-ms: only with --env local/],
      [
        [...local, "--host-restart-ms", "2s"],
        /--host-restart-ms must be an integer from 0 to 600000, got 2s \(see --help\)$/m,
      ],
      [[...local, "--fresh=yes"], /--fresh/],
      [[...local, "--model", join(tmp, "nope")], /--model: .*nope is not a model folder/],
      [["--env", "dev", "--plan", join(tmp, "missing.tfplan")], /--plan: .* does not exist/],
      [[...local, "--bogus"], /^error: unknown flag --bogus \(see --help\)$/m],
      [[...local, "stray"], /^error: unexpected argument stray \(see --help\)$/m],
    ];
    const ran = await Promise.all(cases.map(([args]) => deploy(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = ran[i]!;
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.match(r.stderr, /\(see --help\)/);
      assert.equal(r.stdout, "");
    }
    assert.equal(await exists(state), false, "no state folder was made");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("parseDeployArgs() reads the flags and passes what follows -- to the trainer", () => {
  const c = parseDeployArgs(["--env", "dev", "--skip-infra", "--json", "--", "--trees", "7"]);
  assert.notEqual(c, "help");
  if (c === "help") return;
  assert.deepEqual(
    [c.env, c.skipInfra, c.json, c.alias, c.waitSeconds, c.trainerArgs],
    ["dev", true, true, "production", 600, ["--trees", "7"]],
  );
  assert.equal(parseDeployArgs(["-h"]), "help");
  assert.throws(() => parseDeployArgs(["--env", "local", "--model", ""]), UsageError);
});

Deno.test("deno task deploy --help prints the usage and exits 0", async () => {
  const r = await deploy(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: deno task deploy --env <dev\|prod\|local>/);
  assert.match(r.stdout, /NOT RUN AGAINST AZURE: .*rehearsed only\s+with --env local/s);
  for (
    const flag of [
      "--dry-run",
      "--skip-infra",
      "--skip-train",
      "--model",
      "--json",
      "--fresh",
      "--host-restart-ms",
    ]
  ) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

Deno.test("a dry run prints every step with its parameters and touches nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-dry-" });
  try {
    const state = join(tmp, "state");
    const local = await deploy(["--env", "local", "--dry-run", "--state-dir", state, "--json"]);
    assert.equal(local.code, 0, local.stderr);
    const report = JSON.parse(local.stdout);
    assert.equal(report.dry_run, true);
    assert.deepEqual(report.steps.map((s: { name: string }) => s.name), STEPS);
    assert.ok(report.steps.every((s: { status: string }) => s.status === "planned"));
    for (const [i, name] of STEPS.entries()) {
      assert.ok(local.stderr.includes(`[${i + 1}/9] ${name}: `), name);
    }
    assert.match(local.stderr, /nothing was done/);
    assert.equal(await exists(state), false, "the dry run made no state folder");

    // dev: no tofu, no Azure credentials: a dry run needs neither.
    const dev = await deploy([
      "--env",
      "dev",
      "--dry-run",
      "--json",
      "--dotenv",
      join(tmp, "d.env"),
    ], {
      PATH: "/nonexistent",
    });
    assert.equal(dev.code, 0, dev.stderr);
    const plan = JSON.parse(dev.stdout);
    assert.equal(plan.steps[0].params.command, "deno task infra apply --env dev --auto-approve");
    assert.match(plan.steps[1].params.reads, /function_app_url/);
    assert.equal(plan.steps[8].params.url, "<output function_app_url>");
    assert.equal(await exists(join(tmp, "d.env")), false, "no dotenv file from a dry run");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name:
    "deploy --env local rehearses the whole flow, and a failing smoke test rolls back alias and package",
  ...needsTool(hasOpenssl(), "openssl (for the stand-ins' HTTPS)"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-local-" });
    const state = join(tmp, "state");
    const t0 = performance.now();
    try {
      // 1. A full deploy: stand-ins, training, publish, promote, package, release, smoke.
      const first = await deploy([
        "--env",
        "local",
        ...BUSY_WAIT,
        "--state-dir",
        state,
        "--json",
        "--dotenv",
        join(tmp, "deploy.env"),
        "--",
        "--trees",
        "10",
      ]);
      assert.equal(first.code, 0, first.stderr);
      const good = JSON.parse(first.stdout);
      assert.equal(good.ok, true);
      assert.deepEqual(
        good.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
        STEPS.map((s) => `${s}:ok`),
      );
      assert.match(good.steps[2].detail, /signed$/, "the model is signed with the vault's key");
      assert.match(good.steps[8].detail, /health, model-info, predict, bad input: ok/);
      const v1: string = good.model_version;
      const pkg1: string = good.package;
      const dotenv = await Deno.readTextFile(join(tmp, "deploy.env"));
      assert.ok(dotenv.includes(`FLUXOPS_MODEL_VERSION=${v1}\n`));
      assert.ok(dotenv.includes(`FLUXOPS_FUNCTION_URL=${good.function_url}\n`));
      // Everything it started is stopped: the function no longer answers.
      await assert.rejects(() => fetch(`${good.function_url}/api/health`));

      // 2. A model signed with another key: the function refuses it, the smoke test fails,
      //    and the deploy puts back the alias and the package.
      const bad = join(tmp, "bad-model");
      const badVersion = await trainForeignSigned(bad, ["--trees", "3", "--seed", "9"]);

      const second = await deploy([
        "--env",
        "local",
        ...BUSY_WAIT,
        "--state-dir",
        state,
        "--model",
        bad,
        "--json",
        // A 3-tree model may score below the first one: past the promotion gate, to the smoke test.
        "--force",
      ]);
      assert.equal(second.code, 1, second.stderr);
      const failed = JSON.parse(second.stdout);
      assert.equal(failed.failed_step, "smoke");
      assert.match(
        failed.error,
        new RegExp(
          `^deploy failed at step smoke: the function refused ${badVersion}: .*signature does not match`,
        ),
      );
      assert.deepEqual(failed.rollback.map((r: { name: string; ok: boolean }) => [r.name, r.ok]), [
        ["package setting", true],
        ["model alias production", true],
      ]);
      assert.match(second.stderr, /rolled back: the alias and the package are as before/);

      // 3. The environment is as the first deploy left it.
      const settings = JSON.parse(await Deno.readTextFile(join(state, "app_settings.json")));
      assert.equal(settings.WEBSITE_RUN_FROM_PACKAGE, `azblob://deployments/${pkg1}`);
      await withLocalStores(state, async ({ registry }) => {
        assert.equal((await registry.alias("production"))?.pointer.version, v1);
        assert.deepEqual((await registry.versions()).sort(), [v1, badVersion].sort());
      });
      console.log(
        `local rehearsal: two deploys in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
