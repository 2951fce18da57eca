/**
 * The pipeline run for real, on this machine, with gitlab-ci-local (npm, pinned in tools/deno.json,
 * under Deno): the jobs of each kind of pipeline (workflow rules included, through the probe job
 * of ./gitlab_ci_local.ts), and the validate-stage Deno job with the shell executor. Each test
 * works in a throwaway git copy of the repository, so the job's reports and gitlab-ci-local's
 * state never land in the work tree.
 *
 * The job runs with FLUXOPS_PIPELINE_SELFTEST=1: fmt, lint, check and one small test file
 * instead of the suite, which contains this test (docs/Pipeline_Logic.md).
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  addWorkflowProbe,
  denoDir,
  editCi,
  gcl,
  gitAndRsync as tools,
  gitCopy,
  pipeline,
} from "./gitlab_ci_local.ts";

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
const DEVELOP_PUSH = {
  ...VALIDATE,
  plan: "on_success",
  ...TRAIN,
  "deploy:dev": "on_success",
  "smoke:dev": "on_success",
  "teardown:dev": "manual",
};
const MAIN_PUSH = {
  ...VALIDATE,
  plan: "on_success",
  ...TRAIN,
  "deploy:prod": "manual",
  "smoke:prod": "on_success",
};
const MR = "group/fluxops!7";

Deno.test({
  name: "gitlab-ci-local lists the jobs each kind of pipeline runs",
  ...tools,
  async fn() {
    const repo = await gitCopy("develop", (dir) => editCi(dir, addWorkflowProbe));
    try {
      const list = await gcl(repo.dir, ["--list"]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /name\s+description\s+stage\s+when/);

      assert.deepEqual(await pipeline(repo.dir, { CI_PIPELINE_SOURCE: "merge_request_event" }), {
        ...VALIDATE,
        plan: "on_success",
      });
      assert.deepEqual(await pipeline(repo.dir, { CI_PIPELINE_SOURCE: "push" }), DEVELOP_PUSH);
      assert.deepEqual(await pipeline(repo.dir, { CI_PIPELINE_SOURCE: "schedule" }), {
        "tools:infra": "on_success",
        "cleanup:dev": "on_success",
      });
      await repo.branch("main");
      assert.deepEqual(await pipeline(repo.dir, { CI_PIPELINE_SOURCE: "push" }), MAIN_PUSH);
    } finally {
      await repo.remove();
    }
  },
});

// Issue 13, item 8: with a release merge request develop -> main open, GitLab sets
// CI_OPEN_MERGE_REQUESTS on develop's push pipelines; a rule dropping push pipelines of branches
// with open merge requests dropped develop's deploy with it.
Deno.test({
  name: "a push to develop or main still deploys while a merge request from it is open",
  ...tools,
  async fn() {
    const repo = await gitCopy("develop", (dir) => editCi(dir, addWorkflowProbe));
    try {
      const push = { CI_PIPELINE_SOURCE: "push", CI_OPEN_MERGE_REQUESTS: MR };
      assert.deepEqual(await pipeline(repo.dir, push), DEVELOP_PUSH);
      await repo.branch("main");
      assert.deepEqual(await pipeline(repo.dir, push), MAIN_PUSH);
      // A feature branch still has no branch pipeline, open merge request or not: its merge
      // request pipeline is its only one.
      await repo.branch("feature/x");
      assert.deepEqual(await pipeline(repo.dir, push), {});
      assert.deepEqual(await pipeline(repo.dir, { CI_PIPELINE_SOURCE: "push" }), {});
      assert.deepEqual(
        await pipeline(repo.dir, { CI_PIPELINE_SOURCE: "merge_request_event" }),
        { ...VALIDATE, plan: "on_success" },
      );
    } finally {
      await repo.remove();
    }
  },
});

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
      assert.match(cobertura, /filename="tasks\/lcov_to_cobertura.ts"/);
      console.log(
        `validate:deno under gitlab-ci-local: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } finally {
      await repo.remove();
    }
  },
});
