/**
 * The pipeline's OpenTofu jobs run under gitlab-ci-local's shell executor against a stand-in of
 * GitLab's state API that enforces GitLab's roles (./gitlab_state.ts), with the real OpenTofu of
 * the tool cache. The copy's infra/ is a one-resource module (random provider, from the cache's
 * mirror) with a committed lock file, so nothing reaches Azure.
 *
 * What issue 13 found (items 5, 7 and 13), each asserted here:
 * - a merge-request plan started by a Developer must read the state with the job token and
 *   never lock or write it (GitLab answers 403 to a Developer's lock);
 * - deploys and teardowns lock and write with TF_STATE_TOKEN, a Maintainer access token; without
 *   it, CI_JOB_TOKEN works only for a Maintainer, and the job says so;
 * - merge-request plans pass deployer_object_id explicitly;
 * - every init uses exactly the committed lock file and leaves it as it is.
 *
 * deploy:dev's own script is `deno task deploy`, which trains and publishes to Azure; this test
 * swaps in its first step, the apply of the reviewed plan, and keeps the job's variables,
 * before_script and rules. Not run against GitLab.com: its roles are taken from GitLab's
 * documentation (docs/Pipeline_Logic.md, "State access").
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliConfigPath, tofuEnv, tofuPath } from "../support/infra_tools.ts";
import { needsTool, toolCache } from "../support/python.ts";
import {
  denoDir,
  editCi,
  gcl,
  gitAndRsync,
  type GitCopy,
  gitCopy,
  run,
  variables,
} from "./gitlab_ci_local.ts";
import { type GitLabState, startGitLabState } from "./gitlab_state.ts";

const tofu = tofuPath();
const tools = needsTool(
  tofu !== undefined && !gitAndRsync.ignore,
  "tofu and its provider mirror (.ci/setup_infra_tools.sh), git and rsync " +
    "(.ci/setup_pipeline_tools.sh)",
);

const TINY_MAIN = `terraform {
  required_providers {
    random = {
      source  = "hashicorp/random"
      version = "3.9.0"
    }
  }
}

variable "environment" {
  type = string
}

variable "deployer_object_id" {
  type    = string
  default = null
}

resource "random_string" "id" {
  length  = 8
  special = false
}

output "deployer_object_id" {
  value = var.deployer_object_id
}
`;

const TOKENS = {
  developerJob: "job-token-of-a-developer",
  maintainerJob: "job-token-of-a-maintainer",
  stateToken: "glpat-project-maintainer",
} as const;

const DEPLOYER = "0b7c1a52-3f4e-4d2a-9c61-5e8f2a9d1c33";

/** Replaces the copy's infra/ with the tiny module and a lock file made from the mirror. */
async function tinyInfra(dir: string, lock: "made" | "empty"): Promise<void> {
  const infra = join(dir, "infra");
  await Deno.remove(infra, { recursive: true });
  await Deno.mkdir(join(infra, "env"), { recursive: true });
  await Deno.writeTextFile(join(infra, "main.tf"), TINY_MAIN);
  await Deno.writeTextFile(join(infra, "env", "dev.tfvars"), 'environment = "dev"\n');
  await Deno.writeTextFile(join(infra, "env", "prod.tfvars"), 'environment = "prod"\n');
  const lockFile = join(infra, ".terraform.lock.hcl");
  if (lock === "made") {
    const data = await Deno.makeTempDir({ prefix: "fluxops-tf-data-" });
    try {
      const init = await run(
        tofu!,
        [`-chdir=${infra}`, "init", "-backend=false", "-input=false"],
        dir,
        tofuEnv({ TF_DATA_DIR: data }),
      );
      assert.equal(init.code, 0, init.stderr);
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  } else {
    // A lock file that names no provider: what a stale or hand-edited lock looks like.
    await Deno.writeTextFile(lockFile, "# This file is maintained automatically by tofu init.\n");
  }
  // The copy commits the lock file, as the repository does.
  const ignore = join(dir, ".gitignore");
  const lines = (await Deno.readTextFile(ignore)).split("\n");
  await Deno.writeTextFile(
    ignore,
    lines.filter((l) => l.trim() !== "infra/.terraform.lock.hcl").join("\n"),
  );
}

/** A copy on `branch` with the tiny module, deploy:dev reduced to its apply step. */
function copy(branch: string, lock: "made" | "empty" = "made"): Promise<GitCopy> {
  return gitCopy(branch, async (dir) => {
    await tinyInfra(dir, lock);
    await editCi(dir, (ci) => {
      (ci["deploy:dev"] as { script: string[] }).script = [
        'deno task infra apply --env "$DEPLOY_ENV" --plan plan/plan.tfplan --auto-approve',
      ];
    });
  });
}

/** Runs `job` under gitlab-ci-local with the shell executor against `state`. */
async function job(
  repo: GitCopy,
  state: GitLabState,
  name: string,
  vars: Record<string, string>,
) {
  const r = await gcl(repo.dir, [
    "--force-shell-executor",
    ...variables({
      // gitlab-ci-local says /builds/<group>/<project> even for the shell executor, which runs
      // the job in the copy itself, as a GitLab runner runs it in CI_PROJECT_DIR.
      CI_PROJECT_DIR: repo.dir,
      FLUXOPS_TOOL_CACHE: toolCache(),
      TF_CLI_CONFIG_FILE: cliConfigPath(),
      CHECKPOINT_DISABLE: "1",
      DENO_DIR: await denoDir(),
      CI_API_V4_URL: state.apiUrl,
      CI_PROJECT_ID: "42",
      ...vars,
    }),
    name,
  ], {
    GCL_IGNORE_PREDEFINED_VARS:
      "CI_PIPELINE_SOURCE,CI_PROJECT_DIR,CI_API_V4_URL,CI_PROJECT_ID,GITLAB_USER_LOGIN",
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

function startState(): GitLabState {
  return startGitLabState({
    tokens: {
      [TOKENS.developerJob]: { kind: "job", role: "developer" },
      [TOKENS.maintainerJob]: { kind: "job", role: "maintainer" },
      [TOKENS.stateToken]: { kind: "access", role: "maintainer" },
    },
  });
}

const requests = (state: GitLabState) =>
  state.seen.map((s) => `${s.method} ${s.path} ${s.who} ${s.status}`);

Deno.test({
  name: "a Developer's merge-request plan reads the state with the job token, never locks or " +
    "writes it, and plans for the given deployer_object_id",
  ...tools,
  async fn() {
    const state = startState();
    const repo = await copy("feature/x");
    try {
      const lockBefore = await Deno.readTextFile(join(repo.dir, "infra", ".terraform.lock.hcl"));
      const r = await job(repo, state, "plan", {
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_JOB_TOKEN: TOKENS.developerJob,
        // Exposed when the source branch is protected (the release MR from develop): ignored.
        TF_STATE_TOKEN: TOKENS.stateToken,
        AZURE_DEPLOYER_OBJECT_ID: DEPLOYER,
      });
      assert.equal(r.code, 0, r.out.slice(-4000));
      assert.match(r.out, /PASS\s+plan/);
      assert.match(r.out, /state: read-only with CI_JOB_TOKEN \(plan -lock=false\)/);
      assert.ok(state.seen.length > 0, "the plan read the state");
      for (const s of state.seen) {
        assert.deepEqual([s.method, s.who], ["GET", "job:developer"], requests(state).join("\n"));
      }
      const plan = JSON.parse(
        await Deno.readTextFile(join(repo.dir, ".fluxops", "infra", "dev", "plan.json")),
      ) as { variables: Record<string, { value: unknown }> };
      assert.equal(plan.variables.deployer_object_id?.value, DEPLOYER);
      assert.equal(
        await Deno.readTextFile(join(repo.dir, "infra", ".terraform.lock.hcl")),
        lockBefore,
        "the plan left the committed lock file as it was",
      );
    } finally {
      await state.close();
      await repo.remove();
    }
  },
});

Deno.test({
  name: "a merge-request plan without AZURE_DEPLOYER_OBJECT_ID fails before planning, saying " +
    "what to set",
  ...tools,
  async fn() {
    const state = startState();
    const repo = await copy("feature/x");
    try {
      const r = await job(repo, state, "plan", {
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_JOB_TOKEN: TOKENS.developerJob,
      });
      assert.notEqual(r.code, 0, r.out.slice(-4000));
      assert.match(r.out, /AZURE_DEPLOYER_OBJECT_ID is not set/);
      assert.deepEqual(state.seen, [], "nothing reached the state");
    } finally {
      await state.close();
      await repo.remove();
    }
  },
});

Deno.test({
  name: "on develop the plan locks with TF_STATE_TOKEN and the deploy applies it, locking and " +
    "writing the state with the lock file the plan used, though the pusher is a Developer",
  ...tools,
  async fn() {
    const state = startState();
    const repo = await copy("develop");
    try {
      const lockBefore = await Deno.readTextFile(join(repo.dir, "infra", ".terraform.lock.hcl"));
      const push = {
        CI_PIPELINE_SOURCE: "push",
        CI_JOB_TOKEN: TOKENS.developerJob,
        TF_STATE_TOKEN: TOKENS.stateToken,
      };
      const plan = await job(repo, state, "plan", push);
      assert.equal(plan.code, 0, plan.out.slice(-4000));
      assert.match(plan.out, /state: locked and written with TF_STATE_TOKEN/);
      assert.ok(requests(state).includes("POST dev/lock access:maintainer 200"));
      assert.equal(state.locks.size, 0, "the plan released its lock");
      // The plan's artifact carries the lock file to the deploy job.
      assert.equal(
        await Deno.readTextFile(
          join(repo.dir, ".gitlab-ci-local", "artifacts", "plan", "infra", ".terraform.lock.hcl"),
        ),
        lockBefore,
      );

      state.seen.length = 0;
      const deploy = await job(repo, state, "deploy:dev", push);
      assert.equal(deploy.code, 0, deploy.out.slice(-4000));
      const seen = requests(state);
      for (const expected of ["POST dev/lock", "POST dev", "DELETE dev/lock"]) {
        assert.ok(seen.includes(`${expected} access:maintainer 200`), seen.join("\n"));
      }
      assert.ok(!state.seen.some((s) => s.who === "job:developer"), seen.join("\n"));
      assert.match(state.states.get("dev") ?? "", /"random_string"/);
      assert.equal(
        await Deno.readTextFile(join(repo.dir, "infra", ".terraform.lock.hcl")),
        lockBefore,
      );
    } finally {
      await state.close();
      await repo.remove();
    }
  },
});

Deno.test({
  name: "without TF_STATE_TOKEN the scheduled clean-up uses the job token: it works for a " +
    "Maintainer and fails for a Developer with a message naming the token to set",
  ...tools,
  async fn() {
    const state = startState();
    const repo = await copy("develop");
    try {
      // A schedule's jobs run as the schedule's owner (cleanup:dev, unlike the manual
      // teardown:dev, may not fail).
      const schedule = { CI_PIPELINE_SOURCE: "schedule" };
      const refused = await job(repo, state, "cleanup:dev", {
        ...schedule,
        CI_JOB_TOKEN: TOKENS.developerJob,
        GITLAB_USER_LOGIN: "dev-user",
      });
      assert.notEqual(refused.code, 0, refused.out.slice(-4000));
      assert.match(refused.out, /TF_STATE_TOKEN is not set; using CI_JOB_TOKEN/);
      assert.match(
        refused.out,
        /only if dev-user has the\s+Maintainer role \(QUICKSTART\.md, 'State token'\)/,
      );
      assert.match(refused.out, /invalid auth/);
      assert.ok(requests(state).includes("POST dev/lock job:developer 403"));

      const done = await job(repo, state, "cleanup:dev", {
        ...schedule,
        CI_JOB_TOKEN: TOKENS.maintainerJob,
      });
      assert.equal(done.code, 0, done.out.slice(-4000));
      assert.match(done.out, /PASS\s+cleanup:dev/);
      assert.ok(requests(state).includes("POST dev/lock job:maintainer 200"));
    } finally {
      await state.close();
      await repo.remove();
    }
  },
});

Deno.test({
  name: "a plan whose lock file lacks a provider fails instead of adding it to the lock file",
  ...tools,
  async fn() {
    const state = startState();
    const repo = await copy("feature/x", "empty");
    try {
      const lockFile = join(repo.dir, "infra", ".terraform.lock.hcl");
      const before = await Deno.readTextFile(lockFile);
      const r = await job(repo, state, "plan", {
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_JOB_TOKEN: TOKENS.developerJob,
        AZURE_DEPLOYER_OBJECT_ID: DEPLOYER,
      });
      assert.notEqual(r.code, 0, r.out.slice(-4000));
      assert.match(r.out, /Provider dependency changes detected/);
      assert.match(r.out, /-lockfile=readonly/);
      assert.equal(await Deno.readTextFile(lockFile), before, "the lock file was not changed");
    } finally {
      await state.close();
      await repo.remove();
    }
  },
});
