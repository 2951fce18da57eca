/**
 * Where a deploy points the function at its package: the Function App's settings on Azure
 * (through Resource Manager), or the local package host of `--env local`.
 * @module
 */

/** The function app as a deploy sees it. */
export interface AppHost {
  /** The current `WEBSITE_RUN_FROM_PACKAGE` setting, if any. */
  packageSetting(): Promise<string | undefined>;
  /** Points the app at a package; resolves once the platform has taken the change. */
  setPackageSetting(url: string): Promise<void>;
  /** A function key for keyed routes, or undefined where none is needed. */
  functionKey(): Promise<string | undefined>;
  /** How it is reached, for the plan. */
  describe(): Record<string, string>;
}
