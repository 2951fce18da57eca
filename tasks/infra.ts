/**
 * `deno task infra <command> [--env dev|prod]`: runs OpenTofu or Terraform on `infra/` with the
 * environment's var file, the right state backend and the plan saved for review.
 *
 * State: GitLab-managed (the `http` backend) when `TF_HTTP_ADDRESS` is set or GitLab CI's
 * variables are (`CI_API_V4_URL`, `CI_PROJECT_ID`), else a local state file under
 * `.fluxops/infra/<env>/`. The backend block is written to `infra/backend_override.tf` for the
 * run and removed afterwards, so the committed root module has none.
 * @module
 */
import { parseFlags } from "../lib/cli/parse_cli.ts";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { UsageError } from "../lib/errors.ts";

const COMMANDS = ["fmt", "validate", "plan", "apply", "destroy", "output", "lock"] as const;
/** A subcommand of `deno task infra`. */
export type InfraCommand = (typeof COMMANDS)[number];

const ENVIRONMENTS = ["dev", "prod"] as const;
/** A deployment environment with a var file in `infra/env/`. */
export type InfraEnv = (typeof ENVIRONMENTS)[number];

const HELP = `deno task infra: OpenTofu/Terraform for the FluxOps Azure stack (infra/)

Usage: deno task infra <command> [--env dev|prod] [options]

Commands:
  fmt        format every .tf and .tfvars file (--check: only report, exit 1 if unformatted)
  validate   init without a backend, then validate against the providers' schemas
  plan       plan with infra/env/<env>.tfvars; saves .fluxops/infra/<env>/plan.tfplan,
             plan.json (tofu show -json) and plan.report.json (GitLab's create/update/delete)
  apply      apply the saved plan (--plan FILE), or plan and apply with the var file
  destroy    destroy the environment
  output     print the outputs (--json for JSON)
  lock       write infra/.terraform.lock.hcl (and infra/bootstrap's): provider versions and
             hashes for each --platform (default linux_amd64 darwin_arm64 darwin_amd64
             windows_amd64), from the tool cache's provider mirror (--registry: the registry)

Options:
  --env dev|prod   environment (default dev)
  --check          fmt: check only
  --plan FILE      apply: a plan file saved by \`deno task infra plan\`
  --auto-approve   apply/destroy: do not ask (CI)
  --json           output: JSON
  --platform P     lock: a platform to record hashes for (repeatable), e.g. linux_amd64
  --registry       lock: ask the provider registry instead of the mirror
  -h, --help       show this help

Environment:
  TF_BIN             the binary to run (default: tofu on PATH, else terraform)
  TF_HTTP_ADDRESS    GitLab-managed state: the http backend reads TF_HTTP_* itself
  CI_API_V4_URL, CI_PROJECT_ID, CI_JOB_TOKEN, TF_STATE_NAME (default <env>)
                     in GitLab CI: the state at
                     $CI_API_V4_URL/projects/$CI_PROJECT_ID/terraform/state/$TF_STATE_NAME
  FLUXOPS_INFRA_DIR  the root module (default infra/ in this repository)
  FLUXOPS_TOOL_CACHE the tool cache whose terraform-providers/ mirror lock reads
                     (default ~/.cache/fluxops-tools)
Without either, state is local: .fluxops/infra/<env>/terraform.tfstate.

Providers: every init uses infra/.terraform.lock.hcl as committed (-lockfile=readonly), so plan
and apply run exactly the recorded provider builds; a provider whose hash is not recorded, or a
version the constraints no longer match, fails init. Update the lock with \`deno task infra
lock\` and commit it (docs/IaC_Design.md, "Provider lock file").

Plan files hold the state's secrets (the model-signing key): they are written owner-only.
Exit status: 0 success, 2 usage error, 1 tool missing or failed.`;

/** Options of {@link main}: where to find things, for tests. */
export interface InfraOptions {
  /** Environment variables to read (default: the process's). */
  env?: Record<string, string>;
  /** The root module folder (default `FLUXOPS_INFRA_DIR`, else `infra/` beside `tasks/`). */
  infraDir?: string;
}

/** The state backend a run uses. */
export type Backend =
  | { kind: "local"; path: string }
  | { kind: "http"; config: string[]; env: Record<string, string> };

/** A parsed command line. */
export interface Invocation {
  command: InfraCommand;
  env: InfraEnv;
  check: boolean;
  json: boolean;
  autoApprove: boolean;
  planFile: string | undefined;
  /** lock: platforms to record hashes for. */
  platforms: string[];
  /** lock: ask the registry instead of the tool cache's mirror. */
  registry: boolean;
}

/** The platforms `lock` records by default: CI's, and the developers' laptops. */
export const LOCK_PLATFORMS = ["linux_amd64", "darwin_arm64", "darwin_amd64", "windows_amd64"];

/** The lock file every init uses as it is. */
export const LOCK_FILE = ".terraform.lock.hcl";

/** Parses `deno task infra` arguments; throws {@link UsageError} on anything unknown. */
export function parseInvocation(args: string[]): Invocation | "help" {
  const { values, positionals } = parseFlags(args, {
    env: { type: "string", choices: ENVIRONMENTS, default: "dev" },
    check: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "auto-approve": { type: "boolean", default: false },
    plan: { type: "string" },
    platform: { type: "string", multiple: true },
    registry: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) return "help";
  const [command, ...rest] = positionals;
  if (command === undefined) {
    throw new UsageError(`missing command: expected one of ${COMMANDS.join(", ")}`);
  }
  if (!isOneOf(COMMANDS, command)) {
    throw new UsageError(`unknown command "${command}": expected one of ${COMMANDS.join(", ")}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.check && command !== "fmt") throw new UsageError("--check only goes with fmt");
  if (values.plan !== undefined && command !== "apply") {
    throw new UsageError("--plan only goes with apply");
  }
  const platforms = values.platform ?? [];
  if ((platforms.length > 0 || values.registry) && command !== "lock") {
    throw new UsageError("--platform and --registry only go with lock");
  }
  for (const platform of platforms) {
    if (!/^[a-z0-9]+_[a-z0-9]+$/.test(platform)) {
      throw new UsageError(`--platform: expected OS_ARCH such as linux_amd64, got "${platform}"`);
    }
  }
  return {
    command,
    env: values.env,
    check: values.check,
    json: values.json,
    autoApprove: values["auto-approve"],
    planFile: values.plan,
    platforms: platforms.length > 0 ? platforms : LOCK_PLATFORMS,
    registry: values.registry,
  };
}

/** The `tofu providers lock` arguments for `inv`, reading providers from `mirror` unless --registry. */
export function lockArgs(
  inv: Pick<Invocation, "platforms" | "registry">,
  mirror: string,
): string[] {
  return [
    "providers",
    "lock",
    ...(inv.registry ? [] : [`-fs-mirror=${mirror}`]),
    ...inv.platforms.map((p) => `-platform=${p}`),
  ];
}

/**
 * The Terraform-compatible binary to run: `TF_BIN` if set (a path or a name on `PATH`), else
 * `tofu`, else `terraform` on `PATH`. Throws with what to do when there is none.
 */
export function findBinary(env: Record<string, string>): string {
  const path = env.PATH ?? "";
  const override = env.TF_BIN;
  if (override !== undefined && override !== "") {
    const found = override.includes("/")
      ? (isExecutable(override) ? override : undefined)
      : onPath(override, path);
    if (found === undefined) {
      throw new InfraError(`TF_BIN=${override} is not an executable file`);
    }
    return found;
  }
  const found = onPath("tofu", path) ?? onPath("terraform", path);
  if (found === undefined) {
    throw new InfraError(
      "neither tofu nor terraform is on PATH: install OpenTofu or Terraform (>= 1.5), or set " +
        "TF_BIN (bash .ci/setup_infra_tools.sh builds tofu into ~/.cache/fluxops-tools/bin)",
    );
  }
  return found;
}

/**
 * The state backend for `envName`: GitLab-managed http state when `TF_HTTP_ADDRESS` or GitLab
 * CI's variables are set, else a local file under `workDir`. The job token only travels in the
 * environment (`TF_HTTP_PASSWORD`), never on a command line.
 */
export function chooseBackend(
  env: Record<string, string>,
  envName: InfraEnv,
  workDir: string,
): Backend {
  if (env.TF_HTTP_ADDRESS) return { kind: "http", config: [], env: {} };
  const api = env.CI_API_V4_URL;
  const project = env.CI_PROJECT_ID;
  if (api && project) {
    const state = `${api.replace(/\/+$/, "")}/projects/${encodeURIComponent(project)}` +
      `/terraform/state/${encodeURIComponent(env.TF_STATE_NAME || envName)}`;
    const config = [
      `address=${state}`,
      `lock_address=${state}/lock`,
      `unlock_address=${state}/lock`,
      "lock_method=POST",
      "unlock_method=DELETE",
      "retry_wait_min=5",
      `username=${env.TF_HTTP_USERNAME || "gitlab-ci-token"}`,
    ].map((kv) => `-backend-config=${kv}`);
    const password = env.TF_HTTP_PASSWORD || env.CI_JOB_TOKEN;
    return { kind: "http", config, env: password ? { TF_HTTP_PASSWORD: password } : {} };
  }
  return { kind: "local", path: join(workDir, "terraform.tfstate") };
}

/** The `backend_override.tf` text for `backend`. */
export function backendOverride(backend: Backend): string {
  const block = backend.kind === "http"
    ? `  backend "http" {}`
    : `  backend "local" {\n    path = ${JSON.stringify(backend.path)}\n  }`;
  return `# Written by \`deno task infra\` for one run, then removed.\nterraform {\n${block}\n}\n`;
}

/** Counts of a plan's resource changes, in the format of GitLab's Terraform report. */
export function planReport(planJson: unknown): { create: number; update: number; delete: number } {
  const report = { create: 0, update: 0, delete: 0 };
  const changes = (planJson as { resource_changes?: { change?: { actions?: string[] } }[] })
    .resource_changes ?? [];
  for (const rc of changes) {
    const actions = rc.change?.actions ?? [];
    if (actions.includes("create")) report.create++;
    if (actions.includes("update")) report.update++;
    if (actions.includes("delete")) report.delete++;
  }
  return report;
}

/** Runs `deno task infra` with `args`; returns the exit status. */
export async function main(args: string[], options: InfraOptions = {}): Promise<number> {
  const env = options.env ?? Deno.env.toObject();
  let invocation;
  try {
    invocation = parseInvocation(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message.replace(/ \(see --help\)$/, "")} (deno task infra --help)`);
    return 2;
  }
  if (invocation === "help") {
    console.log(HELP);
    return 0;
  }
  try {
    const infraDir = resolve(
      options.infraDir ?? env.FLUXOPS_INFRA_DIR ?? join(import.meta.dirname ?? ".", "..", "infra"),
    );
    return await run(invocation, env, findBinary(env), infraDir);
  } catch (err) {
    if (!(err instanceof InfraError)) throw err;
    console.error(`error: ${err.message}`);
    return 1;
  }
}

async function run(
  inv: Invocation,
  env: Record<string, string>,
  bin: string,
  infraDir: string,
): Promise<number> {
  if (!isDirectory(infraDir)) throw new InfraError(`no root module at ${infraDir}`);
  const tf = (args: string[], extraEnv: Record<string, string> = {}, stdout?: Stdout) =>
    exec(bin, ["-chdir=" + infraDir, ...args], { ...env, ...extraEnv }, stdout);

  if (inv.command === "fmt") {
    return await tf(["fmt", "-recursive", ...(inv.check ? ["-check", "-diff"] : [])]);
  }

  if (inv.command === "lock") {
    const mirror = join(
      env.FLUXOPS_TOOL_CACHE || join(env.HOME || "/tmp", ".cache", "fluxops-tools"),
      "terraform-providers",
    );
    if (!inv.registry && !isDirectory(mirror)) {
      throw new InfraError(
        `no provider mirror at ${mirror}: run .ci/setup_infra_tools.sh (with ` +
          `FLUXOPS_PROVIDER_PLATFORMS="${inv.platforms.join(" ")}"), or lock --registry`,
      );
    }
    // tofu adds the hashes it computes to those recorded for the same version, so a lock from
    // the mirror (source builds, CI's) and one from the registry can share the file. The
    // one-time bootstrap module beside the stack gets its own.
    // providers lock reads the modules' requirements too, so they are installed first (local
    // modules only; into a throw-away data dir, not infra/.terraform).
    const dataDir = await Deno.makeTempDir({ prefix: "fluxops-infra-lock-" });
    try {
      for (const dir of [infraDir, join(infraDir, "bootstrap")]) {
        if (!isDirectory(dir)) continue;
        const lockEnv = {
          ...env,
          TF_IN_AUTOMATION: "1",
          TF_DATA_DIR: join(dataDir, basename(dir)),
        };
        for (const args of [["get"], lockArgs(inv, mirror)]) {
          const code = await exec(bin, [`-chdir=${dir}`, ...args], lockEnv, "stderr");
          if (code !== 0) return code;
        }
      }
      return 0;
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  }
  if (!isFile(join(infraDir, LOCK_FILE))) {
    throw new InfraError(
      `${join(infraDir, LOCK_FILE)} is missing: every init uses the committed lock file; ` +
        "create it with `deno task infra lock` and commit it",
    );
  }

  const workDir = join(dirname(infraDir), ".fluxops", "infra", inv.env);
  await Deno.mkdir(workDir, { recursive: true, mode: 0o700 });
  const tfEnv: Record<string, string> = {
    TF_DATA_DIR: join(workDir, "tf-data"),
    TF_IN_AUTOMATION: "1",
  };

  if (inv.command === "validate") {
    const init = await tf(
      ["init", "-backend=false", "-input=false", "-lockfile=readonly"],
      tfEnv,
      "stderr",
    );
    return init !== 0 ? init : await tf(["validate"], tfEnv);
  }

  const backend = chooseBackend(env, inv.env, workDir);
  const override = join(infraDir, "backend_override.tf");
  const runEnv = { ...tfEnv, ...(backend.kind === "http" ? backend.env : {}) };
  const varFile = `-var-file=${join("env", `${inv.env}.tfvars`)}`;
  console.error(
    `infra ${inv.command} --env ${inv.env}: ${bin}, ` +
      (backend.kind === "http" ? "GitLab-managed http state" : `local state ${backend.path}`),
  );
  await Deno.writeTextFile(override, backendOverride(backend));
  try {
    const init = await tf(
      [
        "init",
        "-input=false",
        "-reconfigure",
        "-lockfile=readonly",
        ...(backend.kind === "http" ? backend.config : []),
      ],
      runEnv,
      // stdout stays for what the command prints (output --json).
      "stderr",
    );
    if (init !== 0) return init;
    // Without --auto-approve, apply and destroy ask on the terminal, which -input=false forbids.
    const approve = inv.autoApprove ? ["-input=false", "-auto-approve"] : [];
    switch (inv.command) {
      case "plan": {
        const planFile = join(workDir, "plan.tfplan");
        const planned = await tf(["plan", "-input=false", varFile, `-out=${planFile}`], runEnv);
        if (planned !== 0) return planned;
        await Deno.chmod(planFile, 0o600);
        const jsonFile = join(workDir, "plan.json");
        const shown = await tf(["show", "-json", planFile], runEnv, { file: jsonFile });
        if (shown !== 0) return shown;
        const report = planReport(JSON.parse(await Deno.readTextFile(jsonFile)));
        await Deno.writeTextFile(join(workDir, "plan.report.json"), JSON.stringify(report) + "\n");
        console.error(
          `plan saved: ${planFile}, ${jsonFile} (both hold secrets: owner-only); ` +
            `${report.create} to create, ${report.update} to update, ${report.delete} to delete`,
        );
        return 0;
      }
      case "apply":
        return await tf(
          inv.planFile !== undefined
            ? ["apply", ...approve, resolve(inv.planFile)]
            : ["apply", ...approve, varFile],
          runEnv,
        );
      case "destroy":
        return await tf(["destroy", ...approve, varFile], runEnv);
      case "output":
        return await tf(["output", ...(inv.json ? ["-json"] : [])], runEnv);
    }
  } finally {
    await Deno.remove(override).catch(() => undefined);
  }
}

/** Where a command's stdout goes: ours, our stderr, or a file (written owner-only). */
type Stdout = "stderr" | { file: string };

/** Runs the binary with inherited stdin and stderr; returns its exit code. */
async function exec(
  bin: string,
  args: string[],
  env: Record<string, string>,
  stdout?: Stdout,
): Promise<number> {
  const child = new Deno.Command(bin, {
    args,
    env,
    clearEnv: true,
    stdin: "inherit",
    stdout: stdout === undefined ? "inherit" : "piped",
    stderr: "inherit",
  }).spawn();
  if (stdout === "stderr") {
    for await (const chunk of child.stdout) await Deno.stderr.write(chunk);
  } else if (stdout !== undefined) {
    const file = await Deno.open(stdout.file, {
      write: true,
      create: true,
      truncate: true,
      mode: 0o600,
    });
    await child.stdout.pipeTo(file.writable);
  }
  return (await child.status).code;
}

/** The binary or the root module is missing, or not where the settings say. */
class InfraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InfraError";
  }
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
