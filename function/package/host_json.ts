/**
 * The package's `host.json`: the Azure Functions host starts `bin/launch run <permissions>
 * handler.js` as a custom handler (the launcher adds the managed-identity endpoint, chosen by the
 * platform at run time, to `--allow-net` and execs `bin/deno` with the same arguments; see
 * `launcher.ts`) and proxies each HTTP request to it unchanged.
 *
 * How the host treats `customHandler.description` (azure-functions-host,
 * `HttpWorkerOptionsSetup`, `DefaultWorkerProcessFactory`), which shapes the arguments below:
 * - `defaultExecutablePath` and `workingDirectory` are relative to the app root;
 * - `arguments` are joined with single spaces into one command line, unquoted, so no argument
 *   may hold a space or a quote;
 * - `%NAME%` in an argument expands to the app setting (environment variable) `NAME`; an unset
 *   one is removed, leaving an empty string in its place (so it cannot name an optional path);
 * - the child inherits the host's environment (app settings included) plus
 *   `FUNCTIONS_CUSTOMHANDLER_PORT`; there is no way to set other variables from `host.json`.
 * @module
 */
import { LAUNCHER_PATH } from "./launcher.ts";

/**
 * Hosts the handler may connect to, besides listening on loopback: the model registry in Blob
 * Storage, signing keys in Key Vault, and managed-identity tokens (`login.microsoftonline.com`
 * and IMDS serve the credentials `DefaultAzureCredential` tries). App Service's managed-identity
 * endpoint is not here: its address is the platform's choice at run time (often
 * `169.254.129.x:8081`, not loopback), so `bin/launch` appends the host of `IDENTITY_ENDPOINT`
 * (or `MSI_ENDPOINT`) to this list when it starts the handler. Public Azure cloud only.
 */
export const HANDLER_NET = [
  "127.0.0.1",
  "localhost",
  "*.blob.core.windows.net",
  "*.vault.azure.net",
  "login.microsoftonline.com",
  "169.254.169.254",
] as const;

/**
 * Platform secrets among the app settings, which the handler never needs: storage connection
 * strings, Easy Auth keys, the package URL (a SAS), container keys. Denied rather than allowing
 * a list, because the Azure SDK reads variables by computed names and enumerates
 * `process.env`, which an allow-list turns into crashes; a denied variable is simply absent.
 */
export const DENIED_ENV = [
  "AzureWebJobs*",
  "WEBSITE_AUTH_*",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "WEBSITE_RUN_FROM_PACKAGE",
  "CONTAINER_ENCRYPTION_KEY",
  "CONTAINER_START_CONTEXT_SAS_URI",
  "DOCKER_REGISTRY_SERVER_PASSWORD",
] as const;

/** Whether `patterns` (exact names or `PREFIX*`, as Deno's env flags take) cover `name`. */
export function envMatches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((a) => a.endsWith("*") ? name.startsWith(a.slice(0, -1)) : a === name);
}

/**
 * App settings the package reads besides the handler's own (`FLUXOPS_MODEL` or `FLUXOPS_STORE`
 * and the rest, see `function/main.ts`). `DENO_DIR` is recommended: at run time Deno keeps two
 * small SQLite caches there (module and CommonJS analysis); the default, `$HOME/.cache/deno`, is
 * on the `/home` share that a plan's instances have in common. A read-only or missing `DENO_DIR`
 * also works: Deno then runs without those caches, silently (tests/function/package_test.ts),
 * and a first start is even a little faster; a writable one speeds up restarts on an instance.
 */
export const APP_SETTINGS: Readonly<Record<string, string>> = { DENO_DIR: "/tmp/deno" };

/** Where the handler listens: the host always connects to 127.0.0.1. */
export const HANDLER_HOSTNAME = "127.0.0.1";

/**
 * V8's young generation capped at 2 MiB per semi-space (default: grows to 16 MiB). A request
 * allocates ~10 KiB; a nursery that fits in the L2 cache makes allocation cheaper and each
 * scavenge short (median 0.2 ms instead of 1.3 ms, which held ~25 requests each): one-row
 * throughput +10%, p99 at 50 connections 2.5-2.8 ms instead of 4.4-7 ms, RSS -90 MiB
 * (docs/benchmarks.md). The same flag is in the `serve` and `start` tasks.
 */
export const SERVE_V8_FLAGS = "--v8-flags=--max-semi-space-size=2";

/**
 * The `deno` command line after the executable: the permissions the bundled handler needs, and
 * nothing resolved or fetched at run time.
 */
export function handlerArguments(entry = "handler.js"): string[] {
  return [
    "run",
    // Ignore any deno.json, package.json or lock file around the app folder.
    "--no-config",
    // The bundle is self-contained: refuse remote and npm imports instead of fetching them.
    "--no-remote",
    "--no-npm",
    // Fail on a missing permission instead of waiting for an answer nobody can give.
    "--no-prompt",
    // A new instance has no V8 code cache to read, and writing one costs about a quarter of
    // the cold start (62 KB handler, empty DENO_DIR: median 85 ms without, 113 ms with).
    "--no-code-cache",
    // Serving threads share the port with SO_REUSEPORT, which Deno 2.9.6 keeps behind this flag
    // (see function/serving_threads.ts).
    "--unstable-net",
    SERVE_V8_FLAGS,
    `--allow-net=${HANDLER_NET.join(",")}`,
    "--allow-env",
    `--deny-env=${DENIED_ENV.join(",")}`,
    // The Azure SDK's User-Agent names the OS release.
    // Bare: Deno 2.9 makes node:https ask for sys "ca", a descriptor --allow-sys=... cannot name,
    // and every Azure SDK call goes through node:https.
    "--allow-sys",
    // Models and keys may be files anywhere the settings point (FLUXOPS_MODEL, FLUXOPS_STORE,
    // FLUXOPS_SIGNING_KEY_FILE), and host.json cannot say "the path in this setting, if set": an
    // unset %NAME% leaves an empty entry, which Deno refuses. The app folder is read-only, and
    // Deno refuses /proc/*/environ without --allow-all, so the denied variables stay denied.
    "--allow-read",
    entry,
    "--hostname",
    HANDLER_HOSTNAME,
  ];
}

/** The parts of `host.json` that FluxOps sets. */
export interface HostJson {
  readonly version: "2.0";
  readonly logging: {
    readonly logLevel: Readonly<Record<string, string>>;
    readonly applicationInsights: {
      readonly samplingSettings: { readonly isEnabled: boolean; readonly excludedTypes: string };
    };
  };
  readonly customHandler: {
    readonly description: {
      readonly defaultExecutablePath: string;
      readonly workingDirectory: string;
      readonly arguments: readonly string[];
    };
    readonly enableProxyingHttpRequest: true;
  };
  readonly extensionBundle: { readonly id: string; readonly version: string };
  readonly extensions: { readonly http: { readonly routePrefix: string } };
}

/** Options of {@link hostJson}. */
export interface HostJsonOptions {
  /** The executable, relative to the app root. Default the launcher, which runs `bin/deno`. */
  readonly executable?: string;
  /** Arguments of the runtime. */
  readonly args?: readonly string[];
}

/**
 * Builds the package's `host.json`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostJson } from "./host_json.ts";
 * const host = hostJson();
 * assert.equal(host.customHandler.description.defaultExecutablePath, "bin/launch");
 * ```
 */
export function hostJson(
  { executable = LAUNCHER_PATH, args = handlerArguments() }: HostJsonOptions = {},
): HostJson {
  for (const a of args) {
    if (a === "" || /[\s"']/.test(a)) {
      throw new Error(
        `custom handler argument ${JSON.stringify(a)}: the host joins arguments with spaces ` +
          "and does not quote them, so an argument must be non-empty with no space or quote",
      );
    }
  }
  return {
    version: "2.0",
    logging: {
      logLevel: {
        default: "Warning",
        // Invocation results (the requests table) and aggregated counts.
        "Host.Results": "Information",
        "Host.Aggregator": "Information",
        // The handler's stdout: one structured JSON line per request.
        "Host.Function.Console": "Information",
      },
      applicationInsights: {
        // Sample traces under load, but keep every request and exception.
        samplingSettings: { isEnabled: true, excludedTypes: "Request;Exception" },
      },
    },
    customHandler: {
      description: {
        defaultExecutablePath: executable,
        workingDirectory: "",
        arguments: args,
      },
      enableProxyingHttpRequest: true,
    },
    extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
    // No "/api" prefix: the routes carry their own "api/" or "v2/".
    extensions: { http: { routePrefix: "" } },
  };
}
