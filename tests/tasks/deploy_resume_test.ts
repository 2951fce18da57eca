/**
 * The local rehearsal's Azure-like behaviours that a first real deploy would meet: a deploy
 * killed halfway and run again, and a first deploy that fails (Terraform's placeholder package).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { hasOpenssl } from "../../tasks/local/tls.ts";
import { type Ran, trainForeignSigned, withLocalStores } from "../support/deploy.ts";
import { needsTool } from "../support/python.ts";

const ROOT = join(import.meta.dirname!, "..", "..");
const TRAINER = ["--", "--trees", "10"];

function spawnDeploy(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    // --wait: the smoke step's wait is a hang guard here; a busy machine restarts the app slowly.
    args: ["run", "--allow-all", "tasks/deploy.ts", "--env", "local", "--wait", "300", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function deploy(args: string[]): Promise<Ran & { ms: number }> {
  const t0 = performance.now();
  const out = await spawnDeploy(args).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

/** Runs a deploy and SIGKILLs it as soon as its progress shows `line`; returns what it printed. */
async function killAt(args: string[], line: RegExp): Promise<string> {
  const child = spawnDeploy(args);
  void child.stdout.cancel();
  let seen = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stderr) {
    seen += dec.decode(chunk, { stream: true });
    if (line.test(seen)) {
      child.kill("SIGKILL");
      break;
    }
  }
  await child.stderr.cancel().catch(() => {});
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `the deploy ended before ${line}:\n${seen}`);
  return seen;
}

/** Pids of processes a local environment in `state` runs (Azurite, the app). */
async function environmentProcesses(state: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    const args = cmd.split("\0").join(" ");
    if (args.includes(`--location ${state}/azurite`) || args.startsWith(`${state}/run/`)) {
      pids.push(Number(e.name));
    }
  }
  return pids;
}

/** What an environment holds: versions, alias, releases, the app's setting, the journal. */
function inspect(state: string) {
  return withLocalStores(state, async ({ registry, open }) => {
    const deployments = open("azblob://deployments");
    const alias = await registry.alias("production");
    const journal = await deployments.get("journal/production.json");
    const settings = JSON.parse(await Deno.readTextFile(join(state, "app_settings.json")));
    const setting: string = settings.WEBSITE_RUN_FROM_PACKAGE;
    const blob = setting.replace("azblob://deployments/", "");
    return {
      versions: await registry.versions(),
      alias: alias?.pointer.version,
      history: alias?.pointer.history.length,
      releases: await deployments.list("function/"),
      setting: blob,
      settingExists: (await deployments.etag(blob)) !== undefined,
      journal: journal && JSON.parse(new TextDecoder().decode(journal.bytes)),
    };
  });
}

/** The content hash part of a model version or release name. */
const hash = (name: string | undefined) => /-([0-9a-f]{8})(\.zip)?$/.exec(name ?? "")?.[1];

Deno.test({
  name:
    "a deploy killed with SIGKILL after a step is finished by running it again, ending as an uninterrupted deploy does",
  ...needsTool(hasOpenssl(), "openssl (for the stand-ins' HTTPS)"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-resume-" });
    const straight = join(tmp, "straight");
    const killed = join(tmp, "killed");
    try {
      // The reference: one uninterrupted deploy, with the Azure-like behaviours on by default.
      const ref = await deploy(["--state-dir", straight, "--json", ...TRAINER]);
      assert.equal(ref.code, 0, ref.stderr);
      assert.match(
        ref.stderr,
        /waiting for the function host to finish restarting before reading its keys: listkeys answered HTTP 400/,
        "listkeys refuses while the host restarts, by default",
      );
      console.log(`uninterrupted local deploy: ${(ref.ms / 1000).toFixed(1)} s`);

      // Killed right after the apply step (locally: the stand-ins are up), then after point.
      await killAt(["--state-dir", killed, ...TRAINER], /\[2\/9\] outputs/);
      assert.ok((await environmentProcesses(killed)).length > 0, "the kill left Azurite running");
      const second = await killAt(["--state-dir", killed, ...TRAINER], /\[9\/9\] smoke/);
      assert.match(second, /stopped pid \d+, left running by a deploy that was killed/);
      const orphans = await environmentProcesses(killed);
      assert.ok(orphans.length >= 1, "the second kill left processes running too");

      // Run again: it resumes, reuses the model and the package, and succeeds.
      const third = await deploy(["--state-dir", killed, "--json", ...TRAINER]);
      assert.equal(third.code, 0, third.stderr);
      const report = JSON.parse(third.stdout);
      const detail = (name: string) =>
        report.steps.find((s: { name: string }) => s.name === name).detail as string;
      assert.match(
        detail("train"),
        /^resuming the interrupted deploy started .*not training again/,
      );
      assert.match(detail("publish"), /already published \(by the interrupted deploy\)/);
      assert.match(detail("promote"), /already names/);
      assert.match(detail("upload"), /was uploaded by the interrupted deploy \(same sha256\)/);
      assert.match(detail("point"), /already names/);
      assert.match(detail("smoke"), /health, model-info, predict, bad input: ok/);
      assert.deepEqual(await environmentProcesses(killed), [], "nothing is left running");
      for (const pid of orphans) {
        assert.ok(!(await Deno.stat(`/proc/${pid}`).catch(() => undefined)), `pid ${pid} ended`);
      }

      const a = await inspect(straight);
      const b = await inspect(killed);
      for (const env of [a, b]) {
        assert.equal(env.versions.length, 1, "one model version");
        assert.equal(env.releases.length, 1, "one package release");
        assert.equal(env.alias, env.versions[0]);
        assert.equal(env.history, 0, "the alias history has no half-deployed entry");
        assert.equal(env.setting, env.releases[0]);
        assert.ok(env.settingExists);
        assert.equal(env.journal.open, false, "the journal is closed");
      }
      assert.equal(hash(b.alias), hash(a.alias), "the same model content");
      assert.equal(hash(b.setting), hash(a.setting), "the same package bytes");
    } finally {
      for (const state of [straight, killed]) {
        for (const pid of await environmentProcesses(state)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* gone */ }
        }
      }
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a first deploy that fails never rolls back to Terraform's placeholder package, and says there is nothing to roll back to",
  ...needsTool(hasOpenssl(), "openssl (for the stand-ins' HTTPS)"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "fluxops-deploy-first-" });
    const state = join(tmp, "state");
    try {
      // A model signed with a key that is not the vault's: the function refuses it.
      const bad = join(tmp, "bad-model");
      await trainForeignSigned(bad, ["--trees", "3"]);

      const first = await deploy(["--state-dir", state, "--model", bad, "--json"]);
      assert.equal(first.code, 1, first.stderr);
      const report = JSON.parse(first.stdout);
      assert.equal(report.failed_step, "smoke");
      assert.deepEqual(
        report.rollback.map((r: { name: string; ok: boolean; detail: string }) => [
          r.name,
          r.ok,
          r.detail.replace(/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/g, "<v>"),
        ]),
        [
          [
            "package setting",
            true,
            "nothing to roll back to: the previous package function/fluxops-function.zip does " +
            "not exist (never uploaded, or deleted); the app stays on " +
            "azblob://deployments/function/<v>.zip",
          ],
          [
            "model alias production",
            true,
            "nothing to roll back to: production named no version before this deploy; it " +
            "stays on <v>",
          ],
        ],
      );
      assert.match(first.stderr, /nothing to roll back to for package setting and model alias/);

      const env = await inspect(state);
      assert.equal(env.setting, report.package, "the app stays on the package just uploaded");
      assert.ok(env.settingExists, "the setting names a blob that exists");
      assert.equal(env.journal.open, false);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
