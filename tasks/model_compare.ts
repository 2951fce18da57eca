/**
 * `deno task model compare CANDIDATE`: the promotion gate from the command line. Exit 0 when the
 * candidate may be promoted, 5 when it scores worse than the champion beyond the tolerance.
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";
import { openRegistry, storeLocation } from "../lib/store/open_store.ts";
import { DEFAULT_TOLERANCE, GATE_METRICS, type GateResult } from "../lib/training/gate.ts";
import { runPromotionGate } from "../lib/training/promotion_gate.ts";

/** The exit status of a refused candidate. */
export const REFUSED_EXIT = 5;

export const COMPARE_HELP = `deno task model compare: the promotion gate

Usage: deno task model compare CANDIDATE [--against ALIAS] [--data CSV-or-URI]
         [--metric accuracy|f1|roc_auc|log_loss] [--tolerance T] [--store LOCATION] [--json]

  CANDIDATE        a model folder, a model.json, or a version published in the registry
  --against ALIAS  the champion: the version ALIAS names (default production)
  --data URI       the rows to score both on (a CSV path or URI); default: the rows the
                   candidate records it was evaluated on (its eval file, or its training data
                   split again as its training split it)
  --metric M       accuracy (default), f1, roc_auc or log_loss (lower is better)
  --tolerance T    how much worse than the champion the candidate may be (default ${DEFAULT_TOLERANCE})
  --store LOCATION the registry (default FLUXOPS_STORE, else .fluxops)
  --json           print the result as JSON

Both models are scored on the same rows. Exit status: 0 the candidate is at least the champion
minus the tolerance, or there is no champion yet; ${REFUSED_EXIT} it is worse; 2 usage error; 1 the
models have different features or classes, or the data cannot be read; 4 the store refused.`;

/** Prints a gate's figures in the shape both compare and deploy use. */
export function gateText(r: GateResult): string {
  return r.message;
}

/** Runs `model compare` with the arguments after `compare`; returns the exit status. */
export async function compareMain(args: string[]): Promise<number> {
  const cli = parseCli(
    args,
    {
      against: { type: "string" },
      data: { type: "string" },
      metric: { type: "string", choices: GATE_METRICS },
      tolerance: { type: "number", min: 0 },
      store: { type: "string" },
      json: { type: "boolean" },
    },
    COMPARE_HELP,
    { allowPositionals: true },
  );
  if (cli.exit !== undefined) return cli.exit;
  const { values, positionals } = cli;
  try {
    if (positionals.length !== 1) {
      throw new UsageError("compare: give exactly one CANDIDATE (see --help)");
    }
    const registry = await openRegistry(storeLocation(values.store), { createContainer: true });
    const result = await runPromotionGate({
      registry,
      candidate: positionals[0]!,
      against: values.against,
      data: values.data,
      metric: values.metric,
      tolerance: values.tolerance,
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(gateText(result));
    return result.accepted ? 0 : REFUSED_EXIT;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    if (err instanceof UsageError) return 2;
    if (err instanceof FluxError && err.code === "invalid_input") return 2;
    if (err instanceof FluxError && err.code === "store_error") return 4;
    return 1;
  }
}
