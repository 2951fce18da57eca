/**
 * The local stand-ins that `deno task deploy --env local` deploys to instead of Azure:
 *
 * - Azurite (Blob Storage) with the `models` and `deployments` containers, reached through a
 *   connection string (`azblob://`);
 * - a managed-identity token endpoint (`IDENTITY_ENDPOINT`/`IDENTITY_HEADER`) and a Key Vault
 *   stand-in over HTTPS holding the model-signing secret, trusted through `NODE_EXTRA_CA_CERTS`;
 * - the "function app": the package named by its `WEBSITE_RUN_FROM_PACKAGE` setting, fetched
 *   from the `deployments` container, unpacked and started the way the Functions host starts a
 *   custom handler (`function/package/launch.ts`), following the registry's alias. Its settings
 *   are changed through a Resource Manager stand-in (`tasks/local/arm_server.ts`) with the same
 *   client as on Azure; as on Azure, a settings change restarts the app after the call has
 *   answered, and `listkeys` answers 400 while the host restarts (`restartWindowMs`).
 *
 * What Azure would keep between deploys is kept in a state folder: Azurite's data, the signing
 * key (as Terraform keeps it in its state) and the app's settings. A new environment starts as
 * Terraform leaves one: `WEBSITE_RUN_FROM_PACKAGE` names the placeholder blob
 * `function/fluxops-function.zip` (infra/ `package_blob_name`), which nobody uploads, so the
 * app is down until the first deploy. Every process and temporary folder is removed by `stop()`;
 * what a killed deploy left running is stopped by the next one (`tasks/local/state_claim.ts`).
 *
 * With `hosting: "one_deploy"` the app is a Flex Consumption (FC1) app as infra/ makes it with
 * `service_plan_sku = "FC1"`: it has no `WEBSITE_RUN_FROM_PACKAGE`; a deploy publishes the zip to
 * the SCM stand-in (`tasks/local/scm_server.ts`, `POST /api/publish`), which stores it in the
 * `app-package` container, as the FC1 host stores it in its deployment container, and restarts
 * the app on it. The state folder remembers its hosting mode; a deploy in the other mode refuses
 * it rather than mix the two. This mode was rehearsed locally only, never run on Azure.
 *
 * The servers are the local stand-ins in `tasks/local/`, the same the test suite runs against,
 * so the rehearsal exercises what the tests do.
 * @module
 */
import { join } from "node:path";
import { hostLaunch, platformEnv } from "../function/package/launch.ts";
import { describeError, InvalidInput } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import { type AppHost, armAppHost, oneDeployAppHost } from "./deploy/app_host.ts";
import { ArmClient } from "./deploy/arm.ts";
import type { DeployTarget, HostingMode } from "./deploy/outputs.ts";
import { OneDeployClient } from "./deploy/one_deploy.ts";
import { blobOf } from "./deploy/release.ts";
import { unpackZip } from "./deploy/unpack.ts";
import type { BlobBackend } from "../lib/store/blob_backend.ts";
import { openBlobBackend } from "../lib/store/open_blob_backend.ts";
import { ModelRegistry } from "../lib/store/registry.ts";
import { type BlobLocation, parseStoreUrl } from "../lib/store/store_url.ts";
import { type RunningAzurite, startAzurite } from "./local/azurite.ts";
import {
  DEFAULT_RBAC_DELAY_MS,
  type KeyVaultServer,
  startKeyVaultServer,
} from "./local/key_vault_server.ts";
import { freePort } from "../lib/net/loopback.ts";
import { makeTls, type TlsFiles } from "./local/tls.ts";
import { startTokenServer, type TokenServer } from "./local/token_server.ts";
import { type ArmServer, startArmServer } from "./local/arm_server.ts";
import { claimStateDir } from "./local/state_claim.ts";
import { type ScmServer, startScmServer } from "./local/scm_server.ts";

/** The containers Terraform creates in the artifacts account. */
const MODELS = "azblob://models";
const DEPLOYMENTS = "azblob://deployments";
/** The deployment container of a one-deploy (FC1) app, as infra/ names it (local.flex_container). */
export const APP_PACKAGE = "azblob://app-package";
/**
 * The blob a one-deploy writes there. The name Azure uses was not verified (assumed from public
 * reports); nothing in the deploy depends on it.
 */
export const RELEASED_PACKAGE = "released-package.zip";
/** The signing secret's name, as in infra/ (var.signing_key.secret_name). */
const SIGNING_SECRET = "model-signing-key";
/** The package setting Terraform gives a new app (infra/ var.package_blob_name): never uploaded. */
export const PLACEHOLDER_PACKAGE = `${DEPLOYMENTS}/function/fluxops-function.zip`;
/** Default of {@link LocalStackOptions.restartWindowMs}. */
export const DEFAULT_RESTART_WINDOW_MS = 2_000;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Where the environment's state lives between deploys. */
  readonly stateDir: string;
  /** The alias the function follows. */
  readonly alias: string;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /**
   * How long after each restart of the app `listkeys` still answers the host-restart 400, ms;
   * 0 turns it off. Default {@link DEFAULT_RESTART_WINDOW_MS}.
   */
  readonly restartWindowMs?: number;
  /** How long reading the keys may wait through that 400, ms. Default 30 000. */
  readonly keyWaitMs?: number;
  /**
   * How the app gets its code: `run_from_package` (B1, EP1, P1v3; the default) or `one_deploy`
   * (FC1).
   */
  readonly hosting?: HostingMode;
}

/** The running stand-ins. */
export interface LocalStack {
  readonly target: DeployTarget;
  /** Settings the trainer and the function need to reach the stand-ins. */
  readonly env: Readonly<Record<string, string>>;
  readonly app: AppHost;
  /** How the app gets its code. */
  readonly hosting: HostingMode;
  /** Opens a container of the local account. */
  container(location: string): BlobBackend;
  registry(): ModelRegistry;
  /** What it started, for the plan and the report. */
  describe(): Record<string, string>;
  /** Stops every process and removes every temporary folder. */
  stop(): Promise<void>;
}

async function readJson<T>(path: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return fallback;
    throw err;
  }
}

/** The signing key the environment was "provisioned" with, made once like Terraform's. */
async function signingKey(stateDir: string): Promise<string> {
  const path = join(stateDir, "signing-key");
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  // Atomic, owner-only: a deploy killed here must not leave half a key for the next one.
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, key + "\n", { mode: 0o600 });
  await Deno.rename(tmp, path);
  return key;
}

/**
 * Records the state folder's hosting mode on first use; refuses a folder made in the other
 * mode (its app settings and package record would not mean what this mode reads).
 */
async function claimHosting(stateDir: string, hosting: HostingMode): Promise<void> {
  const path = join(stateDir, "hosting");
  let recorded: string | undefined;
  try {
    recorded = (await Deno.readTextFile(path)).trim();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  // A state folder from before the hosting modes is a run-from-package one.
  const before = recorded ??
    (await Deno.stat(join(stateDir, "app_settings.json")).then(() => "run_from_package", () => ""));
  if (before && before !== hosting) {
    throw new InvalidInput(
      `--hosting ${hosting}: the local environment in ${stateDir} was made with --hosting ` +
        `${before}; use another --state-dir (or delete that one) to rehearse ${hosting}`,
    );
  }
  if (!recorded) await writeFileAtomic(path, hosting + "\n");
}

/** A running package process. */
interface RunningApp {
  readonly child: Deno.ChildProcess;
  /** Resolves once the process has exited and its output is read. */
  readonly done: Promise<Deno.CommandStatus>;
  readonly dir: string;
}

/** Starts the stand-ins; on failure stops whatever had started. */
export async function startLocalStack(
  {
    stateDir,
    alias,
    log,
    restartWindowMs = DEFAULT_RESTART_WINDOW_MS,
    keyWaitMs = 30_000,
    hosting = "run_from_package",
  }: LocalStackOptions,
): Promise<LocalStack> {
  await Deno.mkdir(stateDir, { recursive: true, mode: 0o700 });
  await claimHosting(stateDir, hosting);
  const claim = await claimStateDir(stateDir);
  for (const p of claim.stopped) {
    log(`      stopped pid ${p.pid}, left running by a deploy that was killed: ${p.command}`);
  }
  const cleanups: (() => Promise<void>)[] = [() => claim.release()];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
  };
  try {
    // Inside the state folder, so that what a killed deploy left is found by its path.
    const runDir = join(stateDir, "run");
    await Deno.remove(runDir, { recursive: true }).catch(() => {});
    await Deno.mkdir(runDir);
    cleanups.push(() => Deno.remove(runDir, { recursive: true }));
    const tls: TlsFiles = await makeTls();
    cleanups.push(() => tls.cleanup());
    const azurite: RunningAzurite = await startAzurite({
      location: join(stateDir, "azurite"),
      rbacDelayMs: DEFAULT_RBAC_DELAY_MS,
    });
    cleanups.push(() => azurite.stop());
    const tokens: TokenServer = startTokenServer();
    cleanups.push(() => tokens.stop());
    const vault: KeyVaultServer = await startKeyVaultServer({ cert: tls.cert, key: tls.key });
    cleanups.push(() => vault.stop());
    vault.setSecret(SIGNING_SECRET, await signingKey(stateDir));

    const container = (location: string) =>
      openBlobBackend(parseStoreUrl(location) as BlobLocation, {
        connectionString: azurite.connectionString,
        timeoutMs: 300_000,
      });
    const oneDeploy = hosting === "one_deploy";
    for (const c of oneDeploy ? [MODELS, DEPLOYMENTS, APP_PACKAGE] : [MODELS, DEPLOYMENTS]) {
      await container(c).ensureContainer();
    }

    const port = freePort();
    const target: DeployTarget = {
      functionUrl: `http://127.0.0.1:${port}`,
      functionAppName: "local",
      resourceGroup: "",
      modelStore: MODELS,
      deployments: DEPLOYMENTS,
      keyVaultUri: `${vault.url}/`,
      signingSecret: SIGNING_SECRET,
    };
    const env: Record<string, string> = {
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      ...tokens.env(),
      NODE_EXTRA_CA_CERTS: tls.caCert,
      FLUXOPS_KEY_VAULT_URI: target.keyVaultUri,
      FLUXOPS_SIGNING_SECRET: SIGNING_SECRET,
    };
    const settingsFile = join(stateDir, "app_settings.json");
    // Flex has no WEBSITE_RUN_FROM_PACKAGE: Terraform leaves it no package setting at all.
    const settings = await readJson<Record<string, string>>(
      settingsFile,
      oneDeploy ? {} : { WEBSITE_RUN_FROM_PACKAGE: PLACEHOLDER_PACKAGE },
    );
    await writeFileAtomic(settingsFile, JSON.stringify(settings, null, 2) + "\n");
    let app: RunningApp | undefined;
    let generation = 0;

    const stopApp = async () => {
      if (!app) return;
      const { child, done, dir } = app;
      app = undefined;
      try {
        child.kill("SIGTERM");
      } catch { /* exited already */ }
      await done;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
    cleanups.push(stopApp);

    /**
     * Fetches the package (the blob the setting names, or a one-deploy's in app-package),
     * unpacks it and starts it like the host.
     */
    const startApp = async (setting: string | undefined) => {
      await stopApp();
      const [from, blob] = setting === undefined
        ? [APP_PACKAGE, RELEASED_PACKAGE]
        : [DEPLOYMENTS, blobOf(DEPLOYMENTS, setting)];
      const zip = await container(from).get(blob);
      if (!zip) {
        // As on Azure: an app whose package blob is missing does not start.
        log(`      local app: package ${blob} is missing; the app is down`);
        return;
      }
      const dir = join(runDir, `wwwroot-${++generation}`);
      await Deno.mkdir(dir);
      await unpackZip(zip.bytes, dir);
      const denoDir = join(runDir, `deno-dir-${generation}`);
      const launch = await hostLaunch({
        dir,
        port,
        hostEnv: platformEnv(denoDir, {
          ...(setting === undefined ? {} : { WEBSITE_RUN_FROM_PACKAGE: setting }),
          FLUXOPS_STORE: MODELS,
          FLUXOPS_ALIAS: alias,
          FLUXOPS_POLL_SECONDS: "1",
          ...env,
        }),
      });
      const output: string[] = [];
      const child = new Deno.Command(launch.command, {
        args: launch.args,
        cwd: launch.cwd,
        env: launch.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const dec = new TextDecoder();
      const keep = (s: ReadableStream<Uint8Array>) =>
        s.pipeTo(new WritableStream({ write: (c) => void output.push(dec.decode(c)) }));
      const pumps = Promise.allSettled([keep(child.stdout), keep(child.stderr)]);
      const done = child.status.then(async (s) => {
        await pumps;
        return s;
      });
      app = { child, done, dir };
      // Wait for any answer of the health probe, as the host waits for the port.
      const deadline = Date.now() + 20_000;
      let exited = false;
      void done.then(() => (exited = true));
      for (;;) {
        if (exited) {
          throw new Error(`the local app exited at start:\n${output.join("").slice(-1500)}`);
        }
        try {
          const res = await fetch(`${target.functionUrl}/api/health`);
          await res.body?.cancel();
          break;
        } catch { /* not listening yet */ }
        if (Date.now() > deadline) {
          throw new Error(`the local app did not listen within 20 s:\n${output.join("")}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      log(`      local app: running ${blob} on ${target.functionUrl}`);
    };

    const arm: ArmServer = startArmServer({
      settings,
      restartWindowMs,
      log,
      // Stored before the PUT answers. Atomic: a deploy SIGKILLed mid-write must not leave an
      // unreadable settings file.
      persist: (next) => writeFileAtomic(settingsFile, JSON.stringify(next, null, 2) + "\n"),
      // A settings change restarts the app, which then runs from the package the setting names.
      restart: async (next) => {
        // FC1 ignores the setting: it runs what was published last.
        if (oneDeploy) return await startApp(undefined);
        const url = next.WEBSITE_RUN_FROM_PACKAGE;
        if (url) await startApp(url);
        else await stopApp();
      },
    });
    // Runs before stopApp (cleanups run newest first): a restart in progress finishes first.
    cleanups.push(() => arm.stop());
    const credential = {
      getToken: () =>
        Promise.resolve({ token: "local-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    let client: ArmClient | undefined;
    const armClient = () =>
      client ??= new ArmClient(arm.site, {
        credential,
        endpoint: arm.endpoint,
        retryDelayMs: 250,
        hostRestartWaitMs: keyWaitMs,
        onWait: (m) => log(`      ${m}`),
      });
    let scm: ScmServer | undefined;
    if (oneDeploy) {
      scm = startScmServer({
        // As the FC1 host: keep the zip in the deployment container, then restart on it.
        publish: async (zip) => {
          await container(APP_PACKAGE).put(RELEASED_PACKAGE, zip);
          return { restart: () => startApp(undefined) };
        },
        runRestart: (run) => arm.hostRestart(run),
      });
      const scmServer = scm;
      // Runs before arm.stop (newest first): no publish arrives after, and arm.stop waits for
      // the restart of the last one, which is on its chain.
      cleanups.push(() => scmServer.stop());
    }
    const publisher = scm &&
      new OneDeployClient(scm.endpoint, { credential, retryDelayMs: 250 });
    const appHost: AppHost = publisher
      ? oneDeployAppHost({
        publish: (zip) => publisher.publish(zip),
        arm: armClient,
        deployments: () => container(DEPLOYMENTS),
        container: DEPLOYMENTS,
        describe: {
          app: `local FC1 app on ${target.functionUrl}, one-deploy to ${publisher.publishUrl}`,
        },
      })
      : armAppHost(
        armClient,
        `local package host on ${target.functionUrl}, settings through ${arm.endpoint}`,
      );

    // The environment as it was left: the app runs what was published last (FC1), or the
    // package its setting names.
    if (oneDeploy) {
      try {
        await startApp(undefined);
      } catch (err) {
        log(`      local app: the current package does not start (${describeError(err)})`);
      }
    } else if (settings.WEBSITE_RUN_FROM_PACKAGE) {
      try {
        await startApp(settings.WEBSITE_RUN_FROM_PACKAGE);
      } catch (err) {
        log(`      local app: the current package does not start (${describeError(err)})`);
      }
    }

    return {
      target,
      env,
      app: appHost,
      hosting,
      container,
      registry: () => new ModelRegistry(container(MODELS)),
      describe: () => ({
        state: stateDir,
        azurite: azurite.blobEndpoint,
        "key vault": target.keyVaultUri,
        "token endpoint": tokens.endpoint,
        "resource manager": arm.endpoint,
        ...(scm ? { "scm (one-deploy)": scm.endpoint } : {}),
        function: target.functionUrl,
      }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
