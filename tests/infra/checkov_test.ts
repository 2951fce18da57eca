import assert from "node:assert/strict";
import { join } from "node:path";
import { checkovPath, copyInfra, run } from "../support/infra_tools.ts";
import { needsTool } from "../support/python.ts";

const checkov = checkovPath();

interface CheckResult {
  check_id: string;
  resource: string;
  check_result: { result: string; suppress_comment?: string };
}

/** Every `#checkov:skip=ID:reason` written in the .tf files under `dir`. */
async function inlineSkips(dir: string): Promise<Map<string, string>> {
  const skips = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      for (const [id, reason] of await inlineSkips(path)) skips.set(`${id}`, reason);
    } else if (entry.name.endsWith(".tf")) {
      for (
        const m of (await Deno.readTextFile(path)).matchAll(/#checkov:skip=([A-Z0-9_]+):(.*)$/gm)
      ) {
        skips.set(m[1]!, m[2]!.trim());
      }
    }
  }
  return skips;
}

Deno.test({
  name: "checkov finds no failed check in infra/, and every skip is an inline one with a reason",
  ...needsTool(checkov !== undefined, "checkov (made by .ci/setup_infra_tools.sh)"),
  async fn() {
    const copy = await copyInfra();
    try {
      const out = await run(
        checkov!,
        ["-d", copy.dir, "--framework", "terraform", "--output", "json", "--skip-download"],
        {
          env: {
            PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
            HOME: Deno.env.get("HOME") ?? "/tmp",
            BC_SKIP_MAPPING: "TRUE",
          },
        },
      );
      const report = JSON.parse(out.stdout) as {
        summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
        results: {
          passed_checks: CheckResult[];
          failed_checks: CheckResult[];
          skipped_checks: CheckResult[];
        };
      };
      const failed = report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`);
      assert.deepEqual(failed, [], `checkov failed checks:\n${failed.join("\n")}`);
      assert.equal(report.summary.parsing_errors, 0);
      assert.ok(report.summary.passed >= 30, `only ${report.summary.passed} checks passed`);

      const passed = new Set(report.results.passed_checks.map((c) => c.check_id));
      for (
        const id of [
          "CKV_AZURE_3",
          "CKV_AZURE_44",
          "CKV_AZURE_190",
          "CKV2_AZURE_40",
          "CKV2_AZURE_38",
          "CKV_AZURE_110",
          "CKV_AZURE_42",
          "CKV_AZURE_41",
          "CKV_AZURE_114",
          "CKV_AZURE_70",
          "CKV_AZURE_145",
        ]
      ) {
        assert.ok(passed.has(id), `${id} did not pass`);
      }

      const written = await inlineSkips(copy.dir);
      const skipped = new Map(report.results.skipped_checks.map((c) => [c.check_id, c]));
      for (const [id, check] of skipped) {
        const reason = check.check_result.suppress_comment ?? "";
        assert.ok(written.has(id), `${id} skipped without a #checkov:skip in the code`);
        assert.ok(reason.length >= 20, `${id} on ${check.resource}: no reason given`);
      }
      assert.deepEqual(
        [...written.keys()].sort(),
        [...skipped.keys()].sort(),
        "an inline skip matches no check",
      );
      assert.equal(out.code, 0, out.stderr);
    } finally {
      await copy.remove();
    }
  },
});
