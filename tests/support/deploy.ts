/**
 * What the `deno task deploy` tests share: the step list, running a script as its own `deno run`
 * process from the repository root, a model signed with a key that is not the vault's, and a look
 * into a local environment's stores.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { StorageBackend } from "../../lib/store/backend.ts";
import { openBlobBackend } from "../../lib/store/open_blob_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { type BlobLocation, parseStoreUrl } from "../../lib/store/store_url.ts";
import { startAzurite } from "../../tasks/local/azurite.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

/** The deploy's steps, in the order it runs them. */
export const DEPLOY_STEPS = [
  "infra",
  "outputs",
  "train",
  "publish",
  "promote",
  "build",
  "upload",
  "point",
  "smoke",
];

/** The signing key of a model the local environment's function must refuse. */
export const FOREIGN_SIGNING_KEY = "a-key-that-is-not-the-vaults-0123456789";

/** What a finished script printed, and its exit code. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` (a path from the repository root) with `--allow-all`; stdin is closed. */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, ...args],
    cwd: ROOT,
    env,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Trains a model into `out` with the trainer's `flags`, signed with {@link FOREIGN_SIGNING_KEY};
 * returns its version. Fails the test with the trainer's stderr if it fails.
 */
export async function trainForeignSigned(out: string, flags: string[]): Promise<string> {
  const trained = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "trainer/main.ts", ...flags, "--out", out, "--json"],
    cwd: ROOT,
    env: { FLUXOPS_SIGNING_KEY: FOREIGN_SIGNING_KEY },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(trained.success, new TextDecoder().decode(trained.stderr));
  return JSON.parse(new TextDecoder().decode(trained.stdout)).version;
}

/** The stores of a local environment, open while {@link withLocalStores}' callback runs. */
export interface LocalStores {
  /** The model registry (`azblob://models`). */
  registry: ModelRegistry;
  /** Opens another container of the environment's Azurite (`azblob://<container>`). */
  open(storeUrl: string): StorageBackend;
}

/** Starts the Azurite of the local environment in `state`, runs `fn` on its stores, stops it. */
export async function withLocalStores<T>(
  state: string,
  fn: (stores: LocalStores) => Promise<T>,
): Promise<T> {
  const azurite = await startAzurite({ location: join(state, "azurite") });
  try {
    const open = (url: string) =>
      openBlobBackend(parseStoreUrl(url) as BlobLocation, {
        connectionString: azurite.connectionString,
      });
    return await fn({ registry: new ModelRegistry(open("azblob://models")), open });
  } finally {
    await azurite.stop();
  }
}
