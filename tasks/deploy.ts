/**
 * `deno task deploy --env <dev|prod|local>`: the whole delivery in one command. It applies the
 * infrastructure, reads its outputs, trains (or takes a given model), publishes and promotes the
 * model, builds the function package, uploads it as a new release blob, points the app at it
 * and smoke-tests the result. It stops at the first failure, naming the step, and then puts back
 * what it had changed: the model alias and the app's package setting.
 *
 * On Flex Consumption (infra output `function_hosting.mode = "one_deploy"`, or `--env local
 * --hosting one_deploy`) the app has no package setting: "point" publishes the release's zip by
 * one-deploy (`tasks/deploy/one_deploy.ts`), and a rollback re-publishes the previous release.
 * That path was rehearsed locally only (the SCM stand-in, `tasks/local/scm_server.ts`), never
 * run on Azure.
 *
 * `--env local` runs the same steps against local stand-ins (Azurite, a Key Vault stand-in over
 * HTTPS, a managed-identity endpoint and the package started as the Functions host starts it);
 * see `tasks/deploy_local.ts`.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { dotenv } from "./deploy/dotenv.ts";
import { HOSTING_MODES, type HostingMode } from "./deploy/outputs.ts";
import { azurePlatform } from "./deploy/azure_platform.ts";
import { type DeployState, deploySteps } from "./deploy/deploy_steps.ts";
import { localPlatform } from "./deploy/local_platform.ts";
import type { DeployPlatform } from "./deploy/platform.ts";
import { type RunReport, runSteps } from "./deploy/steps.ts";
import { invalidValue, parseFlags } from "../lib/cli/parse_cli.ts";
import { describeError, FluxError, UsageError } from "../lib/errors.ts";
import { checkAlias } from "../lib/store/registry.ts";
import { ROOT } from "./build_function.ts";
import { DEFAULT_RESTART_WINDOW_MS } from "./deploy_local.ts";

export { applySavedPlan, runInfra } from "./deploy/azure_platform.ts";

const HELP = `deno task deploy: provision, train, publish, package, release and smoke-test

Usage: deno task deploy --env <dev|prod|local> [options] [-- TRAINER FLAGS]

  --env ENV          dev or prod (Azure, through infra/ and its outputs), or local
                     (the same steps on local stand-ins: Azurite, a Key Vault stand-in,
                     a Resource Manager stand-in, the package started as the Functions
                     host starts it)
  --dry-run          print the steps with their parameters and do nothing
  --skip-infra       do not apply infra/; only read its outputs (dev, prod)
  --plan FILE        apply this saved plan (deno task infra plan) instead of planning anew;
                     if it is stale because it was applied already, it is skipped
  --skip-train       keep the model the alias names now; deploy only the package
  --model DIR        publish this trained model folder instead of training one
  --alias NAME       the alias to promote and serve (default production)
  --force            promote without the promotion gate (logged); by default a model
                     that scores worse than the alias' model (deno task model compare)
                     stays published but unpromoted and the deploy fails with the figures
  --fresh            do not resume an interrupted deploy of the same request: train and
                     upload anew (rollback still returns to what ran before it)
  --hosting MODE     local: how the app gets its code: run_from_package (B1, EP1, P1v3:
                     WEBSITE_RUN_FROM_PACKAGE names the release blob; the default) or
                     one_deploy (Flex Consumption FC1: the zip is published to the app's
                     SCM site, POST /api/publish). dev and prod read it from the infra
                     output function_hosting.mode
  --state-dir DIR    local: where the environment is kept between deploys (default
                     .fluxops/deploy/local, or .fluxops/deploy/local-one-deploy)
  --host-restart-ms MS
                     local: how long after each restart of the app its keys (listkeys)
                     still answer 400, as Azure's do while the host restarts
                     (default ${DEFAULT_RESTART_WINDOW_MS}; 0 turns it off)
  --wait SECONDS     how long the new version may take to be served, and its keys to be
                     readable (default: 600 on Azure, 30 locally)
  --dotenv FILE      on success, write FLUXOPS_FUNCTION_URL, FLUXOPS_MODEL_VERSION, ... for
                     GitLab's artifacts:reports:dotenv
  --json             print the report as JSON on stdout (progress goes to stderr)
  -h, --help         show this help

Flags after -- go to the trainer (deno task train), e.g. -- --data train.csv --trees 200.

Steps: infra, outputs, train, publish, promote, build, upload, point, smoke. On one_deploy
hosting, "point" publishes the uploaded release's zip by one-deploy (POST
https://<app>.scm.../api/publish?RemoteBuild=false, Content-Type application/zip, an Entra
token), never setting WEBSITE_RUN_FROM_PACKAGE; the blob onedeploy/current.json in the
deployments container records what was published, and a rollback re-publishes the previous
release's zip. When a step fails
the rest are skipped, and the alias and the package setting are put back as they were before
the deploy; a package is only ever put back if its blob exists (a first deploy has nothing to
go back to: the app stays on the new package, and the report says so).
Re-runnable: a deploy killed halfway is finished by running it again with the same flags (in
CI: retrying the job). The journal blob journal/<alias>.json in the deployments container
records what it did; the retry reuses its model version and package release.
Keys: the function key is read through Resource Manager (listkeys) only once the new version
answers, waiting through the 400 Azure answers while the host restarts (bounded by --wait).
Azure access: DefaultAzureCredential (workload identity in GitLab CI: AZURE_CLIENT_ID,
AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE; az login on a laptop); the app settings are changed
through Resource Manager, which needs ARM_SUBSCRIPTION_ID (or AZURE_SUBSCRIPTION_ID).
NOT RUN AGAINST AZURE: --env dev/prod has never been run against a real subscription; the flow,
the listkeys 400 retry, the resumed deploy and the first-deploy rollback were rehearsed only
with --env local and its stand-ins, and the stale-plan skip only with OpenTofu/Terraform on a
local root module. The one_deploy (Flex Consumption) path was rehearsed only with
--env local --hosting one_deploy and the local SCM stand-in, never run on Azure.
Exit status: 0 deployed, 1 a step failed and everything was put back, 2 usage error,
3 a step failed and something could not be put back (see the report).`;

/** The environments a deploy can target. */
export const ENVIRONMENTS = ["dev", "prod", "local"] as const;
export type DeployEnv = (typeof ENVIRONMENTS)[number];

/** A parsed command line. */
export interface DeployConfig {
  readonly env: DeployEnv;
  readonly dryRun: boolean;
  readonly skipInfra: boolean;
  readonly plan: string | undefined;
  readonly skipTrain: boolean;
  readonly model: string | undefined;
  readonly alias: string;
  /** Skip the promotion gate (issue 16). */
  readonly force: boolean;
  readonly fresh: boolean;
  readonly stateDir: string;
  /** local: the hosting mode rehearsed; dev, prod: undefined (read from the outputs). */
  readonly hosting: HostingMode | undefined;
  readonly restartWindowMs: number;
  readonly waitSeconds: number;
  readonly dotenv: string | undefined;
  readonly json: boolean;
  readonly trainerArgs: readonly string[];
}

/**
 * Parses `deno task deploy` arguments.
 * @throws {UsageError} naming the offending flag.
 */
export function parseDeployArgs(argv: readonly string[]): DeployConfig | "help" {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const trainerArgs = dash < 0 ? [] : argv.slice(dash + 1);
  const v = parseFlags(own, {
    env: { type: "string", choices: ENVIRONMENTS },
    "dry-run": { type: "boolean", default: false },
    "skip-infra": { type: "boolean", default: false },
    plan: { type: "string" },
    "skip-train": { type: "boolean", default: false },
    model: { type: "string" },
    alias: { type: "string", default: "production" },
    force: { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    "state-dir": { type: "string" },
    hosting: { type: "string" },
    "host-restart-ms": { type: "integer", min: 0, max: 600_000 },
    wait: { type: "integer", min: 1 },
    dotenv: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }).values;
  if (v.help) return "help";
  const env = v.env;
  if (env === undefined) throw new UsageError(`--env is required: ${ENVIRONMENTS.join(", ")}`);
  const local = env === "local";
  if (local && v["skip-infra"]) {
    throw new UsageError("--skip-infra: --env local has no infrastructure to skip");
  }
  if (v.plan !== undefined && (local || v["skip-infra"])) {
    throw new UsageError("--plan: only with --env dev or prod, and without --skip-infra");
  }
  if (v["state-dir"] !== undefined && !local) {
    throw new UsageError("--state-dir: only with --env local");
  }
  let hosting: HostingMode | undefined = local ? "run_from_package" : undefined;
  if (v.hosting !== undefined) {
    if (!local) {
      throw new UsageError(
        "--hosting: only with --env local; dev and prod read it from the infra output " +
          "function_hosting.mode",
      );
    }
    hosting = HOSTING_MODES.find((m) => m === v.hosting);
    if (!hosting) {
      throw new UsageError(invalidValue("--hosting", HOSTING_MODES.join(" or "), v.hosting));
    }
  }
  const restart = v["host-restart-ms"];
  if (restart !== undefined && !local) {
    throw new UsageError("--host-restart-ms: only with --env local");
  }
  const restartWindowMs = restart ?? DEFAULT_RESTART_WINDOW_MS;
  if (v.model !== undefined && v["skip-train"]) {
    throw new UsageError("--model and --skip-train: choose one (--model publishes that folder)");
  }
  if (v.model === "") throw new UsageError("--model: expected a folder");
  if (trainerArgs.length > 0 && (v.model !== undefined || v["skip-train"])) {
    throw new UsageError("trainer flags after -- need a training run (no --model, --skip-train)");
  }
  try {
    checkAlias(v.alias);
  } catch (err) {
    throw new UsageError(`--alias: ${describeError(err)}`);
  }
  const waitSeconds = v.wait ?? (local ? 30 : 600);
  return {
    env,
    dryRun: v["dry-run"],
    skipInfra: v["skip-infra"],
    plan: v.plan,
    skipTrain: v["skip-train"],
    model: v.model,
    alias: v.alias,
    force: v.force,
    fresh: v.fresh,
    restartWindowMs,
    stateDir: resolve(
      v["state-dir"] ??
        join(ROOT, ".fluxops", "deploy", hosting === "one_deploy" ? "local-one-deploy" : "local"),
    ),
    hosting,
    waitSeconds,
    dotenv: v.dotenv,
    json: v.json,
    trainerArgs,
  };
}

/** The environment `config` deploys to. */
function platformOf(config: DeployConfig, log: (line: string) => void): DeployPlatform {
  const waitMs = config.waitSeconds * 1000;
  return config.env === "local"
    ? localPlatform({
      stateDir: config.stateDir,
      alias: config.alias,
      hosting: config.hosting ?? "run_from_package",
      restartWindowMs: config.restartWindowMs,
      waitMs,
      log,
    })
    : azurePlatform({
      env: config.env,
      skipInfra: config.skipInfra,
      plan: config.plan,
      waitMs,
      log,
    });
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let config;
  try {
    config = parseDeployArgs(argv);
    if (config !== "help" && config.model !== undefined && !config.dryRun) {
      const dir = resolve(config.model);
      if (!existsSync(join(dir, "model.json")) || !statSync(dir).isDirectory()) {
        throw new UsageError(`--model: ${dir} is not a model folder (no model.json)`);
      }
    }
    if (
      config !== "help" && config.plan !== undefined && !config.dryRun && !existsSync(config.plan)
    ) {
      throw new UsageError(`--plan: ${resolve(config.plan)} does not exist`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const hint = err.message.endsWith("(see --help)") ? "" : " (see --help)";
    console.error(`error: ${err.message}${hint}`);
    return 2;
  }
  if (config === "help") {
    console.log(HELP);
    return 0;
  }
  const log = (line: string) => console.error(line);
  const state: DeployState = {};
  const platform = platformOf(config, log);
  const steps = deploySteps(config, platform, state, log);
  log(
    `${config.dryRun ? "plan of " : ""}deploy --env ${config.env}${
      config.dryRun ? " (dry run: nothing is done)" : ""
    }`,
  );
  // A local run owns processes: stop them on Ctrl+C too.
  const onSignal = () => {
    void platform.stop().finally(() => Deno.exit(130));
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  let report: RunReport;
  try {
    report = await runSteps(steps, { dryRun: config.dryRun, log });
    // The deploy ended: a later one starts anew. Left open when something could not be put
    // back, so the next deploy still knows what ran before.
    if (state.closeJournal && (report.ok || report.rollback.every((r) => r.ok))) {
      await state.closeJournal().catch((err) =>
        log(`warning: could not close the deploy journal: ${describeError(err)}`)
      );
    }
  } finally {
    await platform.stop();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
  const summary = {
    env: config.env,
    ok: report.ok,
    dry_run: report.dryRun,
    error: report.error,
    failed_step: report.failedStep,
    function_url: state.target?.functionUrl ?? null,
    hosting: state.hosting ?? config.hosting ?? null,
    model_version: state.version ?? null,
    package: state.release?.blob ?? null,
    steps: report.steps,
    rollback: report.rollback,
  };
  if (report.ok && !report.dryRun && config.dotenv) {
    await Deno.writeTextFile(
      config.dotenv,
      dotenv({
        DEPLOY_ENV: config.env,
        FLUXOPS_FUNCTION_URL: state.target!.functionUrl,
        FLUXOPS_FUNCTION_APP: state.target!.functionAppName,
        FLUXOPS_RESOURCE_GROUP: state.target!.resourceGroup,
        FLUXOPS_MODEL_VERSION: state.version ?? "",
        FLUXOPS_PACKAGE_BLOB: state.release?.blob ?? "",
      }),
    );
  }
  if (config.json) console.log(JSON.stringify(summary, null, 2));
  if (report.dryRun) {
    log(`${report.steps.length} steps planned; nothing was done`);
    return 0;
  }
  if (report.ok) {
    log(`deployed ${state.version} to ${config.env}: ${state.target?.functionUrl}`);
    return 0;
  }
  log(`error: ${report.error}`);
  const incomplete = report.rollback.some((r) => !r.ok);
  if (report.rollback.length > 0) {
    const nothing = report.rollback.filter((r) => r.detail.startsWith("nothing to roll back to"));
    log(
      incomplete
        ? "rollback INCOMPLETE: see above"
        : nothing.length === 0
        ? "rolled back: the alias and the package are as before"
        : `rolled back what had an earlier state; nothing to roll back to for ${
          nothing.map((r) => r.name).join(" and ")
        } (a first deploy): see above`,
    );
  }
  return incomplete ? 3 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`error: ${err instanceof FluxError ? err.message : describeError(err)}`);
    Deno.exit(1);
  }
}
