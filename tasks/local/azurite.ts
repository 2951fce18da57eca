/**
 * Starts Azurite's Blob service (npm `azurite`, pinned in tools/deno.json, not in the
 * root deno.json that `deno task start` installs) under Deno on a free
 * loopback port, waits until it listens, and stops it. Plain HTTP by default (reached through a
 * connection string), or HTTPS with basic OAuth so a bearer token from a managed-identity
 * endpoint can be exercised.
 * @module
 */
import { join } from "node:path";
import { freePort } from "../../lib/net/loopback.ts";
import { type BlobRbacProxy, startBlobRbacProxy } from "./blob_rbac_proxy.ts";

/** Azurite's well-known development account (public, documented emulator values). */
export const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** Options of {@link startAzurite}. */
export interface AzuriteOptions {
  /** Serve HTTPS with this certificate and key (PEM files). */
  readonly https?: { readonly cert: string; readonly key: string };
  /** With `https`: accept OAuth bearer tokens (Azurite checks issuer, audience and lifetime). */
  readonly oauth?: boolean;
  /** Port to listen on; a free one by default (pass the old port to restart a stopped store). */
  readonly port?: number;
  /** Data folder; a temporary one (deleted on stop) by default. A given folder is kept. */
  readonly location?: string;
  /** Longest wait for the service to listen. Default 180 s (a cold npm cache downloads it). */
  readonly timeoutMs?: number;
  /**
   * Answer 403 `AuthorizationPermissionMismatch` for this long after a role grant (the first
   * request), as Blob Storage does until a new role assignment propagates: a proxy in front of
   * Azurite (`blob_rbac_proxy.ts`) then serves `blobEndpoint`. Default 0 (off): many tests
   * drive Azurite with the SDK directly; the local rehearsal turns it on. Plain HTTP only.
   */
  readonly rbacDelayMs?: number;
}

/** A running Azurite Blob service. */
export interface RunningAzurite {
  readonly port: number;
  /** `http(s)://127.0.0.1:<port>/devstoreaccount1`. */
  readonly blobEndpoint: string;
  /** A connection string for the development account (works for HTTP and HTTPS). */
  readonly connectionString: string;
  /** The data folder. */
  readonly location: string;
  /** Milliseconds from spawn until it listened. */
  readonly startupMs: number;
  /** The role-propagation proxy, when `rbacDelayMs` turned it on. */
  readonly rbac?: BlobRbacProxy;
  /** Everything it printed so far. */
  output(): string;
  /** Sends SIGTERM, waits for it to exit (SIGKILL after 5 s) and removes a temporary folder. */
  stop(): Promise<void>;
}

const REPO = join(import.meta.dirname!, "..", "..");

/** Starts Azurite's Blob service and resolves once it accepts connections. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const port = options.port ?? freePort();
  const ownLocation = options.location === undefined;
  const location = options.location ?? await Deno.makeTempDir({ prefix: "fluxops-azurite-" });
  const args = [
    "run",
    "-A",
    "--quiet",
    "--config",
    join(REPO, "tools", "deno.json"),
    "azurite/azurite-blob",
    "--silent",
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--location",
    location,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
  ];
  if (options.https) args.push("--cert", options.https.cert, "--key", options.https.key);
  if (options.oauth) args.push("--oauth", "basic");
  const started = performance.now();
  // Under `deno test --coverage` children inherit DENO_COVERAGE_DIR; Azurite would then write
  // thousands of coverage files of npm code, and a half-written one when it is stopped.
  const env = Deno.env.toObject();
  delete env.DENO_COVERAGE_DIR;
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const dec = new TextDecoder();
  const sink = () =>
    new WritableStream<Uint8Array>({
      write(chunk) {
        out += dec.decode(chunk, { stream: true });
        if (out.includes("successfully listens on")) listening();
      },
    });
  const pumps = Promise.allSettled([
    child.stdout.pipeTo(sink()),
    child.stderr.pipeTo(sink()),
  ]);
  const scheme = options.https ? "https" : "http";
  const rbacDelayMs = options.rbacDelayMs ?? 0;
  if (rbacDelayMs > 0 && options.https) {
    throw new Error("startAzurite: rbacDelayMs needs plain HTTP (the proxy reads each request)");
  }
  const rbac = rbacDelayMs > 0
    ? startBlobRbacProxy({ targetPort: port, delayMs: rbacDelayMs })
    : undefined;
  const blobEndpoint = `${scheme}://127.0.0.1:${rbac?.port ?? port}/${DEV_ACCOUNT}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await rbac?.stop();
    try {
      child.kill("SIGTERM");
    } catch { /* already exited */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
        resolve();
      }, 5_000);
    });
    await Promise.race([child.status, killed]);
    clearTimeout(timer);
    await child.status;
    await pumps;
    if (ownLocation) await Deno.remove(location, { recursive: true }).catch(() => {});
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    child.status.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), options.timeoutMs ?? 180_000);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await stop();
    throw new Error(`Azurite did not start (${outcome}): ${out.slice(-2000)}`);
  }
  return {
    port,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=${scheme};AccountName=${DEV_ACCOUNT};` +
      `AccountKey=${DEV_KEY};BlobEndpoint=${blobEndpoint};`,
    location,
    startupMs: Math.round(performance.now() - started),
    ...(rbac ? { rbac } : {}),
    output: () => out,
    stop,
  };
}
