/**
 * Fuzzes the packaged function over real HTTP with schemathesis (PyPI): requests generated from
 * its own `/api/openapi.json`, positive and negative, every check (no 5xx, status codes, content
 * types, headers and bodies as documented, invalid data refused, valid data accepted, 405 with
 * `Allow`, ...). Settings: `tests/function/schemathesis.toml`.
 *
 * The seed is fixed so CI is reproducible; `FLUXOPS_FUZZ_SEED=<n>` explores others, and
 * `FLUXOPS_FUZZ_EXAMPLES=<n>` changes the examples per operation.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../support/fixtures.ts";
import { type RunningPackage, startPackage, trainModel } from "../support/package.ts";
import { needsTool, venvTool } from "../support/python.ts";

const schemathesis = venvTool("schemathesis");
const CONFIG = join(import.meta.dirname!, "schemathesis.toml");
const SEED = Deno.env.get("FLUXOPS_FUZZ_SEED") || "20261125";
const EXAMPLES = Deno.env.get("FLUXOPS_FUZZ_EXAMPLES") || "200";
/** The floor on generated test cases. */
const MIN_CASES = 1_000;

/** Every check schemathesis 4 runs against an OpenAPI operation without a response-time limit. */
const ALL_CHECKS = [
  "allow_header_conformance",
  "content_type_conformance",
  "ensure_resource_availability",
  "ignored_auth",
  "missing_required_header",
  "negative_data_rejection",
  "not_a_server_error",
  "object_level_authorization",
  "positive_data_acceptance",
  "response_headers_conformance",
  "response_schema_conformance",
  "status_code_conformance",
  "unsupported_method",
  "use_after_free",
];

/**
 * The operations of the OpenAPI document, as schemathesis labels them. `GET /api/openapi.json`
 * is not among them: loading the document from that URL, schemathesis leaves it out.
 */
const OPERATIONS = [
  "GET /api/health",
  "POST /api/predict",
  "GET /api/model-info",
  "GET /api/drift",
  "GET /v2",
  "GET /v2/health/live",
  "GET /v2/health/ready",
  "GET /v2/models/{name}",
  "GET /v2/models/{name}/ready",
  "POST /v2/models/{name}/infer",
];
const INFER = "POST /v2/models/{name}/infer";

interface Rates {
  accepted: number;
  rejected: number;
}

/** The parts of schemathesis' JSON run report the test reads. */
interface JsonReport {
  exit_code: number;
  operations: { selected: number; tested: number; errored: number };
  test_cases: { generated: number; with_failures: number; errored: number };
  failures: unknown[];
  errors: unknown[];
  valid_rates: Record<string, Record<string, Rates>>;
}

interface Run {
  report: JsonReport;
  /** The check names that ran on each operation, from the NDJSON event stream. */
  checks: Map<string, Set<string>>;
  output: string;
}

/** Options of {@link fuzz}. */
interface FuzzOptions {
  /** Test cases per operation and phase (`--max-examples`). */
  readonly examples?: string;
  /** TOML appended to `schemathesis.toml`. */
  readonly extraConfig?: string;
}

/** Runs `schemathesis run` against the package and reads its reports. */
async function fuzz(
  pkg: RunningPackage,
  dir: string,
  { examples = EXAMPLES, extraConfig = "" }: FuzzOptions = {},
): Promise<Run> {
  const config = join(dir, "schemathesis.toml");
  await Deno.writeTextFile(config, (await Deno.readTextFile(CONFIG)) + extraConfig);
  const json = join(dir, "report.json");
  const ndjson = join(dir, "events.ndjson");
  const out = await new Deno.Command(schemathesis!, {
    args: [
      "--config-file",
      config,
      "run",
      `${pkg.url}/api/openapi.json`,
      "--max-examples",
      examples,
      "--seed",
      SEED,
      "--continue-on-failure",
      "--no-color",
      "--report",
      "json,ndjson",
      "--report-json-path",
      json,
      "--report-ndjson-path",
      ndjson,
    ],
    // Hypothesis and schemathesis keep caches (known failures, examples) in the working folder.
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const output = dec.decode(out.stdout) + dec.decode(out.stderr);
  let report: JsonReport;
  try {
    report = JSON.parse(await Deno.readTextFile(json));
  } catch {
    throw new Error(`schemathesis wrote no report (exit ${out.code}):\n${output}`);
  }
  const checks = new Map<string, Set<string>>();
  for (const line of (await Deno.readTextFile(ndjson)).split("\n")) {
    if (!line.includes('"ScenarioFinished"')) continue;
    const recorder = JSON.parse(line).ScenarioFinished.recorder as {
      label: string;
      checks?: Record<string, { name: string }[]>;
    };
    const names = checks.get(recorder.label) ?? new Set<string>();
    for (const list of Object.values(recorder.checks ?? {})) {
      for (const c of list) names.add(c.name);
    }
    checks.set(recorder.label, names);
  }
  return { report, checks, output };
}

/** The status of every request the package logged (one JSON line per request). */
function loggedStatuses(pkg: RunningPackage): number[] {
  return pkg.stdout().split("\n").filter((l) => l.includes('"msg":"request"')).map((l) =>
    JSON.parse(l).status as number
  );
}

/** Asserts a clean run: no failure, no error, every operation tested. */
function assertClean(run: Run): void {
  const { report, output } = run;
  assert.equal(report.failures.length, 0, output);
  assert.equal(report.errors.length, 0, output);
  assert.equal(report.test_cases.with_failures, 0, output);
  assert.equal(report.test_cases.errored, 0, output);
  assert.equal(report.operations.errored, 0, output);
  assert.equal(report.operations.tested, OPERATIONS.length, output);
  assert.equal(report.exit_code, 0, output);
}

const tool = needsTool(schemathesis !== undefined, "schemathesis (PyPI) for API fuzzing");

Deno.test({
  name: "schemathesis finds no 5xx and no response off the OpenAPI document in 1,000+ requests",
  ...tool,
  async fn() {
    assert.ok(schemathesis, "schemathesis must be installed: run .ci/setup_tools.sh");
    await withTempDir(async (dir) => {
      const pkg = await startPackage({ model: await trainModel(dir) });
      let run: Run;
      try {
        run = await fuzz(pkg, dir);
      } finally {
        await pkg.stop();
      }
      const { report, checks, output } = run;
      const generated = report.test_cases.generated;
      console.log(`schemathesis: ${generated} test cases generated, seed ${SEED}`);
      assertClean(run);
      assert.ok(generated >= MIN_CASES, `only ${generated} test cases generated`);

      // Every check ran on every operation, but positive-data acceptance on V2 infer (see
      // schemathesis.toml); instead, the document's valid example requests were accepted there.
      assert.deepEqual([...checks.keys()].sort(), [...OPERATIONS].sort());
      for (const op of OPERATIONS) {
        const want = op === INFER
          ? ALL_CHECKS.filter((c) => c !== "positive_data_acceptance")
          : ALL_CHECKS;
        assert.deepEqual([...checks.get(op)!].sort(), want, op);
      }
      for (const op of ["POST /api/predict", INFER]) {
        const examples = report.valid_rates[op]?.examples;
        assert.ok(
          examples && examples.accepted >= 1 && examples.rejected === 0,
          `${op}: ${output}`,
        );
      }

      // The package's own log agrees: it saw the requests and answered none with a 5xx.
      const statuses = loggedStatuses(pkg);
      assert.ok(statuses.length >= MIN_CASES, `the package logged ${statuses.length} requests`);
      assert.deepEqual(statuses.filter((s) => s >= 500), []);
      assert.equal(pkg.stderr(), "", "no unhandled error, no stack trace");
    });
  },
});

Deno.test({
  name: "schemathesis finds the package without a model answering 503 only where documented",
  ...tool,
  async fn() {
    assert.ok(schemathesis, "schemathesis must be installed: run .ci/setup_tools.sh");
    await withTempDir(async (dir) => {
      // No model and an empty registry: 503 is the contract (README), so here, and only here,
      // not_a_server_error lets 503 through; every 503 must still be documented and match.
      const pkg = await startPackage({ env: { FLUXOPS_STORE: join(dir, "empty-store") } });
      let run: Run;
      try {
        run = await fuzz(pkg, dir, {
          examples: "50",
          extraConfig:
            '\n[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "503"]\n',
        });
      } finally {
        await pkg.stop();
      }
      console.log(`schemathesis: ${run.report.test_cases.generated} test cases without a model`);
      assertClean(run);
      const statuses = loggedStatuses(pkg);
      assert.ok(statuses.includes(503), "the model routes answered 503");
      assert.deepEqual(statuses.filter((s) => s >= 500 && s !== 503), []);
      assert.equal(pkg.stderr(), "", "no unhandled error, no stack trace");
    });
  },
});
