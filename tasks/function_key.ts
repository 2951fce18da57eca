/**
 * `deno task function-key --resource-group RG --app NAME`: prints a Function App's default
 * function key, read through Resource Manager with `DefaultAzureCredential`, so a pipeline job
 * can smoke-test keyed routes without a key stored as a CI variable.
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { DefaultAzureCredential } from "@azure/identity";
import { ArmClient } from "./deploy/arm.ts";
import { describeError } from "../lib/errors.ts";

const HELP = `deno task function-key: print a Function App's default function key

Usage: deno task function-key --resource-group RG --app NAME [--subscription ID]

  --resource-group RG   the app's resource group (env FLUXOPS_RESOURCE_GROUP)
  --app NAME            the Function App (env FLUXOPS_FUNCTION_APP)
  --subscription ID     default ARM_SUBSCRIPTION_ID, else AZURE_SUBSCRIPTION_ID
  -h, --help            show this help

Uses DefaultAzureCredential (workload identity in GitLab CI, az login on a laptop).
The key goes to stdout only: capture it, e.g. FLUXOPS_FUNCTION_KEY=$(deno task -q function-key ...).`;

/** Runs the CLI; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    "resource-group": { type: "string" },
    app: { type: "string" },
    subscription: { type: "string" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const env = (n: string) => Deno.env.get(n) || undefined;
  const resourceGroup = values["resource-group"] ?? env("FLUXOPS_RESOURCE_GROUP");
  const name = values.app ?? env("FLUXOPS_FUNCTION_APP");
  const subscriptionId = values.subscription ?? env("ARM_SUBSCRIPTION_ID") ??
    env("AZURE_SUBSCRIPTION_ID");
  if (!resourceGroup || !name || !subscriptionId) {
    console.error(
      "error: need --resource-group, --app and a subscription (--subscription or " +
        "ARM_SUBSCRIPTION_ID) (see --help)",
    );
    return 2;
  }
  try {
    const arm = new ArmClient({ subscriptionId, resourceGroup, name }, {
      credential: new DefaultAzureCredential(),
    });
    console.log(await arm.defaultFunctionKey());
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
