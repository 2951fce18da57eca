/**
 * The infrastructure-as-code tools the infra tests run, as `.ci/setup_infra_tools.sh` installs
 * them in the tool cache: OpenTofu, a provider mirror it installs from offline, and checkov.
 * @module
 */
import { cpSync } from "node:fs";
import { basename, join } from "node:path";
import { toolCache } from "./python.ts";

/** The repository's root module. */
export const INFRA_DIR = join(import.meta.dirname ?? ".", "..", "..", "infra");

/** The cache's `tofu`, if it has been built. */
export function tofuPath(): string | undefined {
  const path = join(toolCache(), "bin", "tofu");
  return isExecutable(path) && isFile(cliConfigPath()) ? path : undefined;
}

/** The CLI config that installs providers from the cache's mirror only. */
export function cliConfigPath(): string {
  return join(toolCache(), "tofurc");
}

/** The cache's `checkov`, if installed. */
export function checkovPath(): string | undefined {
  const path = join(toolCache(), "checkov-venv", "bin", "checkov");
  return isExecutable(path) ? path : undefined;
}

/** Environment for tofu: offline provider installation, no telemetry, nothing inherited. */
export function tofuEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    TF_CLI_CONFIG_FILE: cliConfigPath(),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    ...extra,
  };
}

/** Output of a finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin` with `args` in `cwd` and the given environment only; collects its output. */
export async function run(
  bin: string,
  args: string[],
  { cwd, env }: { cwd?: string; env: Record<string, string> },
): Promise<Ran> {
  const out = await new Deno.Command(bin, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    ...(cwd === undefined ? {} : { cwd }),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** This machine's platform as Terraform names it, e.g. linux_amd64. */
export function hostPlatform(): string {
  const arch = { x86_64: "amd64", aarch64: "arm64" }[Deno.build.arch];
  return `${Deno.build.os}_${arch}`;
}

/**
 * Copies `infra/` (with its committed lock file, without local state, data dirs or a backend
 * override) into a new temporary folder and returns the copy's root module path; tools that
 * write next to the code write there.
 */
export async function copyInfra(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const root = await Deno.makeTempDir({ prefix: "fluxops-infra-" });
  const dir = join(root, "infra");
  const skip = new Set([".terraform", "backend_override.tf"]);
  cpSync(INFRA_DIR, dir, { recursive: true, filter: (src) => !skip.has(basename(src)) });
  return { dir, remove: () => Deno.remove(root, { recursive: true }) };
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
