/**
 * The two Deno configurations: `deno.json` holds what the app needs (all that `deno task start`
 * installs), `tools/deno.json` the same plus the test and tool packages, each with its own lock.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");

interface DenoConfig {
  readonly nodeModulesDir?: string;
  readonly compilerOptions?: Record<string, unknown>;
  readonly imports: Record<string, string>;
}

interface DenoLock {
  readonly npm: Record<string, unknown>;
  readonly workspace: { readonly dependencies: readonly string[] };
}

const read = async <T>(...path: string[]): Promise<T> =>
  JSON.parse(await Deno.readTextFile(join(ROOT, ...path))) as T;

const app = await read<DenoConfig>("deno.json");
const tools = await read<DenoConfig>("tools", "deno.json");
const appLock = await read<DenoLock>("deno.lock");
const toolsLock = await read<DenoLock>("tools", "deno.lock");

/** Packages only tests and tools use; a newcomer's first `start` must not download them. */
const TOOL_ONLY = [
  "azurite",
  "gitlab-ci-local",
  "@secretlint/core",
  "fast-check",
  "ajv",
  "@seriousme/openapi-schema-validator",
  "yaml",
  "ignore",
];

Deno.test("tools/deno.json pins every app package exactly as deno.json does", () => {
  for (const [name, spec] of Object.entries(app.imports)) {
    assert.equal(tools.imports[name], spec, `tools/deno.json imports["${name}"]`);
  }
});

Deno.test("tools/deno.json type-checks with the app's compiler options and no node_modules", () => {
  assert.deepEqual(tools.compilerOptions, app.compilerOptions);
  assert.equal(tools.nodeModulesDir, "none");
  assert.equal(app.nodeModulesDir, "none");
});

Deno.test("deno.json and its lock leave the test and tool packages out", () => {
  for (const name of TOOL_ONLY) {
    assert.equal(app.imports[name], undefined, `deno.json imports ${name}`);
    assert.ok(tools.imports[name], `tools/deno.json pins ${name}`);
  }
  const locked = Object.keys(appLock.npm);
  // protobufjs (under Azurite) is the package whose build script Deno warns about on install.
  for (const name of [...TOOL_ONLY, "protobufjs", "autocannon", "secretlint"]) {
    assert.ok(!locked.some((k) => k.startsWith(`${name}@`)), `deno.lock holds ${name}`);
  }
  assert.ok(locked.length <= 120, `deno.lock holds ${locked.length} npm packages (at most 120)`);
});

Deno.test("each lock's direct dependencies are exactly its config's npm imports", () => {
  const direct = (c: DenoConfig) =>
    [
      ...new Set(
        Object.values(c.imports).map((s) => s.replace(/^(npm:@?[^@/]+(\/[^@]+)?@[^/]+).*$/, "$1")),
      ),
    ]
      .sort();
  assert.deepEqual([...appLock.workspace.dependencies].sort(), direct(app));
  assert.deepEqual([...toolsLock.workspace.dependencies].sort(), direct(tools));
});
