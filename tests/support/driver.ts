/**
 * Runs a small driver script in a fresh `deno run` process and reads the JSON it prints last.
 * Azure SDK clients read `NODE_EXTRA_CA_CERTS` and the managed-identity variables when the
 * process starts, so checks that need them set run this way rather than in the test process.
 * @module
 */
import { join } from "node:path";

const REPO = join(import.meta.dirname!, "..", "..");

/** Azure settings a developer's shell may carry, blanked so they cannot steer a driver. */
const AZURE_ENV_BLANKED = [
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_USERNAME",
  "AZURE_STORAGE_CONNECTION_STRING",
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "IDENTITY_SERVER_THUMBPRINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "IMDS_ENDPOINT",
  "FLUXOPS_KEY_VAULT_URI",
  "FLUXOPS_SIGNING_SECRET",
  "FLUXOPS_SIGNING_KEY_FILE",
  "FLUXOPS_SIGNING_KEY",
];

/** What a driver run produced. */
export interface DriverRun<T> {
  /** The last stdout line, parsed as JSON. */
  readonly result: T;
  readonly stdout: string;
  readonly stderr: string;
  readonly success: boolean;
  readonly ms: number;
}

/**
 * Runs `script` (a path) with `args` under `deno run -A`, with the Azure variables blanked and
 * then `env` applied.
 */
export async function runDriver<T>(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<DriverRun<T>> {
  const started = performance.now();
  const blank = Object.fromEntries(AZURE_ENV_BLANKED.map((k) => [k, ""]));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", join(REPO, "tools", "deno.json"), script, ...args],
    cwd: REPO,
    env: { ...blank, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = Math.round(performance.now() - started);
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  const stderr = dec.decode(out.stderr);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let result: T;
  try {
    result = JSON.parse(last) as T;
  } catch {
    throw new Error(`driver ${script} printed no JSON result:\n${stdout}\n${stderr}`);
  }
  return { result, stdout, stderr, success: out.success, ms };
}
