import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { applySavedPlan, runInfra } from "../../tasks/deploy.ts";
import { needsTool, toolCache } from "../support/python.ts";

/** OpenTofu from the tool cache, else Terraform or OpenTofu on PATH. */
function tfBinary(): string | undefined {
  const cached = join(toolCache(), "bin", "tofu");
  if (existsSync(cached)) return cached;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["tofu", "terraform"]) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

const BIN = tfBinary();

/** A root module with only Terraform's built-in provider: plans and applies offline. */
const MAIN_TF = `variable "label" {
  type = string
}

resource "terraform_data" "marker" {
  input = var.label
}

output "label" {
  value = terraform_data.marker.output
}
`;

Deno.test({
  name:
    "a retried deploy skips a saved plan that was applied already, and refuses one that is stale with changes left",
  ...needsTool(BIN !== undefined, "OpenTofu or Terraform"),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "fluxops-stale-plan-" });
    const infra = join(root, "infra");
    const saved = join(root, "reviewed.tfplan");
    const saveEnv = ["FLUXOPS_INFRA_DIR", "TF_BIN", "TF_CLI_CONFIG_FILE"]
      .map((k) => [k, Deno.env.get(k)] as const);
    Deno.env.set("FLUXOPS_INFRA_DIR", infra);
    Deno.env.set("TF_BIN", BIN!);
    // An empty CLI config: one that names a missing file makes tofu print a warning on stdout,
    // which breaks \`show -json\` (seen on the build machine: TF_CLI_CONFIG_FILE=~/.terraformrc).
    const rc = join(root, "tofurc");
    await Deno.writeTextFile(rc, "");
    Deno.env.set("TF_CLI_CONFIG_FILE", rc);
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    try {
      await Deno.mkdir(join(infra, "env"), { recursive: true });
      await Deno.writeTextFile(join(infra, "main.tf"), MAIN_TF);
      // Every init uses the committed lock file; this module needs no provider, so it is empty.
      await Deno.writeTextFile(join(infra, ".terraform.lock.hcl"), "");
      await Deno.writeTextFile(join(infra, "env", "dev.tfvars"), 'label = "one"\n');
      // The plan job: a saved plan, reviewed, then handed to the deploy job.
      await runInfra(["plan", "--env", "dev"]);
      await Deno.copyFile(join(root, ".fluxops", "infra", "dev", "plan.tfplan"), saved);

      const first = await applySavedPlan("dev", saved, runInfra, log);
      assert.equal(first, `applied the saved plan ${saved}`);

      // The job is retried after a later step failed: the same plan again.
      const retried = await applySavedPlan("dev", saved, runInfra, log);
      assert.match(retried, /^skipped: the saved plan .* was applied already/);
      assert.ok(lines.some((l) => /the saved plan is stale .* planning again/.test(l)));

      // The configuration moved on since the review: the stale plan must not stand for it.
      await Deno.writeTextFile(join(infra, "env", "dev.tfvars"), 'label = "two"\n');
      await assert.rejects(
        () => applySavedPlan("dev", saved, runInfra, log),
        /the saved plan .* is stale and infra\/ still differs from dev \(0 to create, 1 to update, 0 to delete\): run the plan job again and review the new plan; nothing was applied/,
      );
      const state = JSON.parse(
        await Deno.readTextFile(join(root, ".fluxops", "infra", "dev", "terraform.tfstate")),
      );
      assert.equal(state.outputs.label.value, "one", "nothing unreviewed was applied");
    } finally {
      for (const [k, v] of saveEnv) {
        if (v === undefined) Deno.env.delete(k);
        else Deno.env.set(k, v);
      }
      await Deno.remove(root, { recursive: true });
    }
  },
});
