import assert from "node:assert/strict";
import { copyInfra, run, tofuEnv, tofuPath } from "../support/infra_tools.ts";
import { needsTool } from "../support/python.ts";

const tofu = tofuPath();

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
      await t.step("init installs azurerm 5.2.0 and random 3.9.0 from the mirror", async () => {
        const init = await tf(["init", "-backend=false", "-input=false", "-no-color"]);
        assert.equal(init.code, 0, init.stderr + init.stdout);
        const lock = await Deno.readTextFile(`${copy.dir}/.terraform.lock.hcl`);
        assert.match(
          lock,
          /provider "registry\.opentofu\.org\/hashicorp\/azurerm" \{\n\s+version\s+= "5\.2\.0"/,
        );
        assert.match(
          lock,
          /provider "registry\.opentofu\.org\/hashicorp\/random" \{\n\s+version\s+= "3\.9\.0"/,
        );
      });

      await t.step("validate: valid, no errors and no deprecation warnings", async () => {
        const out = await tf(["validate", "-json", "-no-color"]);
        const result = JSON.parse(out.stdout) as {
          valid: boolean;
          error_count: number;
          warning_count: number;
          diagnostics: { summary: string }[];
        };
        assert.deepEqual(
          { valid: result.valid, errors: result.error_count, warnings: result.warning_count },
          { valid: true, errors: 0, warnings: 0 },
          result.diagnostics.map((d) => d.summary).join("\n"),
        );
        assert.equal(out.code, 0);
      });

      for (const env of ["dev", "prod"]) {
        await t.step(`tofu test with env/${env}.tfvars: every run passes`, async () => {
          const out = await tf(["test", "-no-color", `-var-file=env/${env}.tfvars`]);
          assert.equal(out.code, 0, out.stdout + out.stderr);
          const summary = /Success! (\d+) passed, 0 failed\./.exec(out.stdout);
          assert.ok(summary, out.stdout);
          assert.ok(Number(summary[1]) >= 18, `expected every run to run: ${summary[0]}`);
        });
      }
    } finally {
      await copy.remove();
    }
  },
});
