import assert from "node:assert/strict";
import { join } from "node:path";
import { copyInfra, run, tofuEnv, tofuPath } from "../support/infra_tools.ts";
import { needsTool } from "../support/python.ts";

const tofu = tofuPath();

/**
 * The dependency graph of `tofu graph` output: node -> the nodes it depends on. Node names lose
 * "[root] " and their "(expand ...)" suffix, so a module variable's input and reference nodes
 * are one.
 */
function dependencies(dot: string): Map<string, Set<string>> {
  const name = (node: string) => node.replace(/^\[root\] /, "").replace(/ \([^)]*\)$/, "");
  const graph = new Map<string, Set<string>>();
  for (const m of dot.matchAll(/^\s*"((?:[^"\\]|\\.)+)" -> "((?:[^"\\]|\\.)+)"/gm)) {
    const from = name(m[1]!);
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(name(m[2]!));
  }
  return graph;
}

/** Whether `from` depends, directly or through others, on `to`. */
function dependsOn(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.pop()!;
    if (node === to) return true;
    if (seen.has(node)) continue;
    seen.add(node);
    queue.push(...(graph.get(node) ?? []));
  }
  return false;
}

/** `tofu validate -json` says valid, with no error and no warning. */
async function assertValid(tf: (args: string[]) => ReturnType<typeof run>): Promise<void> {
  const out = await tf(["validate", "-json", "-no-color"]);
  const result = JSON.parse(out.stdout) as {
    valid: boolean;
    error_count: number;
    warning_count: number;
    diagnostics: { summary: string; detail?: string }[];
  };
  assert.deepEqual(
    { valid: result.valid, errors: result.error_count, warnings: result.warning_count },
    { valid: true, errors: 0, warnings: 0 },
    result.diagnostics.map((d) => `${d.summary}: ${d.detail ?? ""}`).join("\n"),
  );
  assert.equal(out.code, 0);
}

/** Every `tofu test` run passed, and at least `min` of them ran. */
function assertAllPassed(out: { code: number; stdout: string; stderr: string }, min: number) {
  assert.equal(out.code, 0, out.stdout + out.stderr);
  const summary = /Success! (\d+) passed, 0 failed\./.exec(out.stdout);
  assert.ok(summary, out.stdout);
  assert.ok(Number(summary[1]) >= min, `expected every run to run: ${summary[0]}`);
}

Deno.test({
  name:
    "infra/ validates against the real azurerm provider schema, and its tofu tests pass for dev and prod",
  ...needsTool(
    tofu !== undefined,
    "tofu and its provider mirror (made by .ci/setup_infra_tools.sh)",
  ),
  async fn(t) {
    const copy = await copyInfra();
    const tf = (args: string[]) => run(tofu!, args, { cwd: copy.dir, env: tofuEnv() });
    try {
      await t.step(
        "init installs azurerm 5.2.0, random 3.9.0 and time 0.14.2 exactly as the committed lock file records them",
        async () => {
          const committed = await Deno.readTextFile(join(copy.dir, ".terraform.lock.hcl"));
          const init = await tf([
            "init",
            "-backend=false",
            "-input=false",
            "-lockfile=readonly",
            "-no-color",
          ]);
          assert.equal(init.code, 0, init.stderr + init.stdout);
          for (
            const [name, version] of [["azurerm", "5.2.0"], ["random", "3.9.0"], ["time", "0.14.2"]]
          ) {
            assert.match(
              committed,
              new RegExp(
                `provider "registry\\.opentofu\\.org/hashicorp/${name}" \\{\\n\\s+version\\s+= "${
                  version!.replaceAll(".", "\\.")
                }"`,
              ),
            );
          }
          assert.equal(
            await Deno.readTextFile(join(copy.dir, ".terraform.lock.hcl")),
            committed,
            "init changed the lock file",
          );
        },
      );

      await t.step("validate: valid, no errors and no deprecation warnings", () => assertValid(tf));

      await t.step(
        "the signing secret is written only after the wait for the deployer's role to propagate",
        async () => {
          const out = await tf(["graph", "-type=plan", "-var-file=env/dev.tfvars"]);
          assert.equal(out.code, 0, out.stderr);
          const graph = dependencies(out.stdout);
          assert.ok(
            dependsOn(
              graph,
              "module.key_vault.azurerm_key_vault_secret.signing_key",
              "time_sleep.deployer_rbac_propagation",
            ),
            "the signing secret does not wait for the deployer's role propagation",
          );
          assert.ok(
            dependsOn(
              graph,
              "time_sleep.deployer_rbac_propagation",
              "azurerm_role_assignment.deployer_secrets_officer",
            ),
            "the wait does not follow the Secrets Officer assignment",
          );
          for (
            const output of ["output.function_app_url", "output.key_vault_uri", "output.containers"]
          ) {
            assert.ok(
              dependsOn(graph, output, "time_sleep.function_rbac_propagation"),
              `${output}, which the deploy reads, does not wait for the function's roles`,
            );
          }
        },
      );

      for (const env of ["dev", "prod"]) {
        await t.step(`tofu test with env/${env}.tfvars: every run passes`, async () => {
          assertAllPassed(await tf(["test", "-no-color", `-var-file=env/${env}.tfvars`]), 30);
        });
      }
    } finally {
      await copy.remove();
    }
  },
});

Deno.test({
  name:
    "infra/bootstrap validates, and its tofu tests pass: the pipeline's grants stop at each environment's group",
  ...needsTool(
    tofu !== undefined,
    "tofu and its provider mirror (made by .ci/setup_infra_tools.sh)",
  ),
  async fn() {
    const copy = await copyInfra();
    const dir = join(copy.dir, "bootstrap");
    const tf = (args: string[]) => run(tofu!, args, { cwd: dir, env: tofuEnv() });
    try {
      const init = await tf([
        "init",
        "-backend=false",
        "-input=false",
        "-lockfile=readonly",
        "-no-color",
      ]);
      assert.equal(init.code, 0, init.stderr + init.stdout);
      await assertValid(tf);
      assertAllPassed(await tf(["test", "-no-color"]), 4);
    } finally {
      await copy.remove();
    }
  },
});
