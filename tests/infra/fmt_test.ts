import assert from "node:assert/strict";
import { INFRA_DIR, run, tofuEnv, tofuPath } from "../support/infra_tools.ts";
import { needsTool } from "../support/python.ts";

const tofu = tofuPath();

Deno.test({
  name: "infra/ is formatted: tofu fmt -check -recursive reports no file",
  ...needsTool(tofu !== undefined, "tofu (made by .ci/setup_infra_tools.sh)"),
  async fn() {
    const out = await run(tofu!, ["fmt", "-check", "-recursive", "-diff", INFRA_DIR], {
      env: tofuEnv(),
    });
    assert.equal(out.stdout, "", `unformatted:\n${out.stdout}`);
    assert.equal(out.code, 0, out.stderr);
  },
});
