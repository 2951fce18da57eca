import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname!, "..", "..");
const STAGES = ["validate", "plan", "deploy", "test", "teardown"];
const RESERVED = new Set([
  "stages",
  "workflow",
  "variables",
  "default",
  "include",
  "image",
  "cache",
]);

type Job = Record<string, unknown> & {
  extends?: string | string[];
  script?: string[];
  rules?: { if?: string; when?: string }[];
};
const ci = parse(await Deno.readTextFile(join(ROOT, ".gitlab-ci.yml"))) as Record<string, Job>;
const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));

/** A job with its `extends` chain merged in, as GitLab merges it (hashes deep, arrays replaced). */
function resolved(name: string): Job {
  const job = ci[name];
  assert.ok(job, `job ${name} exists`);
  const parents = job.extends === undefined ? [] : [job.extends].flat();
  const merge = (
    a: Record<string, unknown>,
    b: Record<string, unknown>,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const prev = out[k];
      out[k] = prev && v && typeof prev === "object" && typeof v === "object" &&
          !Array.isArray(prev) && !Array.isArray(v)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
    }
    return out;
  };
  let base: Record<string, unknown> = {};
  for (const p of parents) base = merge(base, resolved(p));
  const { extends: _, ...own } = job;
  return merge(base, own) as Job;
}

const jobs = Object.keys(ci).filter((k) => !RESERVED.has(k) && !k.startsWith("."));
const script = (name: string) => (resolved(name).script ?? []).join("\n");

Deno.test(".gitlab-ci.yml parses, with the five stages in order and every job in one of them", () => {
  assert.deepEqual(ci.stages, STAGES);
  for (const name of jobs) {
    assert.ok(STAGES.includes(resolved(name).stage as string), `${name}: stage`);
  }
  assert.deepEqual(jobs.sort(), [
    "cleanup:dev",
    "compile:trainer",
    "deploy:dev",
    "deploy:prod",
    "plan",
    "smoke:dev",
    "smoke:prod",
    "teardown:dev",
    "tools:infra",
    "train",
    "train:merge",
    "validate:checkov",
    "validate:deno",
    "validate:infra",
  ]);
});

Deno.test("every job runs on a pinned image; Deno jobs on this Deno's image with DENO_DIR cached per both lock files", () => {
  for (const name of jobs) {
    const image = resolved(name).image as string;
    assert.match(image, /^[\w./-]+:[\w.-]*\d[\w.-]*$/, `${name}: pinned image, got ${image}`);
    assert.ok(!/:latest$/.test(image), name);
  }
  const deno = resolved("validate:deno");
  assert.equal(deno.image, `denoland/deno:debian-${Deno.version.deno}`);
  const ciRun = ciRunDenoVersion();
  assert.equal(
    deno.image,
    `denoland/deno:debian-${ciRun}`,
    ".ci/run and the pipeline use one Deno",
  );
  const [cache] = deno.cache as { key: { files: string[] }; paths: string[] }[];
  assert.deepEqual(cache!.key.files, ["deno.lock", "tools/deno.lock"]);
  assert.deepEqual(cache!.paths, [".fluxops/deno/"]);
  assert.equal((ci.variables as Record<string, string>).DENO_DIR, "$CI_PROJECT_DIR/.fluxops/deno");
});

function ciRunDenoVersion(): string {
  const text = Deno.readTextFileSync(join(ROOT, ".ci", "run"));
  return /^DENO_VERSION=(\S+)/m.exec(text)![1]!;
}

Deno.test("validate runs fmt, lint, check, the suite with JUnit and Cobertura reports, infra checks and checkov", () => {
  const s = script("validate:deno");
  for (
    const cmd of ["deno fmt --check", "deno lint", "deno check", "--junit-path=reports/junit.xml"]
  ) {
    assert.ok(s.includes(cmd), cmd);
  }
  assert.match(s, /deno coverage .* --lcov .*> reports\/coverage.lcov/);
  assert.match(s, /deno task lcov:cobertura reports\/coverage.lcov --out reports\/cobertura.xml/);
  assert.match(s, /FLUXOPS_PIPELINE_SELFTEST/);
  const reports =
    (resolved("validate:deno").artifacts as { reports: Record<string, unknown> }).reports;
  assert.deepEqual(reports, {
    junit: "reports/junit.xml",
    coverage_report: { coverage_format: "cobertura", path: "reports/cobertura.xml" },
  });
  assert.ok(new RegExp(resolved("validate:deno").coverage!.toString().slice(1, -1)).test(
    "line coverage of lib/: 93.4% (floor 90%)",
  ));
  assert.match(script("validate:infra"), /deno task infra fmt --check\ndeno task infra validate/);
  assert.match(script("validate:checkov"), /checkov -d infra/);
  assert.match(script("compile:trainer"), /deno task compile/);
  // The binary it ships publishes to Azurite with the permissions deno.json's train task has.
  assert.match(
    script("compile:trainer"),
    /FLUXOPS_TRAINER_BINARY="\$PWD\/dist\/fluxops-trainer" deno test .*tests\/tasks\/compile_test\.ts/,
  );
  assert.deepEqual((resolved("compile:trainer").artifacts as { paths: string[] }).paths, [
    "dist/fluxops-trainer",
  ]);
});

Deno.test("plan saves the plan and reports create/update/delete to the merge-request widget", () => {
  const plan = resolved("plan");
  assert.match(script("plan"), /deno task infra plan --env "\$DEPLOY_ENV"/);
  const artifacts = plan.artifacts as Record<string, unknown> & { reports: Record<string, string> };
  assert.equal(artifacts.reports.terraform, "plan/plan.report.json");
  assert.deepEqual(artifacts.paths, ["plan/plan.tfplan", "infra/.terraform.lock.hcl"]);
  assert.equal(artifacts.access, "developer", "the plan holds secrets");
});

const TOFU_JOBS = [
  "validate:infra",
  "plan",
  "deploy:dev",
  "deploy:prod",
  "teardown:dev",
  "cleanup:dev",
];

// Issue 13, item 5: azurerm releases weekly; a re-init between plan and apply may pick another.
Deno.test("every OpenTofu job initialises from the committed lock file read-only; none upgrades, regenerates or deletes it", () => {
  for (const name of TOFU_JOBS) {
    const vars = resolved(name).variables as Record<string, string>;
    assert.equal(vars.TF_CLI_ARGS_init, "-lockfile=readonly", name);
  }
  const text = Deno.readTextFileSync(join(ROOT, ".gitlab-ci.yml"));
  const commands = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
  assert.doesNotMatch(commands, /-upgrade|providers lock|-lockfile=(?!readonly)/);
  assert.doesNotMatch(commands, /(rm|mv|>)[^\n]*\.terraform\.lock\.hcl/);
  // The deploy applies the plan with the very lock file the plan was made with.
  assert.ok(
    (resolved("plan").artifacts as { paths: string[] }).paths.includes(
      "infra/.terraform.lock.hcl",
    ),
  );
  for (const name of ["deploy:dev", "deploy:prod"]) {
    assert.deepEqual(
      (resolved(name).needs as { job: string; artifacts: boolean }[]).find((n) => n.job === "plan"),
      { job: "plan", artifacts: true },
      name,
    );
  }
});

// Issue 13, item 13: a cancelled plan can leave the state lock held.
Deno.test("plan jobs are never interruptible, like every job that writes state", () => {
  for (const name of ["plan", "deploy:dev", "deploy:prod", "teardown:dev", "cleanup:dev"]) {
    assert.equal(resolved(name).interruptible, false, name);
  }
});

// Issue 13, item 7: GitLab-managed state lets Developers read, only Maintainers lock and write.
Deno.test("merge-request plans only read the state; plans on develop/main, deploys and teardowns write it", () => {
  type Rule = { if?: string; when?: string; variables?: Record<string, string> };
  const access = (rules: Rule[]) =>
    rules.filter((r) => r.when !== "never").map((r) => [
      /merge_request_event/.test(r.if ?? "") ? "mr" : "branch",
      r.variables?.FLUXOPS_STATE_ACCESS,
    ]);
  assert.deepEqual(access(resolved("plan").rules as Rule[]), [
    ["mr", "read"],
    ["mr", "read"],
    ["branch", "write"],
    ["branch", "write"],
  ]);
  for (const name of ["deploy:dev", "deploy:prod", "teardown:dev", "cleanup:dev"]) {
    assert.equal(
      (resolved(name).variables as Record<string, string>).FLUXOPS_STATE_ACCESS,
      "write",
    );
  }
  for (const name of ["smoke:dev", "smoke:prod"]) {
    assert.equal(
      (resolved(name).variables as Record<string, string>).FLUXOPS_STATE_ACCESS,
      undefined,
    );
  }
});

Deno.test("deploy runs `deno task deploy`, automatic for dev, manual for prod, with environments and a dotenv", () => {
  for (
    const [name, env, when] of [["deploy:dev", "dev", undefined], ["deploy:prod", "prod", "manual"]]
  ) {
    const job = resolved(name!);
    assert.match(
      script(name!),
      /^deno task deploy --env "\$DEPLOY_ENV" --plan plan\/plan.tfplan --dotenv deploy.env/,
    );
    assert.equal((job.variables as Record<string, string>).DEPLOY_ENV, env);
    assert.equal((job.environment as { name: string }).name, env);
    assert.equal((job.environment as { url: string }).url, "$FLUXOPS_FUNCTION_URL");
    assert.equal((job.artifacts as { reports: { dotenv: string } }).reports.dotenv, "deploy.env");
    const branchRule = job.rules!.at(-1)!;
    assert.equal(branchRule.when, when, name);
  }
  for (const [name, needs] of [["smoke:dev", "deploy:dev"], ["smoke:prod", "deploy:prod"]]) {
    assert.deepEqual(resolved(name!).needs, [needs]);
    assert.match(script(name!), /deno task smoke --url "\$FLUXOPS_FUNCTION_URL"/);
  }
});

Deno.test("teardown has a manual destroy and a scheduled clean-up of dev", () => {
  const manual = resolved("teardown:dev");
  assert.equal(manual.rules!.at(-1)!.when, "manual");
  assert.deepEqual(resolved("cleanup:dev").rules, [{ if: '$CI_PIPELINE_SOURCE == "schedule"' }]);
  for (const name of ["teardown:dev", "cleanup:dev"]) {
    assert.match(script(name), /deno task infra destroy --env dev --auto-approve/);
    assert.deepEqual(resolved(name).environment, { name: "dev", action: "stop" });
  }
});

Deno.test("Azure is reached with GitLab OIDC ID tokens only: the one stored secret is GitLab's state token", () => {
  for (
    const name of [
      "plan",
      "deploy:dev",
      "deploy:prod",
      "smoke:dev",
      "smoke:prod",
      "teardown:dev",
      "cleanup:dev",
    ]
  ) {
    const job = resolved(name);
    assert.deepEqual(
      job.id_tokens,
      { ARM_OIDC_TOKEN: { aud: "api://AzureADTokenExchange" } },
      name,
    );
    const vars = job.variables as Record<string, string>;
    assert.equal(vars.ARM_USE_OIDC, "true");
    assert.equal(vars.AZURE_FEDERATED_TOKEN_FILE, "$CI_PROJECT_DIR/.fluxops/azure-federated-token");
    assert.match(
      (job.before_script as string[]).join("\n"),
      /printf '%s' "\$ARM_OIDC_TOKEN" > "\$AZURE_FEDERATED_TOKEN_FILE"/,
    );
  }
  const text = Deno.readTextFileSync(join(ROOT, ".gitlab-ci.yml"));
  // The http backend's password is GitLab's state token, set in the job from TF_STATE_TOKEN
  // and unset for read-only plans; no Azure secret exists anywhere.
  const lines = text.split("\n").filter((l) => !/^\s*#/.test(l));
  const password = lines.filter((l) => /PASSWORD/i.test(l)).map((l) => l.trim());
  assert.deepEqual(password, [
    "unset TF_HTTP_PASSWORD TF_HTTP_USERNAME",
    'export TF_HTTP_PASSWORD="$TF_STATE_TOKEN"',
  ]);
  assert.equal(lines.filter((l) => l.includes("$TF_STATE_TOKEN")).length, 1);
  assert.doesNotMatch(text, /CLIENT_SECRET|ACCOUNT_KEY|SharedAccessSignature/i);
});

Deno.test("merge requests never deploy, schedules run only the clean-up, every deno task used exists", () => {
  for (const name of ["deploy:dev", "deploy:prod", "smoke:dev", "smoke:prod", "teardown:dev"]) {
    assert.deepEqual(resolved(name).rules![0], {
      if: '$CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "merge_request_event"',
      when: "never",
    });
  }
  const tasks = new Set(Object.keys(denoJson.tasks));
  const text = Deno.readTextFileSync(join(ROOT, ".gitlab-ci.yml"));
  for (const [, task] of text.matchAll(/deno task (?:--quiet )?([\w:-]+)/g)) {
    assert.ok(tasks.has(task!), `deno task ${task} is defined in deno.json`);
  }
});

/** The comment lines directly above `name:` at the start of a line in .gitlab-ci.yml. */
function commentAbove(name: string): string {
  const lines = Deno.readTextFileSync(join(ROOT, ".gitlab-ci.yml")).split("\n");
  const at = lines.indexOf(`${name}:`);
  assert.ok(at > 0, `${name}: defined`);
  let from = at;
  while (from > 0 && lines[from - 1]!.startsWith("#")) from--;
  return lines.slice(from, at).join("\n");
}

Deno.test("the pipeline says where prod's plan and deploy get the runner's way into prod's Key Vault", () => {
  const text = Deno.readTextFileSync(join(ROOT, ".gitlab-ci.yml"));
  const header = text.slice(0, text.indexOf("\nstages:"));
  for (const v of ["TF_VAR_deploy_runner_ip_ranges", "TF_VAR_key_vault_private_endpoint"]) {
    assert.match(header, new RegExp(`^#\\s+${v}\\s`, "m"), `the CI/CD variables list ${v}`);
    assert.match(commentAbove("plan"), new RegExp(v), `plan's comment names ${v}`);
    assert.match(commentAbove("deploy:prod"), new RegExp(v), `deploy:prod's comment names ${v}`);
  }
  assert.match(header, /QUICKSTART\.md, "Prod Key Vault access"/);
  // The early failure is infra/'s own validation, which plan runs before anything is applied;
  // its message names the variable and where it is documented, and the guide has that section.
  const variables = Deno.readTextFileSync(join(ROOT, "infra", "variables.tf"));
  assert.match(
    variables,
    /nothing lets the deploying runner in[^"]*TF_VAR_deploy_runner_ip_ranges, QUICKSTART\.md 'Prod Key Vault access'/,
  );
  const quickstart = Deno.readTextFileSync(join(ROOT, "QUICKSTART.md"));
  const section = quickstart.slice(quickstart.indexOf("### Prod Key Vault access"));
  assert.match(section.slice(0, section.indexOf("\n### ", 5)), /TF_VAR_key_vault_private_endpoint/);
});

Deno.test("deploys are retried only when the runner failed, and the retry resumes instead of starting over", () => {
  for (const name of ["deploy:dev", "deploy:prod"]) {
    assert.deepEqual(resolved(name).retry, {
      max: 2,
      when: ["runner_system_failure", "stuck_or_timeout_failure"],
    }, name);
    assert.doesNotMatch(script(name), /--fresh/, `${name} resumes a lost run`);
  }
  // No other job is retried: each would need its own case for a rerun being safe.
  for (const name of jobs.filter((j) => !j.startsWith("deploy:"))) {
    assert.equal(resolved(name).retry, undefined, name);
  }
  // The resume the retry relies on: the deploy's own help says a rerun finishes a killed run.
  const help = Deno.readTextFileSync(join(ROOT, "tasks", "deploy.ts"));
  assert.match(help, /a deploy killed halfway is finished by running it again with the same flags/);
});
