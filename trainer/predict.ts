/**
 * `deno task predict`: batch scoring of a CSV file with a trained model. Writes one row per input
 * row with a `prediction` column and a `p_<class>` column per class. Exit 0 on success, 2 on a
 * usage error, 1 on a data or model error.
 * @module
 */
import { withBlobArgs } from "../lib/cli/blob_args.ts";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, UsageError } from "../lib/errors.ts";
import { readFeatureTable } from "../lib/data/csv.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { resolveModelPath } from "../lib/model/local_store.ts";
import { scoreTable, writeScores } from "../lib/training/batch_score.ts";

const HELP = `fluxops predict: score a CSV file with a trained model

Usage: deno task predict --model PATH --data FILE.csv [--out FILE.csv]

  --model PATH     model.json, or a model folder that holds one
  --data FILE.csv  rows to score; columns must be the model's features (any order),
                   plus optionally its target column
  --out FILE.csv   where to write the scores (default: standard output)
  --compiled       score with trees compiled to JavaScript: faster for very large files
                   (millions of rows), slower below that (compiling takes about a second)
  --json           print a JSON summary on stderr instead of text
  -h, --help       show this help

Output columns: prediction, then p_<class> for each class of the model.
If the file has the model's target column, accuracy is printed on stderr.
Exit status: 0 success, 2 usage error, 1 data or model error.`;

/** Runs batch scoring with command-line `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    model: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    compiled: { type: "boolean" },
    json: { type: "boolean" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  try {
    if (!values.model) throw new UsageError("--model is required (see --help)");
    if (!values.data) throw new UsageError("--data is required (see --help)");
    const model = await loadModel(await resolveModelPath(values.model));
    const table = await readFeatureTable(values.data, {
      features: model.featureNames,
      target: model.artifact.target,
    });
    const started = performance.now();
    const scores = scoreTable(model, table, { compile: values.compiled === true });
    const seconds = (performance.now() - started) / 1000;
    await writeScores(scores, model.artifact.classes, values.out);
    const summary = {
      model_version: model.artifact.version,
      rows: table.nRows,
      seconds: Math.round(seconds * 1e4) / 1e4,
      accuracy: scores.accuracy,
      out: values.out ?? null,
    };
    if (values.json) console.error(JSON.stringify(summary));
    else {
      const acc = scores.accuracy === null ? "" : `; accuracy ${scores.accuracy.toFixed(4)}`;
      console.error(
        `scored ${table.nRows} rows with ${model.artifact.version} in ${
          seconds.toFixed(3)
        } s${acc}`,
      );
    }
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await withBlobArgs(Deno.args, main)); // blob --data (issue 16)
