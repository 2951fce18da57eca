/**
 * Where a deploy points the function at its package: the Function App's settings on Azure
 * (through Resource Manager), or the local package host of `--env local`; on Flex Consumption,
 * a one-deploy publish of the package ({@link oneDeployAppHost}).
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";
import type { StorageBackend } from "../../lib/store/backend.ts";
import { blobOf } from "./release.ts";

/** The function app as a deploy sees it. */
export interface AppHost {
  /** The current `WEBSITE_RUN_FROM_PACKAGE` setting, if any. */
  packageSetting(): Promise<string | undefined>;
  /**
   * Points the app at a package; resolves once the platform has taken the change (the app may
   * still be restarting: wait for the new version to answer before relying on it).
   */
  setPackageSetting(url: string): Promise<void>;
  /**
   * Makes the platform re-read the functions of the package it runs, without a restart (a
   * resumed deploy whose first run was killed between the setting and the sync).
   */
  syncTriggers(): Promise<void>;
  /**
   * A function key for keyed routes, or undefined where none is needed. Read it only once the
   * new version answers: while the host restarts, Azure refuses it with a 400.
   */
  functionKey(): Promise<string | undefined>;
  /** How it is reached, for the plan. */
  describe(): Record<string, string>;
}

/** The part of `ArmClient` an {@link AppHost} needs. */
export interface AppSettingsClient {
  appSettings(): Promise<Record<string, string>>;
  setAppSetting(name: string, value: string): Promise<string | undefined>;
  syncTriggers(): Promise<void>;
  defaultFunctionKey(): Promise<string>;
}

/**
 * An {@link AppHost} over Resource Manager: Azure's, or the local stand-in of `--env local`,
 * so the rehearsal drives the app through the same calls. `client` is made on first use.
 */
export function armAppHost(client: () => AppSettingsClient, app: string): AppHost {
  return {
    packageSetting: async () => (await client().appSettings()).WEBSITE_RUN_FROM_PACKAGE,
    async setPackageSetting(url) {
      await client().setAppSetting("WEBSITE_RUN_FROM_PACKAGE", url);
      await client().syncTriggers();
    },
    syncTriggers: () => client().syncTriggers(),
    functionKey: () => client().defaultFunctionKey(),
    describe: () => ({ app }),
  };
}

/**
 * The blob, in the deployments container, naming the release a one-deploy app last received:
 * Flex has no package setting to read back, so the deploy keeps its own record of what runs,
 * which the journal's "before" and the rollback read as they read the setting.
 */
export const ONE_DEPLOY_CURRENT = "onedeploy/current.json";

/** What {@link oneDeployAppHost} needs. */
export interface OneDeployHostOptions {
  /** Publishes a zip by one-deploy (`OneDeployClient`, or a stand-in's). */
  readonly publish: (zip: Uint8Array) => Promise<void>;
  /** Resource Manager, for the triggers and the function key (Flex keeps both). */
  readonly arm: () => Pick<AppSettingsClient, "syncTriggers" | "defaultFunctionKey">;
  /** The deployments container, where releases and {@link ONE_DEPLOY_CURRENT} live. */
  readonly deployments: () => StorageBackend;
  /** The deployments container's location (`packageUrl`'s base). */
  readonly container: string;
  /** How it is reached, for the plan. */
  readonly describe: Record<string, string>;
}

/**
 * An {@link AppHost} for Flex Consumption (function_hosting.mode = one_deploy): "the package
 * setting" is the release last published, and setting it publishes that release's zip (read
 * back from the deployments container) by one-deploy, so a rollback re-publishes the previous
 * zip. WEBSITE_RUN_FROM_PACKAGE is never read or written. Rehearsed locally only.
 */
export function oneDeployAppHost(o: OneDeployHostOptions): AppHost {
  return {
    async packageSetting() {
      const found = await o.deployments().get(ONE_DEPLOY_CURRENT);
      if (!found) return undefined;
      let parsed: { package?: unknown } | null;
      try {
        parsed = JSON.parse(new TextDecoder().decode(found.bytes)) as { package?: unknown } | null;
      } catch {
        parsed = null;
      }
      if (typeof parsed?.package !== "string") {
        throw new InvalidInput(`${o.container}/${ONE_DEPLOY_CURRENT}: expected {"package": url}`);
      }
      return parsed.package;
    },
    async setPackageSetting(url) {
      const blob = blobOf(o.container, url);
      const zip = await o.deployments().get(blob);
      if (!zip) throw new InvalidInput(`one-deploy: release ${blob} is not in ${o.container}`);
      await o.publish(zip.bytes);
      await o.deployments().put(
        ONE_DEPLOY_CURRENT,
        new TextEncoder().encode(JSON.stringify({ package: url }) + "\n"),
      );
    },
    syncTriggers: () => o.arm().syncTriggers(),
    functionKey: () => o.arm().defaultFunctionKey(),
    describe: () => o.describe,
  };
}
