import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  backendOverride,
  chooseBackend,
  LOCK_PLATFORMS,
  lockArgs,
  parseInvocation,
  planReport,
} from "../../tasks/infra.ts";
import { UsageError } from "../../lib/errors.ts";
import { cliConfigPath, hostPlatform, tofuPath } from "../support/infra_tools.ts";
import { toolCache } from "../support/python.ts";
import { needsTool } from "../support/python.ts";

const TASK = join(import.meta.dirname ?? ".", "..", "..", "tasks", "infra.ts");
const tofu = tofuPath();

/** A small root module with the layout the task expects: random provider only, no Azure. */
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

variable "length" {
  type = number
}

resource "random_string" "id" {
  length  = var.length
  special = false
}

output "environment" {
  value = var.environment
}

output "id_length" {
  value = length(random_string.id.result)
}
`;

async function tinyModule(): Promise<{ root: string; infra: string; remove: () => Promise<void> }> {
  const root = await Deno.makeTempDir({ prefix: "fluxops-infra-task-" });
  const infra = join(root, "infra");
  await Deno.mkdir(join(infra, "env"), { recursive: true });
  await Deno.writeTextFile(join(infra, "main.tf"), TINY_MAIN);
  await Deno.writeTextFile(join(infra, "env", "dev.tfvars"), 'environment = "dev"\nlength = 8\n');
  await Deno.writeTextFile(
    join(infra, "env", "prod.tfvars"),
    'environment = "prod"\nlength = 12\n',
  );
  return { root, infra, remove: () => Deno.remove(root, { recursive: true }) };
}

/** Runs `deno task infra` as a process with exactly `env` (plus HOME). */
async function infraTask(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-config", TASK, ...args],
    env: { HOME: Deno.env.get("HOME") ?? "/tmp", NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function tofuTaskEnv(infra: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    TF_BIN: tofu ?? "tofu",
    TF_CLI_CONFIG_FILE: cliConfigPath(),
    CHECKPOINT_DISABLE: "1",
    FLUXOPS_INFRA_DIR: infra,
    FLUXOPS_TOOL_CACHE: toolCache(),
    ...extra,
  };
}

/** Writes the tiny module's lock file as `deno task infra lock` does, for this platform. */
async function lockTiny(infra: string): Promise<string> {
  const out = await infraTask(["lock", "--platform", hostPlatform()], tofuTaskEnv(infra));
  assert.equal(out.code, 0, out.stderr + out.stdout);
  return await Deno.readTextFile(join(infra, ".terraform.lock.hcl"));
}

Deno.test("deno task infra --help prints the commands and exits 0", async () => {
  const out = await infraTask(["--help"], { PATH: "/nonexistent" });
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^Usage: deno task infra <command> \[--env dev\|prod\]/m);
  for (const command of ["fmt", "validate", "plan", "apply", "destroy", "output", "lock"]) {
    assert.match(out.stdout, new RegExp(`^  ${command} `, "m"));
  }
});

Deno.test("deno task infra rejects bad command lines and missing binaries, writing nothing", async () => {
  const { root, infra, remove } = await tinyModule();
  const notExecutable = join(root, "tofu");
  await Deno.writeTextFile(notExecutable, "#!/bin/sh\n");
  const cases: [string[], Record<string, string>, number, RegExp][] = [
    [
      [],
      {},
      2,
      /missing command: expected one of fmt, validate, plan, apply, destroy, output, lock/,
    ],
    [["launch"], {}, 2, /unknown command "launch": expected one of fmt, validate/],
    [
      ["plan", "--env", "staging"],
      {},
      2,
      /^error: --env must be dev or prod, got staging \(deno task infra --help\)$/m,
    ],
    [
      ["plan", "--region", "westeurope"],
      {},
      2,
      /^error: unknown flag --region \(deno task infra --help\)$/m,
    ],
    [["validate", "extra"], {}, 2, /unexpected argument "extra"/],
    [["plan", "--check"], {}, 2, /--check only goes with fmt/],
    [["plan", "--plan", "x.tfplan"], {}, 2, /--plan only goes with apply/],
    [["plan", "--platform", "linux_amd64"], {}, 2, /--platform and --registry only go with lock/],
    [
      ["lock", "--platform", "Linux-x64"],
      {},
      2,
      /--platform: expected OS_ARCH such as linux_amd64/,
    ],
    [
      ["plan"],
      { PATH: "/usr/bin:/bin", TF_BIN: "/bin/true" },
      1,
      /\.terraform\.lock\.hcl is missing: every init uses the committed lock file; create it with `deno task infra lock`/,
    ],
    [
      ["lock"],
      { PATH: "/usr/bin:/bin", TF_BIN: "/bin/true", FLUXOPS_TOOL_CACHE: "/nonexistent" },
      1,
      /no provider mirror at \/nonexistent\/terraform-providers: run \.ci\/setup_infra_tools\.sh/,
    ],
    [
      ["validate"],
      { PATH: "/nonexistent" },
      1,
      /neither tofu nor terraform is on PATH: install OpenTofu/,
    ],
    [
      ["plan"],
      { PATH: "/nonexistent", TF_BIN: "/nonexistent/tofu" },
      1,
      /TF_BIN=\/nonexistent\/tofu is not an executable file/,
    ],
    [["plan"], { PATH: "/nonexistent", TF_BIN: notExecutable }, 1, /is not an executable file/],
    [
      ["plan"],
      { PATH: "/nonexistent", TF_BIN: "tofu" },
      1,
      /TF_BIN=tofu is not an executable file/,
    ],
  ];
  try {
    for (const [args, env, code, message] of cases) {
      const out = await infraTask(args, {
        PATH: "/usr/bin:/bin",
        FLUXOPS_INFRA_DIR: infra,
        ...env,
      });
      assert.equal(out.code, code, `${args.join(" ")}: ${out.stderr}`);
      assert.match(out.stderr, message, args.join(" "));
      assert.equal(existsSync(join(root, ".fluxops")), false, `${args.join(" ")} created .fluxops`);
      assert.equal(existsSync(join(infra, "backend_override.tf")), false);
    }
  } finally {
    await remove();
  }
});

Deno.test("parseInvocation() defaults to dev and reads the flags", () => {
  assert.deepEqual(parseInvocation(["plan"]), {
    command: "plan",
    env: "dev",
    check: false,
    json: false,
    autoApprove: false,
    planFile: undefined,
    platforms: LOCK_PLATFORMS,
    registry: false,
  });
  assert.deepEqual(parseInvocation(["apply", "--env", "prod", "--auto-approve", "--plan", "p"]), {
    command: "apply",
    env: "prod",
    check: false,
    json: false,
    autoApprove: true,
    planFile: "p",
    platforms: LOCK_PLATFORMS,
    registry: false,
  });
  assert.equal(parseInvocation(["-h"]), "help");
  assert.throws(() => parseInvocation(["output", "--env", "test"]), UsageError);
});

Deno.test("lock records linux_amd64 and the laptops' platforms by default, from the mirror unless --registry", () => {
  const lock = parseInvocation(["lock"]);
  assert.ok(lock !== "help");
  assert.deepEqual(lockArgs(lock, "/cache/terraform-providers"), [
    "providers",
    "lock",
    "-fs-mirror=/cache/terraform-providers",
    "-platform=linux_amd64",
    "-platform=darwin_arm64",
    "-platform=darwin_amd64",
    "-platform=windows_amd64",
  ]);
  const registry = parseInvocation(["lock", "--registry", "--platform", "linux_arm64"]);
  assert.ok(registry !== "help");
  assert.deepEqual(lockArgs(registry, "/m"), ["providers", "lock", "-platform=linux_arm64"]);
});

Deno.test("chooseBackend() picks local state, TF_HTTP_* state or GitLab's state API", () => {
  const cases: [Record<string, string>, ReturnType<typeof chooseBackend>][] = [
    [{}, { kind: "local", path: "/w/terraform.tfstate" }],
    [{ TF_HTTP_ADDRESS: "https://state.example/x" }, { kind: "http", config: [], env: {} }],
    [
      { CI_API_V4_URL: "https://gitlab.example/api/v4/", CI_PROJECT_ID: "42", CI_JOB_TOKEN: "tok" },
      {
        kind: "http",
        config: [
          "-backend-config=address=https://gitlab.example/api/v4/projects/42/terraform/state/prod",
          "-backend-config=lock_address=https://gitlab.example/api/v4/projects/42/terraform/state/prod/lock",
          "-backend-config=unlock_address=https://gitlab.example/api/v4/projects/42/terraform/state/prod/lock",
          "-backend-config=lock_method=POST",
          "-backend-config=unlock_method=DELETE",
          "-backend-config=retry_wait_min=5",
          "-backend-config=username=gitlab-ci-token",
        ],
        env: { TF_HTTP_PASSWORD: "tok" },
      },
    ],
  ];
  for (const [env, expected] of cases) assert.deepEqual(chooseBackend(env, "prod", "/w"), expected);

  const named = chooseBackend(
    { CI_API_V4_URL: "https://g/api/v4", CI_PROJECT_ID: "7", TF_STATE_NAME: "fluxops prod" },
    "prod",
    "/w",
  );
  assert.ok(named.kind === "http");
  assert.equal(
    named.config[0],
    "-backend-config=address=https://g/api/v4/projects/7/terraform/state/fluxops%20prod",
  );
  assert.deepEqual(named.env, {}, "no token, no password");
  assert.match(
    backendOverride({ kind: "local", path: "/w/s.tfstate" }),
    /backend "local" \{\n {4}path = "\/w\/s\.tfstate"/,
  );
});

Deno.test("planReport() counts creates, updates and deletes; a replacement is both", () => {
  const plan = {
    resource_changes: [
      { change: { actions: ["create"] } },
      { change: { actions: ["update"] } },
      { change: { actions: ["delete", "create"] } },
      { change: { actions: ["no-op"] } },
    ],
  };
  assert.deepEqual(planReport(plan), { create: 2, update: 1, delete: 1 });
  assert.deepEqual(planReport({}), { create: 0, update: 0, delete: 0 });
});

Deno.test({
  name: "plan, apply, output and destroy run end to end with each environment's local state",
  ...needsTool(
    tofu !== undefined,
    "tofu and its provider mirror (made by .ci/setup_infra_tools.sh)",
  ),
  async fn() {
    const { root, infra, remove } = await tinyModule();
    const env = tofuTaskEnv(infra);
    const work = join(root, ".fluxops", "infra", "dev");
    try {
      const lock = await lockTiny(infra);
      const plan = await infraTask(["plan", "--env", "dev"], env);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stderr, /1 to create, 0 to update, 0 to delete/);
      assert.equal((await Deno.stat(join(work, "plan.tfplan"))).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(join(work, "plan.json"))).mode! & 0o777, 0o600);
      const planJson = JSON.parse(await Deno.readTextFile(join(work, "plan.json")));
      assert.equal(planJson.resource_changes[0].address, "random_string.id");
      assert.deepEqual(JSON.parse(await Deno.readTextFile(join(work, "plan.report.json"))), {
        create: 1,
        update: 0,
        delete: 0,
      });
      assert.equal(existsSync(join(infra, "backend_override.tf")), false, "override left behind");

      const apply = await infraTask([
        "apply",
        "--plan",
        join(work, "plan.tfplan"),
        "--auto-approve",
      ], env);
      assert.equal(apply.code, 0, apply.stderr);
      assert.ok(existsSync(join(work, "terraform.tfstate")), "no local state");
      assert.equal(existsSync(join(infra, "terraform.tfstate")), false, "state inside infra/");

      const output = await infraTask(["output", "--json"], env);
      assert.equal(output.code, 0, output.stderr);
      const values = JSON.parse(output.stdout);
      assert.deepEqual([values.environment.value, values.id_length.value], ["dev", 8]);

      const prod = await infraTask(["apply", "--env", "prod", "--auto-approve"], env);
      assert.equal(prod.code, 0, prod.stderr);
      const prodOut = JSON.parse(
        (await infraTask(["output", "--env", "prod", "--json"], env)).stdout,
      );
      assert.deepEqual([prodOut.environment.value, prodOut.id_length.value], ["prod", 12]);

      const destroy = await infraTask(["destroy", "--auto-approve"], env);
      assert.equal(destroy.code, 0, destroy.stderr);
      assert.equal(
        await Deno.readTextFile(join(infra, ".terraform.lock.hcl")),
        lock,
        "an init changed the committed lock file",
      );
      const state = JSON.parse(await Deno.readTextFile(join(work, "terraform.tfstate")));
      assert.deepEqual(state.resources, []);
      assert.ok(existsSync(join(root, ".fluxops", "infra", "prod", "terraform.tfstate")));
    } finally {
      await remove();
    }
  },
});

Deno.test({
  name:
    "with GitLab CI's variables the state goes to GitLab's state API, locked, with the job token",
  ...needsTool(
    tofu !== undefined,
    "tofu and its provider mirror (made by .ci/setup_infra_tools.sh)",
  ),
  async fn() {
    const { root, infra, remove } = await tinyModule();
    await lockTiny(infra);
    const seen: string[] = [];
    let state: string | undefined;
    let authorized = true;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const url = new URL(req.url);
      seen.push(`${req.method} ${url.pathname}`);
      if (req.headers.get("authorization") !== `Basic ${btoa("gitlab-ci-token:job-token-123")}`) {
        authorized = false;
        return new Response("unauthorized", { status: 401 });
      }
      const path = "/api/v4/projects/42/terraform/state/dev";
      if (url.pathname === `${path}/lock`) return new Response(await req.text(), { status: 200 });
      if (url.pathname !== path) return new Response("not found", { status: 404 });
      if (req.method === "GET") {
        return state === undefined ? new Response(null, { status: 204 }) : new Response(state);
      }
      state = await req.text();
      return new Response(null, { status: 200 });
    });
    try {
      const env = tofuTaskEnv(infra, {
        CI_API_V4_URL: `http://127.0.0.1:${server.addr.port}/api/v4`,
        CI_PROJECT_ID: "42",
        CI_JOB_TOKEN: "job-token-123",
      });
      const apply = await infraTask(["apply", "--auto-approve"], env);
      assert.equal(apply.code, 0, apply.stderr);
      assert.match(apply.stderr, /GitLab-managed http state/);
      assert.ok(authorized, "a request came without the job token");
      assert.ok(
        seen.includes("POST /api/v4/projects/42/terraform/state/dev/lock"),
        seen.join("\n"),
      );
      assert.ok(
        seen.includes("DELETE /api/v4/projects/42/terraform/state/dev/lock"),
        seen.join("\n"),
      );
      assert.ok(seen.includes("POST /api/v4/projects/42/terraform/state/dev"), seen.join("\n"));
      assert.match(state ?? "", /"random_string"/);
      assert.equal(existsSync(join(root, ".fluxops", "infra", "dev", "terraform.tfstate")), false);

      const output = await infraTask(["output", "--json"], env);
      assert.equal(JSON.parse(output.stdout).id_length.value, 8, output.stderr);
    } finally {
      await server.shutdown();
      await remove();
    }
  },
});

Deno.test({
  name:
    "init uses the committed lock file exactly: a provider build whose hash it does not record fails the plan, and the lock stays as it was",
  ...needsTool(
    tofu !== undefined,
    "tofu and its provider mirror (made by .ci/setup_infra_tools.sh)",
  ),
  async fn() {
    const { root, infra, remove } = await tinyModule();
    try {
      const lock = await lockTiny(infra);
      assert.match(
        lock,
        /provider "registry\.opentofu\.org\/hashicorp\/random" \{\n\s+version\s+= "3\.9\.0"/,
      );
      assert.match(lock, /"h1:[A-Za-z0-9+/=]{44}"/);
      // Another build of the same version: what a plan on one machine and an apply on another
      // would meet if each resolved providers by itself.
      const tampered = lock.replace(/"h1:[A-Za-z0-9+/=]{44}"/g, `"h1:${"A".repeat(43)}="`);
      await Deno.writeTextFile(join(infra, ".terraform.lock.hcl"), tampered);
      const plan = await infraTask(["plan"], tofuTaskEnv(infra));
      assert.notEqual(plan.code, 0, "a provider the lock does not record was used");
      assert.match(plan.stderr + plan.stdout, /checksum|does not match|hash/i);
      assert.equal(await Deno.readTextFile(join(infra, ".terraform.lock.hcl")), tampered);
      assert.equal(existsSync(join(root, ".fluxops", "infra", "dev", "plan.tfplan")), false);
    } finally {
      await remove();
    }
  },
});
