/**
 * The sharded training's jobs run for real with gitlab-ci-local's shell executor: `train`
 * (parallel slots, FLUXOPS_TRAIN_SHARDS of them used) and `train:merge`. A 3-way pipeline must
 * produce the model a 1-way pipeline produces: the same forest, bit for bit, and the same
 * metrics. The small helpers repeat gitlab_ci_local_test.ts' on purpose, so the two files merge
 * independently.
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

/** A git repository (branch develop) holding the work tree's tracked and untracked files. */
async function gitCopy(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-shards-" });
  const listed = await run("git", ["ls-files", "-z", "-co", "--exclude-standard"], ROOT);
  assert.equal(listed.code, 0, listed.stderr);
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    try {
      await Deno.mkdir(join(dir, dirname(file)), { recursive: true });
      await Deno.copyFile(join(ROOT, file), join(dir, file));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const git = (...args: string[]) =>
    run("git", ["-c", "user.email=ci@fluxops.invalid", "-c", "user.name=ci", ...args], dir);
  for (const args of [["init", "-q", "-b", "develop"], ["add", "-A"], ["commit", "-qm", "copy"]]) {
    const r = await git(...args);
    assert.equal(r.code, 0, r.stderr);
  }
  return { dir, remove: () => Deno.remove(dir, { recursive: true }) };
}

async function denoDir(): Promise<string> {
  const r = await run(Deno.execPath(), ["info", "--json"], ROOT);
  return (JSON.parse(r.stdout) as { denoDir: string }).denoDir;
}

/** Runs `train:merge` and the train slots it needs, with FLUXOPS_TRAIN_SHARDS = `shards`. */
async function pipeline(dir: string, shards: string) {
  await Deno.remove(join(dir, ".fluxops"), { recursive: true }).catch(() => {});
  const home = join(dir, ".gcl-home");
  await Deno.mkdir(home, { recursive: true });
  const vars = {
    DENO_DIR: await denoDir(),
    // gitlab-ci-local's shell executor points CI_PROJECT_DIR at /builds/...; .azure writes here.
    AZURE_FEDERATED_TOKEN_FILE: join(dir, ".gcl-home", "token"),
    FLUXOPS_TRAIN_SHARDS: shards,
    FLUXOPS_TRAIN_ARGS: "--trees 7 --seed 3",
  };
  const r = await run(
    Deno.execPath(),
    [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(ROOT, "tools", "deno.json"),
      "gitlab-ci-local",
      "--home",
      home,
      "--force-shell-executor",
      ...Object.entries(vars).flatMap(([k, v]) => ["--variable", `${k}=${v}`]),
      "--needs",
      "train:merge",
    ],
    dir,
    {
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      HOME: Deno.env.get("HOME") ?? "/tmp",
      GCL_IGNORE_PREDEFINED_VARS: "CI_PIPELINE_SOURCE",
      NO_COLOR: "1",
    },
  );
  return { code: r.code, out: r.stdout + r.stderr };
}

interface ModelJson {
  forest: unknown;
  metrics: unknown;
  features: unknown;
  data: unknown;
  params: unknown;
}

Deno.test({
  name: "a 3-way sharded training pipeline produces the model a 1-way pipeline produces",
  ...tools,
  async fn() {
    const repo = await gitCopy();
    try {
      const read = async () =>
        JSON.parse(
          await Deno.readTextFile(join(repo.dir, ".fluxops", "merged", "model.json")),
        ) as ModelJson;
      const three = await pipeline(repo.dir, "3");
      assert.equal(three.code, 0, three.out.slice(-4000));
      assert.match(three.out, /slot 4\/4 is not used: FLUXOPS_TRAIN_SHARDS=3/);
      for (const k of [1, 2, 3]) assert.match(three.out, new RegExp(`"shard":"${k}/3"`));
      assert.match(three.out, /PASS\s+train:merge/);
      const sharded = await read();

      const one = await pipeline(repo.dir, "1");
      assert.equal(one.code, 0, one.out.slice(-4000));
      assert.match(one.out, /"shard":"1\/1","trees":\[0,1,2,3,4,5,6\]/);
      const whole = await read();

      assert.deepEqual(sharded.forest, whole.forest);
      assert.deepEqual(sharded.metrics, whole.metrics);
      assert.deepEqual(sharded.features, whole.features);
      assert.deepEqual(sharded.data, whole.data);
      assert.deepEqual(sharded.params, whole.params);
    } finally {
      await repo.remove();
    }
  },
});

Deno.test({
  name: "the train job refuses more shards than it has parallel slots, saying how to get more",
  ...tools,
  async fn() {
    const repo = await gitCopy();
    try {
      for (const bad of ["9", "0", "two"]) {
        const r = await pipeline(repo.dir, bad);
        assert.notEqual(r.code, 0, bad);
        assert.match(r.out, /FLUXOPS_TRAIN_SHARDS: expected 1\.\.4 \(train's parallel: slots\)/);
      }
    } finally {
      await repo.remove();
    }
  },
});
