/**
 * Where a deploy points the function at its package: the Function App's settings on Azure
 * (through Resource Manager), or the local package host of `--env local`.
 * @module
 */

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
