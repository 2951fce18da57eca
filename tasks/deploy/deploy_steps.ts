/**
 * The steps of `deno task deploy`, in order: infra, outputs, train, publish, promote, build,
 * upload, point, smoke. One list for every environment: what differs between Azure and the local
 * stand-ins is behind {@link DeployPlatform}, and what differs between the hosting modes behind
 * {@link AppHost}. Each step is idempotent (a killed deploy is finished by running it again: the
 * journal in the deployments container says what the killed run did) and registers how to undo
 * what it changed.
 * @module
 */
import { join, resolve } from "node:path";
import { ConflictError, describeError } from "../../lib/errors.ts";
import { parseModel } from "../../lib/model/artifact.ts";
import { sha256Hex } from "../../lib/model/canonical.ts";
import type { StorageBackend } from "../../lib/store/backend.ts";
import type { ModelRegistry } from "../../lib/store/registry.ts";
import { gateBeforePromotion } from "../../lib/training/promotion_gate.ts";
import { buildFunction } from "../build_function.ts";
import { readModelDir } from "../model.ts";
import { smoke } from "../smoke.ts";
import type { AppHost } from "./app_host.ts";
import {
  type Before,
  type DeployJournal,
  journalBlob,
  parseJournal,
  requestKey,
  startJournal,
} from "./journal.ts";
import type { DeployTarget, HostingMode } from "./outputs.ts";
import type { DeployPlatform } from "./platform.ts";
import { blobOf, packageUrl, type Release, releaseOf, stamp } from "./release.ts";
import { runDeno } from "./run_script.ts";
import type { Step } from "./steps.ts";
import { waitForVersion } from "./wait_for_version.ts";

/** What the steps read of the command line. */
export interface StepsConfig {
  readonly env: string;
  readonly alias: string;
  /** A trained model folder to publish instead of training. */
  readonly model: string | undefined;
  readonly skipTrain: boolean;
  readonly fresh: boolean;
  /** Skip the promotion gate (issue 16). */
  readonly force: boolean;
  readonly trainerArgs: readonly string[];
  readonly waitSeconds: number;
  /** The hosting mode asked for (local), or undefined (read from the outputs). */
  readonly hosting: HostingMode | undefined;
}

/** What the steps learn as they go. */
export interface DeployState {
  target?: DeployTarget;
  /** How the app gets its code (known from the outputs step on). */
  hosting?: HostingMode;
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

/** What every step works with. */
interface Deploy {
  readonly config: StepsConfig;
  readonly platform: DeployPlatform;
  readonly state: DeployState;
  readonly log: (s: string) => void;
  /** The target; throws if the outputs step has not run. */
  target(): DeployTarget;
  registry(): ModelRegistry;
  deployments(): StorageBackend;
  app(): AppHost;
  /** Writes the journal's new state to the deployments container. */
  record(change: Partial<DeployJournal>): Promise<void>;
}

const unknown = (what: string) => `<${what}>`;

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`internal: ${what} is not known yet`);
  return v;
}

/** The steps of a deploy of `config` to `platform`; `state` fills as they run. */
export function deploySteps(
  config: StepsConfig,
  platform: DeployPlatform,
  state: DeployState,
  log: (s: string) => void,
): Step[] {
  const d: Deploy = {
    config,
    platform,
    state,
    log,
    target: () => need(state.target, "target"),
    registry: () => state.registry ??= platform.registry(d.target()),
    deployments: () => platform.deployments(d.target()),
    app: () => platform.app(d.target(), need(state.hosting, "the hosting mode")),
    async record(change) {
      state.journal = { ...need(state.journal, "the journal"), ...change };
      await d.deployments().put(
        journalBlob(config.alias),
        new TextEncoder().encode(JSON.stringify(state.journal, null, 2) + "\n"),
      );
    },
  };
  return [
    infraStep(d),
    outputsStep(d),
    trainStep(d),
    publishStep(d),
    promoteStep(d),
    buildStep(d),
    uploadStep(d),
    pointStep(d),
    smokeStep(d),
  ];
}

function infraStep({ platform }: Deploy): Step {
  return {
    name: "infra",
    title: platform.infra.title,
    params: () => platform.infra.params(),
    run: () => platform.infra.run(),
  };
}

function outputsStep({ platform, state }: Deploy): Step {
  return {
    name: "outputs",
    title: platform.outputs.title,
    params: () => platform.outputs.params(),
    run: async () => {
      const { target, hosting } = await platform.outputs.run();
      state.target = target;
      state.hosting = hosting;
      return `function ${target.functionUrl}, store ${target.modelStore}, hosting ${hosting}`;
    },
  };
}

/** Loads the journal, resuming an interrupted deploy of the same request. */
async function openJournal(d: Deploy): Promise<string> {
  const { config, state } = d;
  const { alias } = config;
  const found = await d.deployments().get(journalBlob(alias));
  let previous: DeployJournal | undefined;
  try {
    previous = found
      ? parseJournal(new TextDecoder().decode(found.bytes), journalBlob(alias))
      : undefined;
  } catch (err) {
    throw new Error(
      `${describeError(err)} in ${d.target().deployments}: delete that blob to ` +
        "start a new deploy (rollback then returns to what runs now)",
    );
  }
  const current: Before = {
    alias_version: (await d.registry().alias(alias))?.pointer.version ?? null,
    package: (await d.app().packageSetting()) ?? null,
  };
  const modelSha = config.model
    ? sha256Hex(await Deno.readFile(join(resolve(config.model), "model.json")))
    : null;
  const start = startJournal(previous, {
    fresh: config.fresh,
    current,
    request: requestKey({
      env: config.env,
      alias,
      model: modelSha,
      skipTrain: config.skipTrain,
      trainerArgs: config.trainerArgs,
      pipeline: Deno.env.get("CI_PIPELINE_ID") || null,
    }),
  });
  state.journal = start.journal;
  state.closeJournal = () => d.record({ open: false });
  if (!start.resumed) await d.record({});
  if (start.resumed) {
    return `resuming the interrupted deploy started ${start.journal.started_at}; `;
  }
  if (start.superseded) {
    return `an interrupted deploy (started ${start.superseded.started_at}) was not finished; ` +
      "rollback targets stay what ran before it; ";
  }
  return "";
}

function trainStep(d: Deploy): Step {
  const { config, platform, state } = d;
  const { alias } = config;
  const t = () => state.target;
  return {
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
          command: `deno task train --out ${join(platform.trainedDir, "<time>")} --json ${
            config.trainerArgs.join(" ")
          }`
            .trimEnd(),
          "signing key": `${t()?.keyVaultUri ?? unknown("output key_vault_uri")} secret ${
            t()?.signingSecret ?? unknown("output signing_secret_name")
          }`,
          resumes: `an interrupted deploy of the same request (journal/${alias}.json)`,
        },
    run: async () => {
      const resumed = await openJournal(d);
      if (config.model) {
        state.modelDir = resolve(config.model);
        return `${resumed}using ${state.modelDir}`;
      }
      if (config.skipTrain) {
        const current = await d.registry().alias(alias);
        if (!current) {
          throw new Error(
            `alias ${alias} is not set in ${d.registry().location}: deploy a model first`,
          );
        }
        state.version = current.pointer.version;
        return `${resumed}keeping ${state.version}`;
      }
      const published = state.journal?.model_version;
      if (resumed && published && await d.registry().exists(published)) {
        state.version = published;
        return `${resumed}${published} was trained and published by it: not training again`;
      }
      const target = d.target();
      const out = join(platform.trainedDir, stamp(new Date()));
      const summary = JSON.parse(
        await runDeno("trainer/main.ts", ["--out", out, "--json", ...config.trainerArgs], {
          capture: true,
          env: {
            ...platform.trainerEnv(),
            FLUXOPS_KEY_VAULT_URI: target.keyVaultUri,
            FLUXOPS_SIGNING_SECRET: target.signingSecret,
          },
        }),
      ) as { version: string; accuracy: number; signed: boolean };
      state.modelDir = out;
      return `${resumed}trained ${summary.version}: accuracy ${summary.accuracy.toFixed(4)}, ` +
        (summary.signed ? "signed" : "UNSIGNED");
    },
  };
}

function publishStep(d: Deploy): Step {
  const { config, platform, state } = d;
  return {
    name: "publish",
    title: "publish the model to the registry",
    params: () => ({
      store: state.target?.modelStore ?? platform.planned.modelStore,
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
      const registry = d.registry();
      try {
        const meta = await registry.publish(files);
        state.version = meta.version;
        await d.record({ model_version: meta.version });
        return `published ${meta.version} to ${registry.location}`;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // The same model deployed again (--model): fine if the bytes are the same.
        const bytes = files.get("model.json")!;
        const version = parseModel(new TextDecoder().decode(bytes)).artifact.version;
        if ((await registry.meta(version)).sha256 !== sha256Hex(bytes)) throw err;
        state.version = version;
        await d.record({ model_version: version });
        return `${version} is already published (same bytes)`;
      }
    },
  };
}

function promoteStep(d: Deploy): Step {
  const { config, state, log } = d;
  const { alias } = config;
  return {
    name: "promote",
    title: `point alias ${alias} at the new version`,
    params: () => ({ alias, version: state.version ?? unknown("the published version") }),
    run: async (undo) => {
      if (config.skipTrain) return `alias ${alias} unchanged (--skip-train)`;
      const version = need(state.version, "the version");
      const registry = d.registry();
      // Promotion gate (issue 16): a worse model stays published, unpromoted; the step fails.
      await gateBeforePromotion({ registry, version, alias, force: config.force, log });
      const before = need(state.journal, "the journal").before.alias_version;
      const current = await registry.alias(alias);
      const moved = current?.pointer.version === version
        ? undefined
        : await registry.promote(version, alias);
      if (before !== version) {
        undo({
          name: `model alias ${alias}`,
          run: async () => {
            if (before === null) {
              return `nothing to roll back to: ${alias} named no version before this ` +
                `deploy; it stays on ${version}`;
            }
            const now = await registry.alias(alias);
            if (now?.pointer.version !== version) {
              throw new Error(
                `${alias} was moved meanwhile to ${now?.pointer.version}; left as is`,
              );
            }
            // rollback() when the history's last entry is the target, so the history does not
            // grow; else (a resumed deploy) promote it again.
            const back = now.pointer.history[0]?.version === before
              ? await registry.rollback(alias)
              : await registry.promote(before, alias);
            return `${alias} -> ${back.version}`;
          },
        });
      }
      if (!moved) return `${alias} already names ${version}`;
      return `${alias} -> ${version}${
        current ? ` (was ${current.pointer.version})` : " (first promotion)"
      }`;
    },
  };
}

function buildStep({ state }: Deploy): Step {
  return {
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
  };
}

function uploadStep(d: Deploy): Step {
  const { platform, state } = d;
  return {
    name: "upload",
    title: "upload the package as a new release blob",
    params: () => ({
      container: state.target?.deployments ?? platform.planned.deployments,
      blob: "function/<UTC time>-<sha256 prefix>.zip",
    }),
    run: async () => {
      const bytes = await Deno.readFile(need(state.zip, "the package"));
      const fresh = releaseOf(bytes);
      const earlier = state.journal?.release;
      if (
        earlier?.sha256 === fresh.sha256 &&
        await d.deployments().etag(earlier.blob) !== undefined
      ) {
        state.release = { ...earlier, bytes: bytes.length };
        return `${earlier.blob} was uploaded by the interrupted deploy (same sha256)`;
      }
      state.release = fresh;
      await d.deployments().put(fresh.blob, bytes, { ifNoneMatch: "*" });
      await d.record({ release: { blob: fresh.blob, sha256: fresh.sha256 } });
      return `${fresh.blob} (sha256 ${fresh.sha256.slice(0, 16)}...)`;
    },
  };
}

/**
 * The package a rollback may put back: `setting` if it names a release blob that exists in the
 * deployments container, else the reason there is none (a first deploy's setting names
 * Terraform's placeholder, which was never uploaded).
 */
async function rollbackPackage(
  d: Deploy,
  setting: string | null,
): Promise<{ url: string } | { none: string }> {
  if (setting === null) return { none: "the app had no package setting before this deploy" };
  const container = d.target().deployments;
  let blob: string;
  try {
    blob = blobOf(container, setting);
  } catch {
    return { none: `the previous setting is not a blob in ${container}, so it is not verified` };
  }
  return await d.deployments().etag(blob) === undefined
    ? { none: `the previous package ${blob} does not exist (never uploaded, or deleted)` }
    : { url: setting };
}

function pointStep(d: Deploy): Step {
  const { config, platform, state } = d;
  return {
    name: "point",
    title: config.hosting === "one_deploy"
      ? "publish the new package by one-deploy"
      : "point the app at the new package",
    params: () =>
      (state.hosting ?? config.hosting) === "one_deploy"
        ? {
          hosting: "one_deploy (Flex Consumption; rehearsed locally only, never run on Azure)",
          via: platform.pointVia.one_deploy,
          record: "onedeploy/current.json in the deployments container",
        }
        : {
          setting: "WEBSITE_RUN_FROM_PACKAGE",
          via: platform.pointVia.run_from_package,
          ...(platform.hostingNote === undefined ? {} : { hosting: platform.hostingNote }),
        },
    run: async (undo) => {
      const oneDeploy = state.hosting === "one_deploy";
      const what = oneDeploy ? "the published package" : "WEBSITE_RUN_FROM_PACKAGE";
      const url = packageUrl(d.target().deployments, need(state.release, "the release").blob);
      const host = d.app();
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
        const back = await rollbackPackage(d, before);
        undo({
          name: oneDeploy ? "published package" : "package setting",
          run: async () => {
            if ("none" in back) {
              return `nothing to roll back to: ${back.none}; the app stays on ${url}`;
            }
            const still = await rollbackPackage(d, back.url);
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
  };
}

function smokeStep(d: Deploy): Step {
  const { config, platform, state } = d;
  return {
    name: "smoke",
    title: "smoke-test health and a prediction",
    params: () => ({
      url: state.target?.functionUrl ?? platform.planned.functionUrl,
      expects: state.version ?? unknown("the promoted version"),
      wait: `${config.waitSeconds} s`,
    }),
    run: async () => {
      const url = d.target().functionUrl;
      const version = need(state.version, "the version");
      const served = await waitForVersion({
        url,
        version,
        ...(state.changedAt === undefined ? {} : { changedAt: state.changedAt }),
        timeoutMs: config.waitSeconds * 1000,
        intervalMs: platform.pollMs,
      });
      if (!served.ok) throw new Error(served.detail);
      // Only now: while the host restarts, listkeys answers 400 (the client waits it out).
      const key = await d.app().functionKey();
      const checks = await smoke({ url, key, retries: 3, retryDelayMs: platform.pollMs });
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw new Error(failed.map((c) => `${c.name}: ${c.detail}`).join("; "));
      }
      return `${checks.map((c) => c.name).join(", ")}: ok, serving ${version}`;
    },
  };
}
