/**
 * `deno task deploy --env <dev|prod|local>`: the whole delivery in one command. It applies the
 * infrastructure, reads its outputs, trains (or takes a given model), publishes and promotes the
 * model, builds the function package, uploads it as a new release blob, points the app at it
 * and smoke-tests the result. It stops at the first failure, naming the step, and then puts back
 * what it had changed: the model alias and the app's package setting.
 *
 * On Flex Consumption (infra output `function_hosting.mode = "one_deploy"`, or `--env local
 * --hosting one_deploy`) the app has no package setting: "point" publishes the release's zip by
 * one-deploy (`lib/deploy/one_deploy.ts`), and a rollback re-publishes the previous release.
 * That path was rehearsed locally only (the SCM stand-in, `tasks/local/scm_server.ts`), never
 * run on Azure.
 *
 * `--env local` runs the same steps against local stand-ins (Azurite, a Key Vault stand-in over
 * HTTPS, a managed-identity endpoint and the package started as the Functions host starts it);
 * see `tasks/deploy_local.ts`.
 * @module
 */
import { DefaultAzureCredential } from "@azure/identity";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type AppHost, armAppHost, oneDeployAppHost } from "../lib/deploy/app_host.ts";
import { ArmClient } from "../lib/deploy/arm.ts";
import {
  type Before,
  type DeployJournal,
  journalBlob,
  parseJournal,
  requestKey,
  startJournal,
} from "../lib/deploy/journal.ts";
import { dotenv } from "../lib/deploy/dotenv.ts";
import {
  type DeployTarget,
  HOSTING_MODES,
  hostingFromOutputs,
  type HostingMode,
  REQUIRED_OUTPUTS,
  targetFromOutputs,
} from "../lib/deploy/outputs.ts";
import { OneDeployClient, scmUrlOf } from "../lib/deploy/one_deploy.ts";
import { blobOf, packageUrl, type Release, releaseOf, stamp } from "../lib/deploy/release.ts";
import { type RunReport, runSteps, type Step } from "../lib/deploy/steps.ts";
import { waitForVersion } from "../lib/deploy/wait_for_version.ts";
import { invalidValue, parseFlags } from "../lib/cli/parse_cli.ts";
import { ConflictError, describeError, FluxError, UsageError } from "../lib/errors.ts";
import { parseModel } from "../lib/model/artifact.ts";
import { sha256Hex } from "../lib/model/canonical.ts";
import type { StorageBackend } from "../lib/store/backend.ts";
import { openBlobBackend } from "../lib/store/open_blob_backend.ts";
import { checkAlias, ModelRegistry } from "../lib/store/registry.ts";
import { type BlobLocation, parseStoreUrl } from "../lib/store/store_url.ts";
import { buildFunction, ROOT } from "./build_function.ts";
import { DEFAULT_RESTART_WINDOW_MS, type LocalStack, startLocalStack } from "./deploy_local.ts";
import { readModelDir } from "./model.ts";
import { gateBeforePromotion } from "../lib/training/promotion_gate.ts";
import { smoke } from "./smoke.ts";

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

/** A script of this repository failed; `stderr` is everything it printed there. */
class ScriptFailed extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.name = "ScriptFailed";
    this.stderr = stderr;
  }
}

/** Runs a Deno script of this repository; its stdout is returned, or copied to stderr. */
async function runDeno(
  script: string,
  args: string[],
  { env = {}, capture = false }: { env?: Record<string, string>; capture?: boolean } = {},
): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", join(ROOT, script), ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const dec = new TextDecoder();
  await Promise.all([
    (async () => {
      for await (const chunk of child.stdout) {
        if (capture) out.push(chunk);
        else await Deno.stderr.write(chunk);
      }
    })(),
    (async () => {
      for await (const chunk of child.stderr) {
        err.push(dec.decode(chunk, { stream: true }));
        await Deno.stderr.write(chunk);
      }
    })(),
  ]);
  const status = await child.status;
  if (!status.success) {
    const all = err.join("");
    const last = all.trim().split("\n").filter(Boolean).at(-1) ?? "";
    throw new ScriptFailed(
      `${script} ${args[0] ?? ""} exited with ${status.code}${last ? `: ${last}` : ""}`,
      all,
    );
  }
  return new TextDecoder().decode(concat(out));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
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

/** What the steps learn as they go. */
interface DeployState {
  target?: DeployTarget;
  /** How the app gets its code (known from the outputs step on). */
  hosting?: HostingMode;
  local?: LocalStack;
  registry?: ModelRegistry;
  modelDir?: string;
  version?: string;
  release?: Release;
  zip?: string;
  changedAt?: number;
  packageSetting?: string;
  journal?: DeployJournal;
  /** Closes the journal (the deploy ended). */
  closeJournal?: () => Promise<void>;
}

const unknown = (what: string) => `<${what}>`;

/** The steps of a deploy for `config`. */
export function deploySteps(
  config: DeployConfig,
  state: DeployState,
  log: (s: string) => void,
): Step[] {
  const { env, alias } = config;
  const local = env === "local";
  const t = () => state.target;
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`internal: ${what} is not known yet`);
    return v;
  };
  const registry = () =>
    state.registry ??= state.local ? state.local.registry() : new ModelRegistry(
      openBlobBackend(parseStoreUrl(need(t(), "target").modelStore) as BlobLocation),
    );
  const deployments = (): StorageBackend =>
    state.local
      ? state.local.container(need(t(), "target").deployments)
      : openBlobBackend(parseStoreUrl(need(t(), "target").deployments) as BlobLocation, {
        timeoutMs: 600_000,
      });
  let azure: AppHost | undefined;
  const app = (): AppHost =>
    state.local ? state.local.app : (azure ??= azureApp(
      need(t(), "target"),
      need(state.hosting, "the hosting mode"),
      deployments,
      config.waitSeconds * 1000,
      log,
    ));
  const trainedDir = local
    ? join(config.stateDir, "trained")
    : join(ROOT, ".fluxops", "deploy", env, "trained");

  const infraArgs = [
    "apply",
    "--env",
    env,
    "--auto-approve",
    ...(config.plan ? ["--plan", resolve(config.plan)] : []),
  ];

  /** Writes the journal's new state to the deployments container. */
  const record = async (change: Partial<DeployJournal>) => {
    state.journal = { ...need(state.journal, "the journal"), ...change };
    await deployments().put(
      journalBlob(alias),
      new TextEncoder().encode(JSON.stringify(state.journal, null, 2) + "\n"),
    );
  };

  /** Loads the journal, resuming an interrupted deploy of the same request. */
  const openJournal = async (): Promise<string> => {
    const found = await deployments().get(journalBlob(alias));
    let previous: DeployJournal | undefined;
    try {
      previous = found
        ? parseJournal(new TextDecoder().decode(found.bytes), journalBlob(alias))
        : undefined;
    } catch (err) {
      throw new Error(
        `${describeError(err)} in ${need(t(), "target").deployments}: delete that blob to ` +
          "start a new deploy (rollback then returns to what runs now)",
      );
    }
    const current: Before = {
      alias_version: (await registry().alias(alias))?.pointer.version ?? null,
      package: (await app().packageSetting()) ?? null,
    };
    const modelSha = config.model
      ? sha256Hex(await Deno.readFile(join(resolve(config.model), "model.json")))
      : null;
    const start = startJournal(previous, {
      fresh: config.fresh,
      current,
      request: requestKey({
        env,
        alias,
        model: modelSha,
        skipTrain: config.skipTrain,
        trainerArgs: config.trainerArgs,
        pipeline: Deno.env.get("CI_PIPELINE_ID") || null,
      }),
    });
    state.journal = start.journal;
    state.closeJournal = () => record({ open: false });
    if (!start.resumed) await record({});
    if (start.resumed) {
      return `resuming the interrupted deploy started ${start.journal.started_at}; `;
    }
    if (start.superseded) {
      return `an interrupted deploy (started ${start.superseded.started_at}) was not finished; ` +
        "rollback targets stay what ran before it; ";
    }
    return "";
  };

  /**
   * The package a rollback may put back: `setting` if it names a release blob that exists in
   * the deployments container, else undefined with the reason (a first deploy's setting names
   * Terraform's placeholder, which was never uploaded).
   */
  const rollbackPackage = async (
    setting: string | null,
  ): Promise<{ url: string } | { none: string }> => {
    if (setting === null) return { none: "the app had no package setting before this deploy" };
    const container = need(t(), "target").deployments;
    let blob: string;
    try {
      blob = blobOf(container, setting);
    } catch {
      return { none: `the previous setting is not a blob in ${container}, so it is not verified` };
    }
    return await deployments().etag(blob) === undefined
      ? { none: `the previous package ${blob} does not exist (never uploaded, or deleted)` }
      : { url: setting };
  };

  return [
    {
      name: "infra",
      title: local ? "start the local stand-ins" : "apply infra/",
      params: () =>
        local
          ? {
            state: config.stateDir,
            services: "Azurite, Key Vault stand-in, token endpoint, Resource Manager stand-in" +
              (config.hosting === "one_deploy" ? ", SCM stand-in (one-deploy)" : ""),
          }
          : {
            command: config.skipInfra
              ? "(skipped: --skip-infra)"
              : `deno task infra ${infraArgs.join(" ")}`,
          },
      run: async () => {
        if (local) {
          state.local = await startLocalStack({
            stateDir: config.stateDir,
            alias,
            log,
            restartWindowMs: config.restartWindowMs,
            keyWaitMs: config.waitSeconds * 1000,
            hosting: config.hosting ?? "run_from_package",
          });
          return Object.entries(state.local.describe()).map(([k, v]) => `${k} ${v}`).join(", ");
        }
        if (config.skipInfra) return "skipped (--skip-infra)";
        if (config.plan) {
          return await applySavedPlan(
            env,
            resolve(config.plan),
            runInfra,
            log,
          );
        }
        await runDeno("tasks/infra.ts", infraArgs);
        return `applied infra/ with env/${env}.tfvars`;
      },
    },
    {
      name: "outputs",
      title: local ? "read the stand-ins' outputs" : "read the infrastructure's outputs",
      params: () =>
        local ? { store: "azblob://models", deployments: "azblob://deployments" } : {
          command: `deno task infra output --json --env ${env}`,
          reads: REQUIRED_OUTPUTS.join(", "),
        },
      run: async () => {
        if (state.local) {
          state.target = state.local.target;
          state.hosting = state.local.hosting;
        } else {
          const outputs = JSON.parse(
            await runDeno("tasks/infra.ts", ["output", "--json", "--env", env], { capture: true }),
          );
          state.target = targetFromOutputs(outputs);
          state.hosting = hostingFromOutputs(outputs);
        }
        return `function ${state.target.functionUrl}, store ${state.target.modelStore}, ` +
          `hosting ${state.hosting}`;
      },
    },
    {
      name: "train",
      title: config.model
        ? "use the given model"
        : config.skipTrain
        ? "keep the served model"
        : "train a model",
      params: () =>
        config.model
          ? { model: resolve(config.model) }
          : config.skipTrain
          ? { model: `the version alias ${alias} names now` }
          : {
            command: `deno task train --out ${join(trainedDir, "<time>")} --json ${
              config.trainerArgs.join(" ")
            }`
              .trimEnd(),
            "signing key": `${t()?.keyVaultUri ?? unknown("output key_vault_uri")} secret ${
              t()?.signingSecret ?? unknown("output signing_secret_name")
            }`,
            resumes: `an interrupted deploy of the same request (journal/${alias}.json)`,
          },
      run: async () => {
        const resumed = await openJournal();
        if (config.model) {
          state.modelDir = resolve(config.model);
          return `${resumed}using ${state.modelDir}`;
        }
        if (config.skipTrain) {
          const current = await registry().alias(alias);
          if (!current) {
            throw new Error(
              `alias ${alias} is not set in ${registry().location}: deploy a model first`,
            );
          }
          state.version = current.pointer.version;
          return `${resumed}keeping ${state.version}`;
        }
        const published = state.journal?.model_version;
        if (resumed && published && await registry().exists(published)) {
          state.version = published;
          return `${resumed}${published} was trained and published by it: not training again`;
        }
        const target = need(t(), "target");
        const out = join(trainedDir, stamp(new Date()));
        const summary = JSON.parse(
          await runDeno("trainer/main.ts", ["--out", out, "--json", ...config.trainerArgs], {
            capture: true,
            env: {
              ...(state.local?.env ?? {}),
              FLUXOPS_KEY_VAULT_URI: target.keyVaultUri,
              FLUXOPS_SIGNING_SECRET: target.signingSecret,
            },
          }),
        ) as { version: string; accuracy: number; signed: boolean };
        state.modelDir = out;
        return `${resumed}trained ${summary.version}: accuracy ${summary.accuracy.toFixed(4)}, ` +
          (summary.signed ? "signed" : "UNSIGNED");
      },
    },
    {
      name: "publish",
      title: "publish the model to the registry",
      params: () => ({
        store: t()?.modelStore ?? (local ? "azblob://models" : unknown("output model_store_url")),
        model: config.skipTrain
          ? "(nothing: --skip-train)"
          : config.model
          ? resolve(config.model)
          : "the trained model",
      }),
      run: async () => {
        if (config.skipTrain) return "nothing to publish (--skip-train)";
        if (state.modelDir === undefined && state.version !== undefined) {
          return `${state.version} is already published (by the interrupted deploy)`;
        }
        const files = await readModelDir(need(state.modelDir, "the model folder"));
        try {
          const meta = await registry().publish(files);
          state.version = meta.version;
          await record({ model_version: meta.version });
          return `published ${meta.version} to ${registry().location}`;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          // The same model deployed again (--model): fine if the bytes are the same.
          const bytes = files.get("model.json")!;
          const version = parseModel(new TextDecoder().decode(bytes)).artifact.version;
          if ((await registry().meta(version)).sha256 !== sha256Hex(bytes)) throw err;
          state.version = version;
          await record({ model_version: version });
          return `${version} is already published (same bytes)`;
        }
      },
    },
    {
      name: "promote",
      title: `point alias ${alias} at the new version`,
      params: () => ({ alias, version: state.version ?? unknown("the published version") }),
      run: async (undo) => {
        if (config.skipTrain) return `alias ${alias} unchanged (--skip-train)`;
        const version = need(state.version, "the version");
        // Promotion gate (issue 16): a worse model stays published, unpromoted; the step fails.
        await gateBeforePromotion({
          registry: registry(),
          version,
          alias,
          force: config.force,
          log,
        });
        const before = need(state.journal, "the journal").before.alias_version;
        const current = await registry().alias(alias);
        const moved = current?.pointer.version === version
          ? undefined
          : await registry().promote(version, alias);
        if (before !== version) {
          undo({
            name: `model alias ${alias}`,
            run: async () => {
              if (before === null) {
                return `nothing to roll back to: ${alias} named no version before this ` +
                  `deploy; it stays on ${version}`;
              }
              const now = await registry().alias(alias);
              if (now?.pointer.version !== version) {
                throw new Error(
                  `${alias} was moved meanwhile to ${now?.pointer.version}; left as is`,
                );
              }
              // rollback() when the history's last entry is the target, so the history does not
              // grow; else (a resumed deploy) promote it again.
              const back = now.pointer.history[0]?.version === before
                ? await registry().rollback(alias)
                : await registry().promote(before, alias);
              return `${alias} -> ${back.version}`;
            },
          });
        }
        if (!moved) return `${alias} already names ${version}`;
        return `${alias} -> ${version}${
          current ? ` (was ${current.pointer.version})` : " (first promotion)"
        }`;
      },
    },
    {
      name: "build",
      title: "build the function package",
      params: () => ({ command: "deno task build:function", output: "dist/function.zip" }),
      run: async () => {
        const built = await buildFunction({ reuseIfFresh: true });
        state.zip = built.zip;
        return `${built.reused ? "up to date" : "built"}: ${built.zip} (${
          (built.zipBytes / 2 ** 20).toFixed(1)
        } MiB)`;
      },
    },
    {
      name: "upload",
      title: "upload the package as a new release blob",
      params: () => ({
        container: t()?.deployments ??
          (local ? "azblob://deployments" : unknown("output containers.deployments")),
        blob: "function/<UTC time>-<sha256 prefix>.zip",
      }),
      run: async () => {
        const bytes = await Deno.readFile(need(state.zip, "the package"));
        const fresh = releaseOf(bytes);
        const earlier = state.journal?.release;
        if (
          earlier?.sha256 === fresh.sha256 &&
          await deployments().etag(earlier.blob) !== undefined
        ) {
          state.release = { ...earlier, bytes: bytes.length };
          return `${earlier.blob} was uploaded by the interrupted deploy (same sha256)`;
        }
        state.release = fresh;
        await deployments().put(fresh.blob, bytes, { ifNoneMatch: "*" });
        await record({ release: { blob: fresh.blob, sha256: fresh.sha256 } });
        return `${fresh.blob} (sha256 ${fresh.sha256.slice(0, 16)}...)`;
      },
    },
    {
      name: "point",
      title: config.hosting === "one_deploy"
        ? "publish the new package by one-deploy"
        : "point the app at the new package",
      params: () =>
        (state.hosting ?? config.hosting) === "one_deploy"
          ? {
            hosting: "one_deploy (Flex Consumption; rehearsed locally only, never run on Azure)",
            via: local
              ? "the local SCM stand-in, POST /api/publish (restarts the local app)"
              : "POST https://<app>.scm.../api/publish?RemoteBuild=false (DefaultAzureCredential)",
            record: "onedeploy/current.json in the deployments container",
          }
          : {
            setting: "WEBSITE_RUN_FROM_PACKAGE",
            via: local
              ? "the local Resource Manager stand-in (restarts the local app)"
              : "Resource Manager REST (DefaultAzureCredential)",
            ...(local ? {} : { hosting: "or one-deploy, if output function_hosting says so" }),
          },
      run: async (undo) => {
        const oneDeploy = state.hosting === "one_deploy";
        const what = oneDeploy ? "the published package" : "WEBSITE_RUN_FROM_PACKAGE";
        const target = need(t(), "target");
        const url = packageUrl(target.deployments, need(state.release, "the release").blob);
        const host = app();
        const previous = await host.packageSetting();
        const before = need(state.journal, "the journal").before.package;
        if (previous !== url) {
          state.changedAt = Date.now();
          await host.setPackageSetting(url);
        } else {
          // Set by the interrupted deploy, which may have died before syncing the triggers.
          await host.syncTriggers();
        }
        state.packageSetting = url;
        if (before !== url) {
          // Only ever roll back to a package that exists: checked now and again at rollback.
          const back = await rollbackPackage(before);
          undo({
            name: oneDeploy ? "published package" : "package setting",
            run: async () => {
              if ("none" in back) {
                return `nothing to roll back to: ${back.none}; the app stays on ${url}`;
              }
              const still = await rollbackPackage(back.url);
              if ("none" in still) throw new Error(`${still.none}; the app stays on ${url}`);
              await host.setPackageSetting(back.url);
              return oneDeploy
                ? `re-published ${back.url} by one-deploy`
                : `WEBSITE_RUN_FROM_PACKAGE -> ${back.url}`;
            },
          });
        }
        if (previous === url) return `${what} already names ${url} (triggers synced again)`;
        if (oneDeploy) {
          return `published ${url} by one-deploy${previous ? ` (was ${previous})` : ""}`;
        }
        return `WEBSITE_RUN_FROM_PACKAGE -> ${url}${previous ? ` (was ${previous})` : ""}`;
      },
    },
    {
      name: "smoke",
      title: "smoke-test health and a prediction",
      params: () => ({
        url: t()?.functionUrl ?? unknown(local ? "the local app's URL" : "output function_app_url"),
        expects: state.version ?? unknown("the promoted version"),
        wait: `${config.waitSeconds} s`,
      }),
      run: async () => {
        const url = need(t(), "target").functionUrl;
        const version = need(state.version, "the version");
        const served = await waitForVersion({
          url,
          version,
          ...(state.changedAt === undefined ? {} : { changedAt: state.changedAt }),
          timeoutMs: config.waitSeconds * 1000,
          intervalMs: local ? 200 : 5_000,
        });
        if (!served.ok) throw new Error(served.detail);
        // Only now: while the host restarts, listkeys answers 400 (the client waits it out).
        const key = await app().functionKey();
        const checks = await smoke({ url, key, retries: 3, retryDelayMs: local ? 200 : 5_000 });
        const failed = checks.filter((c) => !c.ok);
        if (failed.length > 0) {
          throw new Error(failed.map((c) => `${c.name}: ${c.detail}`).join("; "));
        }
        return `${checks.map((c) => c.name).join(", ")}: ok, serving ${version}`;
      },
    },
  ];
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
  const steps = deploySteps(config, state, log);
  log(
    `${config.dryRun ? "plan of " : ""}deploy --env ${config.env}${
      config.dryRun ? " (dry run: nothing is done)" : ""
    }`,
  );
  // A local run owns processes: stop them on Ctrl+C too.
  const onSignal = () => {
    void (state.local?.stop() ?? Promise.resolve()).finally(() => Deno.exit(130));
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
    await state.local?.stop();
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
