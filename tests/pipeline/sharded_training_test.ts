/**
 * The sharded training's jobs run for real with gitlab-ci-local's shell executor: `train`
 * (parallel slots, FLUXOPS_TRAIN_SHARDS of them used) and `train:merge`. A 3-way pipeline must
 * produce the model a 1-way pipeline produces: the same forest, bit for bit, and the same
 * metrics. The gitlab-ci-local launcher, the throwaway git copy and the tool check are
 * gitlab_ci_local.ts', shared with the other pipeline tests.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoDir, gcl, gitAndRsync, gitCopy, variables } from "./gitlab_ci_local.ts";

/** Runs `train:merge` and the train slots it needs, with FLUXOPS_TRAIN_SHARDS = `shards`. */
async function pipeline(dir: string, shards: string) {
  await Deno.remove(join(dir, ".fluxops"), { recursive: true }).catch(() => {});
  const vars = {
    DENO_DIR: await denoDir(),
    // gitlab-ci-local's shell executor points CI_PROJECT_DIR at /builds/...; .azure writes here.
    AZURE_FEDERATED_TOKEN_FILE: join(dir, ".gcl-home", "token"),
    FLUXOPS_TRAIN_SHARDS: shards,
    FLUXOPS_TRAIN_ARGS: "--trees 7 --seed 3",
  };
  const r = await gcl(dir, [
    "--force-shell-executor",
    ...variables(vars),
    "--needs",
    "train:merge",
  ]);
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
  ...gitAndRsync,
  async fn() {
    const repo = await gitCopy("develop");
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
  ...gitAndRsync,
  async fn() {
    const repo = await gitCopy("develop");
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
