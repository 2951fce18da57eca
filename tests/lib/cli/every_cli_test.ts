/**
 * Every FluxOps CLI refuses a bad flag value the same way, through lib/cli/parse_cli.ts: exit
 * status 2, nothing on stdout, and one line on stderr naming the flag and the value as typed.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../../support/fixtures.ts";

const ROOT = join(import.meta.dirname!, "..", "..", "..");

/** [entry point, arguments, the one line it prints on stderr]. */
const refused: [string, string[], string][] = [
  ["trainer/main.ts", ["--trees", "-3"], "error: --trees must be a positive integer, got -3"],
  ["trainer/main.ts", ["--trees=0"], "error: --trees must be a positive integer, got 0"],
  ["trainer/main.ts", ["--seed", "-1"], "error: --seed must be a non-negative integer, got -1"],
  [
    "trainer/main.ts",
    ["--test-size", "1.5"],
    "error: --test-size must be a number between 0 and 1, got 1.5",
  ],
  [
    "trainer/main.ts",
    ["--engine", "xgboost"],
    "error: --engine must be native or ml-random-forest, got xgboost",
  ],
  ["trainer/main.ts", ["--bogus"], "error: unknown flag --bogus (see --help)"],
  ["trainer/main.ts", ["--out"], "error: --out needs a value (see --help)"],
  [
    "trainer/predict.ts",
    ["--workers", "-2"],
    "error: --workers must be an integer from 0 to 256, got -2",
  ],
  [
    "function/main.ts",
    ["--port", "-1"],
    "error: --port must be an integer from 1 to 65535, got -1",
  ],
  ["function/main.ts", ["--max-body", "0"], "error: --max-body must be a positive integer, got 0"],
  [
    "function/main.ts",
    ["--body-timeout", "-5"],
    "error: --body-timeout must be a positive number, got -5",
  ],
  [
    "function/main.ts",
    ["--threads", "0"],
    "error: --threads must be auto or a positive integer, got 0",
  ],
  [
    "tasks/start.ts",
    ["--port", "70000"],
    "error: --port must be an integer from 1 to 65535, got 70000",
  ],
  ["tasks/drift.ts", ["--alpha", "2"], "error: --alpha must be a number between 0 and 1, got 2"],
  [
    "tasks/drift.ts",
    ["--share", "0"],
    "error: --share must be a number greater than 0 and at most 1, got 0",
  ],
  [
    "tasks/model.ts",
    ["prune", "--keep", "-1"],
    "error: --keep must be a non-negative integer, got -1",
  ],
  [
    "tasks/model.ts",
    ["compare", "x", "--tolerance", "-0.1"],
    "error: --tolerance must be a non-negative number, got -0.1",
  ],
  [
    "tasks/model.ts",
    ["compare", "x", "--metric", "speed"],
    "error: --metric must be one of accuracy, f1, roc_auc or log_loss, got speed",
  ],
  [
    "tasks/smoke.ts",
    ["--retries", "-1"],
    "error: --retries must be a non-negative integer, got -1",
  ],
  [
    "tasks/deploy.ts",
    ["--env", "local", "--wait", "0"],
    "error: --wait must be a positive integer, got 0 (see --help)",
  ],
  [
    "tasks/infra.ts",
    ["plan", "--env", "staging"],
    "error: --env must be dev or prod, got staging (deno task infra --help)",
  ],
  ["tasks/coverage.ts", ["--min", "101"], "error: --min must be a number from 0 to 100, got 101"],
  ["tasks/compile.ts", ["--target"], "error: --target needs a value (see --help)"],
  ["tasks/build_function.ts", ["--out"], "error: --out needs a value (see --help)"],
  ["tasks/build_node_worker.ts", ["--out"], "error: --out needs a value (see --help)"],
  ["tasks/lcov_to_cobertura.ts", ["--bogus"], "error: unknown flag --bogus (see --help)"],
  [
    "bench/http_load.ts",
    ["--connections", "-3"],
    "error: --connections must be a positive integer, got -3",
  ],
  ["bench/soak.ts", ["--duration", "0"], "error: --duration must be a number of at least 1, got 0"],
  ["bench/cold_start.ts", ["--runs", "-1"], "error: --runs must be a positive integer, got -1"],
  ["bench/train_scale.ts", ["--trees", "-3"], "error: --trees must be a positive integer, got -3"],
  ["bench/predict_cli.ts", ["--repeat", "0"], "error: --repeat must be a positive integer, got 0"],
  [
    "bench/shard_scale.ts",
    ["--shards", "-4"],
    "error: --shards must be a positive integer, got -4",
  ],
  [
    "bench/side_by_side.ts",
    ["--only", "both"],
    "error: --only must be training or scoring, got both",
  ],
  [
    "bench/drift_false_alarms.ts",
    ["--alpha", "-1"],
    "error: --alpha must be a number between 0 and 1, got -1",
  ],
];

for (const [entry, args, line] of refused) {
  Deno.test(`${entry} ${args.join(" ")} exits 2 with "${line}"`, async () => {
    // In an empty folder: a CLI that got past its flags would find no model, data or store.
    await withTempDir(async (dir) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, entry), ...args],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      assert.equal(dec.decode(out.stderr).trimEnd(), line);
      assert.equal(out.code, 2);
      assert.equal(dec.decode(out.stdout), "");
    });
  });
}
