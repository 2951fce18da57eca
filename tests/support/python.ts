/**
 * Finds the Python interpreter and tools of the test venv (tritonclient, schemathesis), made by
 * `.ci/setup_tools.sh` in a cache outside the repository.
 * @module
 */
import { join } from "node:path";

/** The cache folder for tools the tests need (never inside the repository). */
export function toolCache(): string {
  return Deno.env.get("FLUXOPS_TOOL_CACHE") ??
    join(Deno.env.get("HOME") ?? "/tmp", ".cache", "fluxops-tools");
}

/** The test venv's python, if it exists and can import `module`. */
export function pythonWith(module: string): string | undefined {
  const py = join(toolCache(), "venv", "bin", "python");
  try {
    const out = new Deno.Command(py, {
      args: ["-c", `import ${module}`],
      stderr: "null",
      stdout: "null",
    })
      .outputSync();
    return out.success ? py : undefined;
  } catch {
    return undefined;
  }
}

/** A command-line tool of the test venv (`bin/<name>`), if it exists and answers `--version`. */
export function venvTool(name: string): string | undefined {
  const path = join(toolCache(), "venv", "bin", name);
  try {
    const out = new Deno.Command(path, { args: ["--version"], stderr: "null", stdout: "null" })
      .outputSync();
    return out.success ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deno.test options for a test that needs an external tool: ignored (with a printed reason)
 * when the tool is missing and CI is not set; with CI=true the test runs and fails.
 */
export function needsTool(available: boolean, what: string): { ignore: boolean } {
  const ci = Deno.env.get("CI") === "true";
  if (!available && !ci) {
    console.warn(
      `skipping: ${what} is not installed (run .ci/setup_tools.sh; CI=true makes this a failure)`,
    );
  }
  return { ignore: !available && !ci };
}
