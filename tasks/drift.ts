/**
 * `deno task drift`: the drift of a file of recent rows against a model's training data, the
 * figures `GET /api/drift` gives, written as drift.json and drift.html. The work is in
 * `lib/drift/offline.ts`; this is the command line and its exit statuses.
 * @module
 */
import { withBlobArgs } from "../lib/cli/blob_args.ts";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { runDrift } from "../lib/drift/offline.ts";
import { DRIFT_STATUSES, type DriftStatus } from "../lib/drift/psi.ts";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";

const HELP = `deno task drift: input drift of a CSV file against a model's training data

Usage: deno task drift --model PATH --data FILE.csv [--out DIR] [--json] [--fail-on LEVEL]

  --model PATH      model.json, or a model folder that holds one
  --data FILE.csv   recent rows: the model's feature columns in any order (its target column
                    may be there too)
  --out DIR         where to write drift.json and drift.html (default
                    .fluxops/drift/<model version>/)
  --json            print the figures as JSON on stdout instead of a summary on stderr
  --fail-on LEVEL   exit 1 when a feature is in alert (LEVEL alert) or in warn or alert
                    (LEVEL warn)
  -h, --help        show this help

Each feature's population stability index (PSI) over the model's training deciles: under 0.1
ok, 0.1 to 0.25 warn, 0.25 and above alert; the overall PSI is the mean over features.
Exit status: 0 done, 1 drift at the --fail-on level, 2 usage error, 3 data error (the CSV),
4 model error (missing, corrupt, or without training histograms), 5 cannot write the output.`;

/** The exit status of a failure. */
function exitCode(err: unknown): number {
  if (!(err instanceof FluxError)) return 5;
  switch (err.code) {
    case "usage":
      return 2;
    case "data_error":
    case "invalid_input":
      return 3;
    case "model_not_found":
    case "invalid_model":
    case "integrity_error":
      return 4;
    default:
      return 5;
  }
}

/** Runs the drift task with command-line `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    model: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
    "fail-on": { type: "string" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  try {
    if (!values.model) throw new UsageError("--model is required (see --help)");
    if (!values.data) throw new UsageError("--data is required (see --help)");
    const failOn = values["fail-on"];
    if (failOn !== undefined && failOn !== "warn" && failOn !== "alert") {
      throw new UsageError(`--fail-on: expected warn or alert, got "${failOn}"`);
    }
    const { report, json, html } = await runDrift({
      model: values.model,
      data: values.data,
      out: values.out,
    });
    const summary = {
      model_version: report.model_version,
      data: report.data,
      window: report.window,
      overall_psi: report.overall_psi,
      status: report.status,
      features: Object.fromEntries(
        Object.entries(report.features).map(([n, f]) => [n, { psi: f.psi, status: f.status }]),
      ),
      json,
      html,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      console.error(
        `drift of ${report.data} (${report.window} rows) against ${report.model_version}: ` +
          `overall PSI ${
            report.overall_psi.toFixed(4)
          } (mean), status ${report.status} (worst feature)`,
      );
      const width = Math.max(...Object.keys(report.features).map((n) => n.length));
      for (const [name, f] of Object.entries(report.features)) {
        console.error(`  ${name.padEnd(width)}  ${f.psi.toFixed(4)}  ${f.status}`);
      }
      console.error(`json:   ${json}\nreport: ${html}`);
    }
    const at = (s: DriftStatus) => DRIFT_STATUSES.indexOf(s);
    return failOn !== undefined && at(report.status) >= at(failOn) ? 1 : 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return exitCode(err);
  }
}

if (import.meta.main) Deno.exit(await withBlobArgs(Deno.args, main)); // blob --data (issue 16)
