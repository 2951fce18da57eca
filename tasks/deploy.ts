/**
 * `deno task deploy --env <dev|prod|local>`: the whole delivery in one command. It applies the
 * infrastructure, reads its outputs, trains (or takes a given model), publishes and promotes the
 * model, builds the function package, uploads it as a new release blob, points the app at it
 * and smoke-tests the result. It stops at the first failure, naming the step, and then puts back
 * what it had changed: the model alias and the app's package setting.
 *
 * `--env local` runs the same steps against local stand-ins (Azurite, a Key Vault stand-in over
 * HTTPS, a managed-identity endpoint and the package started as the Functions host starts it);
 * see `tasks/deploy_local.ts`.
 * @module
 */
import { DefaultAzureCredential } from "@azure/identity";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type AppHost } from "../lib/deploy/app_host.ts";
import { ArmClient } from "../lib/deploy/arm.ts";
import { dotenv } from "../lib/deploy/dotenv.ts";
import { type DeployTarget, REQUIRED_OUTPUTS, targetFromOutputs } from "../lib/deploy/outputs.ts";
import { packageUrl, type Release, releaseOf, stamp } from "../lib/deploy/release.ts";
import { type RunReport, runSteps, type Step } from "../lib/deploy/steps.ts";
import { waitForVersion } from "../lib/deploy/wait_for_version.ts";
import { ConflictError, describeError, FluxError, UsageError } from "../lib/errors.ts";
import { parseModel } from "../lib/model/artifact.ts";
import { sha256Hex } from "../lib/model/canonical.ts";
import type { StorageBackend } from "../lib/store/backend.ts";
import { openBlobBackend } from "../lib/store/open_blob_backend.ts";
import { checkAlias, ModelRegistry } from "../lib/store/registry.ts";
import { type BlobLocation, parseStoreUrl } from "../lib/store/store_url.ts";
import { buildFunction, ROOT } from "./build_function.ts";
import { type LocalStack, startLocalStack } from "./deploy_local.ts";
import { readModelDir } from "./model.ts";
import { gateBeforePromotion } from "../lib/training/promotion_gate.ts";
import { smoke } from "./smoke.ts";

const HELP = `deno task deploy: provision, train, publish, package, release and smoke-test

Usage: deno task deploy --env <dev|prod|local> [options] [-- TRAINER FLAGS]

  --env ENV          dev or prod (Azure, through infra/ and its outputs), or local
                     (the same steps on local stand-ins: Azurite, a Key Vault stand-in,
                     the package started as the Functions host starts it)
  --dry-run          print the steps with their parameters and do nothing
  --skip-infra       do not apply infra/; only read its outputs (dev, prod)
  --plan FILE        apply this saved plan (deno task infra plan) instead of planning anew
  --skip-train       keep the model the alias names now; deploy only the package
  --model DIR        publish this trained model folder instead of training one
  --alias NAME       the alias to promote and serve (default production)
  --force            promote without the promotion gate (logged); by default a model
                     that scores worse than the alias' model (deno task model compare)
                     stays published but unpromoted and the deploy fails with the figures
  --state-dir DIR    local: where the environment is kept between deploys
                     (default .fluxops/deploy/local)
  --wait SECONDS     how long the new version may take to be served (default: 600 on
                     Azure, 30 locally)
  --dotenv FILE      on success, write FLUXOPS_FUNCTION_URL, FLUXOPS_MODEL_VERSION, ... for
                     GitLab's artifacts:reports:dotenv
  --json             print the report as JSON on stdout (progress goes to stderr)
  -h, --help         show this help

Flags after -- go to the trainer (deno task train), e.g. -- --data train.csv --trees 200.

Steps: infra, outputs, train, publish, promote, build, upload, point, smoke. When a step fails
the rest are skipped, and the alias and the package setting are put back as they were.
Azure access: DefaultAzureCredential (workload identity in GitLab CI: AZURE_CLIENT_ID,
AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE; az login on a laptop); the app settings are changed
through Resource Manager, which needs ARM_SUBSCRIPTION_ID (or AZURE_SUBSCRIPTION_ID).
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
  readonly stateDir: string;
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
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      strict: true,
      allowPositionals: false,
      options: {
        env: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        "skip-infra": { type: "boolean", default: false },
        plan: { type: "string" },
        "skip-train": { type: "boolean", default: false },
        model: { type: "string" },
        alias: { type: "string", default: "production" },
        force: { type: "boolean", default: false },
        "state-dir": { type: "string" },
        wait: { type: "string" },
        dotenv: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError(describeError(err));
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (v.env === undefined) throw new UsageError(`--env is required: ${ENVIRONMENTS.join(", ")}`);
  const env = ENVIRONMENTS.find((e) => e === v.env);
  if (!env) throw new UsageError(`--env: expected ${ENVIRONMENTS.join(", ")}, got "${v.env}"`);
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
  let waitSeconds = local ? 30 : 600;
  if (v.wait !== undefined) {
    if (!/^\d+$/.test(v.wait) || Number(v.wait) < 1) {
      throw new UsageError(`--wait: expected a whole number of seconds >= 1, got "${v.wait}"`);
    }
    waitSeconds = Number(v.wait);
  }
  return {
    env,
    dryRun: v["dry-run"],
    skipInfra: v["skip-infra"],
    plan: v.plan,
    skipTrain: v["skip-train"],
    model: v.model,
    alias: v.alias,
    force: v.force,
    stateDir: resolve(v["state-dir"] ?? join(ROOT, ".fluxops", "deploy", "local")),
    waitSeconds,
    dotenv: v.dotenv,
    json: v.json,
    trainerArgs,
  };
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
    const last = err.join("").trim().split("\n").filter(Boolean).at(-1) ?? "";
    throw new Error(
      `${script} ${args[0] ?? ""} exited with ${status.code}${last ? `: ${last}` : ""}`,
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

/** Resource Manager and Blob Storage with DefaultAzureCredential. */
function azureApp(target: DeployTarget): AppHost {
  let arm: ArmClient | undefined;
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
      { credential: new DefaultAzureCredential() },
    );
    return arm;
  };
  return {
    packageSetting: async () => (await client().appSettings()).WEBSITE_RUN_FROM_PACKAGE,
    async setPackageSetting(url) {
      await client().setAppSetting("WEBSITE_RUN_FROM_PACKAGE", url);
      await client().syncTriggers();
    },
    functionKey: () => client().defaultFunctionKey(),
    describe: () => ({
      app: `${target.resourceGroup}/${target.functionAppName} (Resource Manager REST)`,
    }),
  };
}

/** What the steps learn as they go. */
interface DeployState {
  target?: DeployTarget;
  local?: LocalStack;
  registry?: ModelRegistry;
  modelDir?: string;
  version?: string;
  release?: Release;
  zip?: string;
  changedAt?: number;
  packageSetting?: string;
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
  const app = (): AppHost => state.local ? state.local.app : azureApp(need(t(), "target"));
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
  return [
    {
      name: "infra",
      title: local ? "start the local stand-ins" : "apply infra/",
      params: () =>
        local
          ? { state: config.stateDir, services: "Azurite, Key Vault stand-in, token endpoint" }
          : {
            command: config.skipInfra
              ? "(skipped: --skip-infra)"
              : `deno task infra ${infraArgs.join(" ")}`,
          },
      run: async () => {
        if (local) {
          state.local = await startLocalStack({ stateDir: config.stateDir, alias, log });
          return Object.entries(state.local.describe()).map(([k, v]) => `${k} ${v}`).join(", ");
        }
        if (config.skipInfra) return "skipped (--skip-infra)";
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
        state.target = state.local ? state.local.target : targetFromOutputs(
          JSON.parse(
            await runDeno("tasks/infra.ts", ["output", "--json", "--env", env], { capture: true }),
          ),
        );
        return `function ${state.target.functionUrl}, store ${state.target.modelStore}`;
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
          },
      run: async () => {
        if (config.model) {
          state.modelDir = resolve(config.model);
          return `using ${state.modelDir}`;
        }
        if (config.skipTrain) {
          const current = await registry().alias(alias);
          if (!current) {
            throw new Error(
              `alias ${alias} is not set in ${registry().location}: deploy a model first`,
            );
          }
          state.version = current.pointer.version;
          return `keeping ${state.version}`;
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
        return `trained ${summary.version}: accuracy ${summary.accuracy.toFixed(4)}, ` +
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
        const files = await readModelDir(need(state.modelDir, "the model folder"));
        try {
          const meta = await registry().publish(files);
          state.version = meta.version;
          return `published ${meta.version} to ${registry().location}`;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          // The same model deployed again (--model): fine if the bytes are the same.
          const bytes = files.get("model.json")!;
          const version = parseModel(new TextDecoder().decode(bytes)).artifact.version;
          if ((await registry().meta(version)).sha256 !== sha256Hex(bytes)) throw err;
          state.version = version;
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
        const current = await registry().alias(alias);
        if (current?.pointer.version === version) return `${alias} already names ${version}`;
        const moved = await registry().promote(version, alias);
        const previous = moved.history[0]?.version;
        if (previous) {
          undo({
            name: `model alias ${alias}`,
            run: async () => {
              const now = await registry().alias(alias);
              if (now?.pointer.version !== version) {
                throw new Error(
                  `${alias} was moved meanwhile to ${now?.pointer.version}; left as is`,
                );
              }
              const back = await registry().rollback(alias);
              return `${alias} -> ${back.version}`;
            },
          });
        }
        return `${alias} -> ${version}${previous ? ` (was ${previous})` : " (first promotion)"}`;
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
        state.release = releaseOf(bytes);
        await deployments().put(state.release.blob, bytes, { ifNoneMatch: "*" });
        return `${state.release.blob} (sha256 ${state.release.sha256.slice(0, 16)}...)`;
      },
    },
    {
      name: "point",
      title: "point the app at the new package",
      params: () => ({
        setting: "WEBSITE_RUN_FROM_PACKAGE",
        via: local
          ? "the local package host (restarts the app)"
          : "Resource Manager REST (DefaultAzureCredential)",
      }),
      run: async (undo) => {
        const target = need(t(), "target");
        const url = packageUrl(target.deployments, need(state.release, "the release").blob);
        const host = app();
        const previous = await host.packageSetting();
        state.changedAt = Date.now();
        await host.setPackageSetting(url);
        state.packageSetting = url;
        if (previous) {
          undo({
            name: "package setting",
            run: async () => {
              await host.setPackageSetting(previous);
              return `WEBSITE_RUN_FROM_PACKAGE -> ${previous}`;
            },
          });
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
        const key = await app().functionKey();
        const served = await waitForVersion({
          url,
          version,
          ...(state.changedAt === undefined ? {} : { changedAt: state.changedAt }),
          timeoutMs: config.waitSeconds * 1000,
          intervalMs: local ? 200 : 5_000,
        });
        if (!served.ok) throw new Error(served.detail);
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
    console.error(`error: ${err.message} (see --help)`);
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
    log(
      incomplete
        ? "rollback INCOMPLETE: see above"
        : "rolled back: the alias and the package are as before",
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
