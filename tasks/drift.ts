/**
 * `deno task drift`: the drift of a file of recent rows against a model's training data: the
 * figures `GET /api/drift` gives, written as drift.json and drift.html. The work is in
 * `lib/drift/offline.ts`; this is the command line and its exit statuses.
 * @module
 */
import { withBlobArgs } from "../lib/cli/blob_args.ts";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { type DriftReport, runDrift } from "../lib/drift/offline.ts";
import { type Correction, CORRECTIONS } from "../lib/drift/stats/correction.ts";
import { DEFAULT_DRIFT_SETTINGS } from "../lib/drift/verdict.ts";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";

const HELP = `deno task drift: drift of recent rows against a model's training data

Usage: deno task drift --model PATH --data CURRENT [--reference TRAIN] [--alpha A]
         [--correction bonferroni|fdr] [--share S] [--fail-on dataset|feature] [--quality]
         [--json] [--out DIR]

  --model PATH        model.json, or a model folder that holds one
  --data CURRENT      recent rows: a CSV path with the model's feature columns in any order
                      (its target column may be there too: then accuracy and F1 are reported)
  --reference TRAIN   the training rows (CSV): adds the two-sample Kolmogorov-Smirnov test and
                      the normalised Wasserstein distance per feature; KS then decides drift
  --alpha A           significance level of the family of feature tests (default 0.05)
  --correction C      bonferroni (a feature drifts when p < alpha / features; default) or fdr
                      (Benjamini-Hochberg at alpha)
  --share S           the data set drifts when at least this share of features do (default 0.5)
  --fail-on WHAT      exit 1 when the data set drifted (dataset) or any feature did (feature)
  --quality           count empty and non-numeric cells per feature instead of failing on them
  --out DIR           where to write drift.json and drift.html (default
                      .fluxops/drift/<model version>/)
  --json              print the report as JSON on stdout instead of a summary on stderr
  -h, --help          show this help

Per feature: psi, js_distance (Jensen-Shannon, base 2) and chi2_p_value over the model's
training deciles; with --reference, ks_statistic, ks_p_value and wasserstein_norm. Prediction
drift compares the predicted classes with the training class frequencies.
Exit status: 0 done, 1 drift at the --fail-on level, 2 usage error, 3 data error (a CSV),
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
    reference: { type: "string" },
    alpha: { type: "number", above: 0, below: 1 },
    correction: { type: "string", choices: CORRECTIONS },
    share: { type: "number", above: 0, max: 1 },
    quality: { type: "boolean" },
    out: { type: "string" },
    json: { type: "boolean" },
    "fail-on": { type: "string", choices: ["dataset", "feature"] },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  try {
    if (!values.model) throw new UsageError("--model is required (see --help)");
    if (!values.data) throw new UsageError("--data is required (see --help)");
    const failOn = values["fail-on"];
    const alpha = values.alpha ?? DEFAULT_DRIFT_SETTINGS.alpha;
    const share = values.share ?? DEFAULT_DRIFT_SETTINGS.share;
    const correction: Correction = values.correction ?? DEFAULT_DRIFT_SETTINGS.correction;
    const { report, json, html } = await runDrift({
      model: values.model,
      data: values.data,
      reference: values.reference,
      settings: { alpha, correction, share },
      quality: values.quality ?? false,
      out: values.out,
    });
    if (values.json) console.log(JSON.stringify({ ...report, json, html }));
    else printSummary(report, json, html);
    const anyDrifted = Object.values(report.features).some((f) => f.drifted);
    const failed = (failOn === "dataset" && report.dataset_drift) ||
      (failOn === "feature" && anyDrifted);
    return failed ? 1 : 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return exitCode(err);
  }
}

const fixed = (v: number | null | undefined, d = 4) =>
  v === null || v === undefined || Number.isNaN(v) ? "-".padEnd(d + 2) : v.toFixed(d);
const pFmt = (v: number | undefined) =>
  v === undefined ? "-" : v < 1e-4 ? v.toExponential(1) : v.toFixed(4);

function printSummary(report: DriftReport, json: string, html: string): void {
  const s = report.settings;
  const decided = report.test === "ks" ? "KS against the reference" : "chi-square on the bins";
  console.error(
    `drift of ${report.data} (${report.window} rows) against ${report.model_version}: ` +
      `${report.dataset_drift ? "DATA SET DRIFTED" : "no data-set drift"} ` +
      `(${(report.share_drifted * 100).toFixed(0)}% of features drifted; ${decided}, ` +
      `alpha ${s.alpha}, ${s.correction}, share ${s.share})`,
  );
  const names = Object.keys(report.features);
  const width = Math.max(7, ...names.map((n) => n.length));
  console.error(
    `  ${"feature".padEnd(width)}  psi     js      chi2_p    ks_p      wass    drifted`,
  );
  for (const [name, f] of Object.entries(report.features)) {
    console.error(
      `  ${name.padEnd(width)}  ${fixed(f.psi)}  ${fixed(f.js_distance)}  ${
        pFmt(f.chi2_p_value).padEnd(8)
      }  ${pFmt(f.ks_p_value).padEnd(8)}  ${fixed(f.wasserstein_norm)}  ${
        f.drifted ? "yes" : "no"
      }`,
    );
  }
  const pr = report.prediction;
  console.error(
    pr.available
      ? `prediction drift: chi2 p ${pFmt(pr.chi2_p_value)}, JS ${fixed(pr.js_distance)}` +
        `${pr.drifted ? " (drifted)" : ""}`
      : `prediction drift: unavailable: ${pr.reason}`,
  );
  const perf = report.performance;
  if (perf) {
    console.error(
      `performance on ${perf.rows} labelled rows: accuracy ${fixed(perf.accuracy)} ` +
        `(training ${fixed(perf.training.accuracy)}), F1 ${fixed(perf.f1)} ` +
        `(training ${fixed(perf.training.f1)})`,
    );
  }
  console.error(`json:   ${json}\nreport: ${html}`);
}

if (import.meta.main) Deno.exit(await withBlobArgs(Deno.args, main)); // blob --data (issue 16)
