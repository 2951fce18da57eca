/**
 * Runs `.gitlab-ci.yml` with gitlab-ci-local (npm, pinned in tools/deno.json, under Deno) in a throwaway
 * git copy of the repository, so jobs' reports and gitlab-ci-local's state never land in the work
 * tree.
 *
 * gitlab-ci-local 4.75.1 evaluates `workflow:rules` only for the variables they set (its
 * src/parser.ts): it lists and runs jobs even where GitLab would create no pipeline at all. So
 * {@link pipeline} adds the workflow rules as the rules of a probe job, letting gitlab-ci-local's
 * own rule evaluator decide; a probe that is `never` means GitLab would create no pipeline.
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { needsTool } from "../support/python.ts";

/** The repository's root. */
export const ROOT = join(import.meta.dirname!, "..", "..");

function has(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Deno.test options: gitlab-ci-local's shell executor needs git and rsync. */
export const gitAndRsync = needsTool(
  has("git") && has("rsync"),
  "git and rsync (.ci/setup_pipeline_tools.sh)",
);

/** Output of a finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in `cwd` with exactly `env`. */
export async function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Ran> {
  const out = await new Deno.Command(cmd, { args, cwd, env, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A throwaway git repository. */
export interface GitCopy {
  dir: string;
  /** Commits everything in the copy (after a test changed files). */
  commit: (message: string) => Promise<void>;
  /** Switches to a new branch of the current commit. */
  branch: (name: string) => Promise<void>;
  remove: () => Promise<void>;
}

/**
 * A git repository holding the work tree's files (tracked and untracked, not ignored) on
 * `branch`. `edit` may change the copy's files before the first commit.
 */
export async function gitCopy(
  branch: string,
  edit: (dir: string) => Promise<void> = async () => {},
): Promise<GitCopy> {
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
  const git = async (...args: string[]) => {
    const r = await run(
      "git",
      ["-c", "user.email=ci@fluxops.invalid", "-c", "user.name=ci", ...args],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
  };
  await git("init", "-q", "-b", branch);
  await edit(dir);
  const commit = async (message: string) => {
    await git("add", "-A");
    await git("commit", "-qm", message, "--allow-empty");
  };
  await commit("copy");
  return {
    dir,
    commit,
    branch: (name: string) => git("checkout", "-q", "-b", name),
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Runs gitlab-ci-local in `dir` with a clean environment (no coverage or CI settings leak in). */
export async function gcl(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Ran> {
  const home = join(dir, ".gcl-home");
  await Deno.mkdir(home, { recursive: true });
  return await run(
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

/** `--variable K=V` arguments. */
export function variables(vars: Record<string, string>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ["--variable", `${k}=${v}`]);
}

interface Listed {
  name: string;
  when: string;
}

/** The name of the job {@link addWorkflowProbe} adds. */
const PROBE = "fluxops:workflow-probe";

/** Edits the copy's .gitlab-ci.yml with `change` (parsed and written back as YAML). */
export async function editCi(
  dir: string,
  change: (ci: Record<string, unknown>) => void,
): Promise<void> {
  const file = join(dir, ".gitlab-ci.yml");
  const ci = parse(await Deno.readTextFile(file)) as Record<string, unknown>;
  change(ci);
  await Deno.writeTextFile(file, stringify(ci, { lineWidth: 0 }));
}

/** Adds a job whose rules are the workflow's rules (see the module comment). */
export function addWorkflowProbe(ci: Record<string, unknown>): void {
  const workflow = ci.workflow as { rules?: unknown[] } | undefined;
  ci[PROBE] = {
    stage: (ci.stages as string[])[0],
    script: ["true"],
    ...(workflow?.rules ? { rules: workflow.rules } : {}),
  };
}

/**
 * The jobs (name -> when) of the pipeline GitLab would create with these variables, or `{}` when
 * the workflow rules create none. The copy must carry the probe of {@link addWorkflowProbe}.
 */
export async function pipeline(dir: string, vars: Record<string, string>) {
  const r = await gcl(dir, ["--list-json", ...variables(vars)]);
  assert.equal(r.code, 0, r.stderr);
  const jobs = JSON.parse(r.stdout) as Listed[];
  const probe = jobs.find((j) => j.name === PROBE);
  assert.ok(probe, `${PROBE} is listed: the copy was made with addWorkflowProbe`);
  if (probe.when === "never") return {};
  return Object.fromEntries(
    jobs.filter((j) => j.when !== "never" && j.name !== PROBE).map((j) => [j.name, j.when]),
  );
}

/** The DENO_DIR that already holds this project's npm packages, so a job downloads nothing. */
export async function denoDir(): Promise<string> {
  const r = await run(Deno.execPath(), ["info", "--json"], ROOT);
  return (JSON.parse(r.stdout) as { denoDir: string }).denoDir;
}
