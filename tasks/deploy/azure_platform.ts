/**
 * The Azure {@link DeployPlatform} of `deno task deploy --env dev|prod`: the infrastructure is
 * applied with `deno task infra` (or a reviewed saved plan), its outputs read with `deno task
 * infra output`, the blob containers opened through the outputs' URLs and the app driven through
 * Resource Manager (or one-deploy on Flex Consumption) with DefaultAzureCredential. Never run
 * against a real subscription: rehearsed through `--env local` only.
 * @module
 */
import { DefaultAzureCredential } from "@azure/identity";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import type { StorageBackend } from "../../lib/store/backend.ts";
import { openBlobBackend } from "../../lib/store/open_blob_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { type BlobLocation, parseStoreUrl } from "../../lib/store/store_url.ts";
import { ROOT } from "../build_function.ts";
import { type AppHost, armAppHost, oneDeployAppHost } from "./app_host.ts";
import { ArmClient } from "./arm.ts";
import { OneDeployClient, scmUrlOf } from "./one_deploy.ts";
import {
  type DeployTarget,
  hostingFromOutputs,
  type HostingMode,
  REQUIRED_OUTPUTS,
  targetFromOutputs,
} from "./outputs.ts";
import type { DeployPlatform } from "./platform.ts";
import { runDeno, ScriptFailed } from "./run_script.ts";

/** Options of {@link azurePlatform}. */
export interface AzurePlatformOptions {
  /** The environment: infra/env/<env>.tfvars. */
  readonly env: string;
  /** Only read the outputs; apply nothing. */
  readonly skipInfra: boolean;
  /** A saved plan to apply instead of planning anew. */
  readonly plan: string | undefined;
  /** How long reading the function key may wait through the host-restart 400, ms. */
  readonly waitMs: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

const unknown = (what: string) => `<${what}>`;

/** The Azure platform for `env`. */
export function azurePlatform(
  { env, skipInfra, plan, waitMs, log }: AzurePlatformOptions,
): DeployPlatform {
  const infraArgs = [
    "apply",
    "--env",
    env,
    "--auto-approve",
    ...(plan ? ["--plan", resolve(plan)] : []),
  ];
  const deployments = (target: DeployTarget): StorageBackend =>
    openBlobBackend(parseStoreUrl(target.deployments) as BlobLocation, { timeoutMs: 600_000 });
  let app: AppHost | undefined;
  return {
    infra: {
      title: "apply infra/",
      params: () => ({
        command: skipInfra ? "(skipped: --skip-infra)" : `deno task infra ${infraArgs.join(" ")}`,
      }),
      async run() {
        if (skipInfra) return "skipped (--skip-infra)";
        if (plan) return await applySavedPlan(env, resolve(plan), runInfra, log);
        await runDeno("tasks/infra.ts", infraArgs);
        return `applied infra/ with env/${env}.tfvars`;
      },
    },
    outputs: {
      title: "read the infrastructure's outputs",
      params: () => ({
        command: `deno task infra output --json --env ${env}`,
        reads: REQUIRED_OUTPUTS.join(", "),
      }),
      async run() {
        const outputs = JSON.parse(
          await runDeno("tasks/infra.ts", ["output", "--json", "--env", env], { capture: true }),
        );
        return { target: targetFromOutputs(outputs), hosting: hostingFromOutputs(outputs) };
      },
    },
    registry: (target) =>
      new ModelRegistry(openBlobBackend(parseStoreUrl(target.modelStore) as BlobLocation)),
    deployments,
    app: (target, hosting) =>
      app ??= azureApp(target, hosting, () => deployments(target), waitMs, log),
    trainedDir: join(ROOT, ".fluxops", "deploy", env, "trained"),
    trainerEnv: () => ({}),
    planned: {
      modelStore: unknown("output model_store_url"),
      deployments: unknown("output containers.deployments"),
      functionUrl: unknown("output function_app_url"),
    },
    pointVia: {
      run_from_package: "Resource Manager REST (DefaultAzureCredential)",
      one_deploy:
        "POST https://<app>.scm.../api/publish?RemoteBuild=false (DefaultAzureCredential)",
    },
    hostingNote: "or one-deploy, if output function_hosting says so",
    pollMs: 5_000,
    stop: () => Promise.resolve(),
  };
}

/** Runs `deno task infra ARGS` (its output goes to stderr); throws when it fails. */
export async function runInfra(args: string[]): Promise<void> {
  await runDeno("tasks/infra.ts", args);
}

/**
 * Resource Manager with DefaultAzureCredential; on one_deploy hosting (FC1), one-deploy to the
 * app's SCM site with the same credential (never run on Azure: rehearsed locally only).
 */
function azureApp(
  target: DeployTarget,
  hosting: HostingMode,
  deployments: () => StorageBackend,
  waitMs: number,
  log: (s: string) => void,
): AppHost {
  let arm: ArmClient | undefined;
  let credential: DefaultAzureCredential | undefined;
  const client = () => {
    const subscriptionId = Deno.env.get("ARM_SUBSCRIPTION_ID") ||
      Deno.env.get("AZURE_SUBSCRIPTION_ID");
    if (!subscriptionId) {
      throw new UsageError(
        "ARM_SUBSCRIPTION_ID (or AZURE_SUBSCRIPTION_ID) is not set: the app settings are " +
          "changed through Resource Manager, which needs the subscription",
      );
    }
    arm ??= new ArmClient(
      { subscriptionId, resourceGroup: target.resourceGroup, name: target.functionAppName },
      {
        credential: credential ??= new DefaultAzureCredential(),
        hostRestartWaitMs: waitMs,
        onWait: (m) => log(`      ${m}`),
      },
    );
    return arm;
  };
  if (hosting === "one_deploy") {
    const scm = scmUrlOf(target.functionUrl);
    let publisher: OneDeployClient | undefined;
    return oneDeployAppHost({
      publish: (zip) =>
        (publisher ??= new OneDeployClient(scm, {
          credential: credential ??= new DefaultAzureCredential(),
        })).publish(zip),
      arm: client,
      deployments,
      container: target.deployments,
      describe: { app: `${target.functionAppName}: one-deploy to ${scm}/api/publish` },
    });
  }
  return armAppHost(
    client,
    `${target.resourceGroup}/${target.functionAppName} (Resource Manager REST)`,
  );
}

/**
 * Where `deno task infra` keeps an environment's work files (plan.report.json): beside the root
 * module, as tasks/infra.ts does (`FLUXOPS_INFRA_DIR`, else infra/).
 */
function infraWorkDir(env: string): string {
  const infraDir = resolve(Deno.env.get("FLUXOPS_INFRA_DIR") ?? join(ROOT, "infra"));
  return join(dirname(infraDir), ".fluxops", "infra", env);
}

/** Terraform's and OpenTofu's refusal of a saved plan made before the state last changed. */
const STALE_PLAN = /Saved plan is stale|plan file can no longer be applied/i;

/**
 * Applies the saved plan `plan`; when it is stale (the state changed after it was made, e.g. a
 * retried deploy whose first run applied it), plans again: no changes means it was applied
 * already and the step is skipped; changes mean the reviewed plan no longer says what would be
 * applied, and the deploy stops rather than apply what nobody reviewed.
 * @returns the step's summary.
 */
export async function applySavedPlan(
  env: string,
  plan: string,
  run: (args: string[]) => Promise<unknown>,
  log: (s: string) => void,
): Promise<string> {
  try {
    await run(["apply", "--env", env, "--auto-approve", "--plan", plan]);
    return `applied the saved plan ${plan}`;
  } catch (err) {
    if (!(err instanceof ScriptFailed) || !STALE_PLAN.test(err.stderr)) throw err;
  }
  log(
    "      the saved plan is stale (the state changed after it was made); planning again to " +
      "see whether it was applied already",
  );
  await run(["plan", "--env", env]);
  const reportFile = join(infraWorkDir(env), "plan.report.json");
  const r = JSON.parse(await Deno.readTextFile(reportFile)) as Record<string, number>;
  const changes = (r.create ?? 0) + (r.update ?? 0) + (r.delete ?? 0);
  if (changes === 0) {
    return `skipped: the saved plan ${plan} was applied already (it is stale, and a fresh ` +
      "plan finds nothing to change)";
  }
  throw new Error(
    `the saved plan ${plan} is stale and infra/ still differs from ${env} (${r.create} to ` +
      `create, ${r.update} to update, ${r.delete} to delete): run the plan job again and ` +
      "review the new plan; nothing was applied",
  );
}
