/**
 * The pipeline run for real, on this machine, with gitlab-ci-local (npm, pinned in deno.json,
 * under Deno): `--list` for each kind of pipeline, and the validate-stage Deno job with the
 * shell executor. Each test works in a throwaway git copy of the repository, so the job's
 * reports and gitlab-ci-local's state never land in the work tree.
 *
 * The job runs with FLUXOPS_PIPELINE_SELFTEST=1: fmt, lint, check and one small test file
 * instead of the suite, which contains this test (docs/Pipeline_Logic.md).
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { needsTool } from "../support/python.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

function has(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
const tools = needsTool(has("git") && has("rsync"), "git and rsync (.ci/setup_pipeline_tools.sh)");

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, cwd, env, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A git repository holding the work tree's files (tracked and untracked, not ignored). */
async function gitCopy(branch: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-pipeline-" });
  const listed = await run("git", ["ls-files", "-z", "-co", "--exclude-standard"], ROOT);
  assert.equal(listed.code, 0, listed.stderr);
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    try {
      await Deno.mkdir(join(dir, dirname(file)), { recursive: true });
      await Deno.copyFile(join(ROOT, file), join(dir, file));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // deleted meanwhile
    }
  }
  const git = (...args: string[]) =>
    run("git", ["-c", "user.email=ci@fluxops.invalid", "-c", "user.name=ci", ...args], dir);
  for (const args of [["init", "-q", "-b", branch], ["add", "-A"], ["commit", "-qm", "copy"]]) {
    const r = await git(...args);
    assert.equal(r.code, 0, r.stderr);
  }
  return { dir, remove: () => Deno.remove(dir, { recursive: true }) };
}

/** Runs gitlab-ci-local in `dir` with a clean environment (no coverage or CI settings leak in). */
async function gcl(dir: string, args: string[], env: Record<string, string> = {}) {
  const home = join(dir, ".gcl-home");
  await Deno.mkdir(home, { recursive: true });
  return await run(
    Deno.execPath(),
    [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(ROOT, "deno.json"),
      "gitlab-ci-local",
      "--home",
      home,
      ...args,
    ],
    dir,
    {
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      HOME: Deno.env.get("HOME") ?? "/tmp",
      GCL_IGNORE_PREDEFINED_VARS: "CI_PIPELINE_SOURCE",
      NO_COLOR: "1",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...env,
    },
  );
}

interface Listed {
  name: string;
  when: string;
}

async function listed(dir: string, vars: string[]): Promise<Record<string, string>> {
  const r = await gcl(dir, ["--list-json", ...vars.flatMap((v) => ["--variable", v])]);
  assert.equal(r.code, 0, r.stderr);
  const jobs = JSON.parse(r.stdout) as Listed[];
  return Object.fromEntries(jobs.filter((j) => j.when !== "never").map((j) => [j.name, j.when]));
}

const VALIDATE = {
  "tools:infra": "on_success",
  "validate:deno": "on_success",
  "validate:infra": "on_success",
  "validate:checkov": "on_success",
  "compile:trainer": "on_success",
};

/** The sharded training's jobs (issue 16): train's parallel slots, then the merge. */
const TRAIN = {
  "train: [1/4]": "on_success",
  "train: [2/4]": "on_success",
  "train: [3/4]": "on_success",
  "train: [4/4]": "on_success",
  "train:merge": "on_success",
};

Deno.test({
  name: "gitlab-ci-local lists the jobs each kind of pipeline runs",
  ...tools,
  async fn() {
    const repo = await gitCopy("develop");
    try {
      const list = await gcl(repo.dir, ["--list"]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /name\s+description\s+stage\s+when/);

      assert.deepEqual(await listed(repo.dir, ["CI_PIPELINE_SOURCE=merge_request_event"]), {
        ...VALIDATE,
        plan: "on_success",
      });
      assert.deepEqual(await listed(repo.dir, ["CI_PIPELINE_SOURCE=push"]), {
        ...VALIDATE,
        plan: "on_success",
        ...TRAIN,
        "deploy:dev": "on_success",
        "smoke:dev": "on_success",
        "teardown:dev": "manual",
      });
      assert.deepEqual(await listed(repo.dir, ["CI_PIPELINE_SOURCE=schedule"]), {
        "tools:infra": "on_success",
        "cleanup:dev": "on_success",
      });
      const main = await run("git", ["checkout", "-q", "-b", "main"], repo.dir);
      assert.equal(main.code, 0, main.stderr);
      assert.deepEqual(await listed(repo.dir, ["CI_PIPELINE_SOURCE=push"]), {
        ...VALIDATE,
        plan: "on_success",
        ...TRAIN,
        "deploy:prod": "manual",
        "smoke:prod": "on_success",
      });
    } finally {
      await repo.remove();
    }
  },
});

/** The DENO_DIR that already holds this project's npm packages, so the job downloads nothing. */
async function denoDir(): Promise<string> {
  const r = await run(Deno.execPath(), ["info", "--json"], ROOT);
  return (JSON.parse(r.stdout) as { denoDir: string }).denoDir;
}

Deno.test({
  name: "the validate-stage Deno job runs green under gitlab-ci-local's shell executor",
  ...tools,
  async fn() {
    const repo = await gitCopy("develop");
    try {
      const t0 = performance.now();
      const r = await gcl(repo.dir, [
        "--force-shell-executor",
        "--variable",
        "FLUXOPS_PIPELINE_SELFTEST=1",
        "--variable",
        `DENO_DIR=${await denoDir()}`,
        "validate:deno",
      ]);
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 0, out.slice(-4000));
      assert.match(out, /PASS\s+validate:deno/);
      for (const step of ["deno fmt --check", "deno lint", "deno check", "pipeline self-test"]) {
        assert.ok(out.includes(step), step);
      }
      const junit = await Deno.readTextFile(join(repo.dir, "reports", "junit.xml"));
      assert.match(junit, /<testsuites[^>]* failures="0"/);
      const cobertura = await Deno.readTextFile(join(repo.dir, "reports", "cobertura.xml"));
      assert.match(cobertura, /filename="lib\/coverage\/lcov_to_cobertura.ts"/);
      console.log(
        `validate:deno under gitlab-ci-local: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      await repo.remove();
    }
  },
});
