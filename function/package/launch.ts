/**
 * How the Azure Functions host starts a custom handler, for running the package here exactly as
 * it runs there (azure-functions-host: `HttpWorkerOptionsSetup`, `HttpWorkerProcess`,
 * `DefaultWorkerProcessFactory`): `customHandler.description.defaultExecutablePath` from
 * `host.json`, relative to the app root, with its `arguments` (`%NAME%` expanded from the host's
 * environment, unset names removed), in `workingDirectory` under the app root, with the host's
 * environment plus the port and worker id it chose.
 * @module
 */
import { join } from "node:path";

/** `host.json` as far as starting the handler goes. */
export interface CustomHandlerHost {
  customHandler: {
    description: {
      defaultExecutablePath: string;
      workingDirectory?: string;
      arguments?: string[];
    };
    enableProxyingHttpRequest?: boolean;
  };
}

/** Reads a package's `host.json`. */
export async function readHostJson(dir: string): Promise<CustomHandlerHost> {
  return JSON.parse(await Deno.readTextFile(join(dir, "host.json")));
}

/**
 * Expands `%NAME%` in custom-handler arguments as the host does (.NET
 * `Environment.ExpandEnvironmentVariables`, then every `%...%` left removed).
 */
export function expandArguments(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): string[] {
  return args.map((a) =>
    a.replace(/%([^%]+)%/g, (whole, name: string) => env[name] ?? whole).replace(/%(.+?)%/g, "")
  );
}

/** Options of {@link hostLaunch}. */
export interface LaunchOptions {
  /** The app root: the package folder. */
  readonly dir: string;
  /** The port the host tells the handler to listen on. */
  readonly port: number;
  /** The host's environment: platform variables and app settings. */
  readonly hostEnv: Readonly<Record<string, string>>;
}

/**
 * The platform's part of a host environment on this machine: `PATH` and `HOME` from this process
 * and the handler's `DENO_DIR` (on Azure an app setting, `/tmp/deno`), plus `settings` (app
 * settings such as FLUXOPS_MODEL).
 */
export function platformEnv(
  denoDir: string,
  settings: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    DENO_DIR: denoDir,
    ...settings,
  };
}

/** The process the host would start: executable, arguments, folder and environment. */
export interface Launch {
  readonly command: string;
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** Works out the process the Functions host starts for the package in `dir`. */
export async function hostLaunch({ dir, port, hostEnv }: LaunchOptions): Promise<Launch> {
  const { description } = (await readHostJson(dir)).customHandler;
  const workerId = crypto.randomUUID();
  return {
    command: join(dir, description.defaultExecutablePath),
    args: expandArguments(description.arguments ?? [], hostEnv),
    cwd: join(dir, description.workingDirectory ?? ""),
    env: {
      ...hostEnv,
      FUNCTIONS_CUSTOMHANDLER_PORT: String(port),
      FUNCTIONS_CUSTOMHANDLER_WORKER_ID: workerId,
      FUNCTIONS_HTTPWORKER_PORT: String(port),
      FUNCTIONS_HTTPWORKER_ID: workerId,
      FUNCTIONS_APP_ROOT_PATH: dir,
    },
  };
}
