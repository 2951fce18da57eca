/**
 * `deno task build:function`: builds the Azure Functions custom-handler package
 * `dist/function/` and its zip `dist/function.zip`:
 *
 * - `handler.js`: `deno bundle` of `function/main.ts`, npm packages inlined, so that nothing is
 *   resolved or downloaded when it starts;
 * - `bin/deno`: the Linux x86-64 Deno of the pinned version, from npm, whatever machine builds
 *   (see `function/package/runtime.ts`);
 * - `bin/launch`: the executable `host.json` names; it adds the managed-identity endpoint's host
 *   to `--allow-net` and runs `bin/deno` (see `function/package/launcher.ts`);
 * - `host.json` and one folder per function with its `function.json` (see `function/package/`).
 *
 * The package is built in a temporary folder beside the output and swapped in only once it is
 * complete, under a lock, so a failed or concurrent build never leaves a half-written package.
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { functionJson, FUNCTIONS } from "../function/package/function_json.ts";
import { APP_SETTINGS, hostJson } from "../function/package/host_json.ts";
import { LAUNCHER_PATH, LAUNCHER_SCRIPT } from "../function/package/launcher.ts";
import {
  assertLinuxX64Elf,
  type BuildPlatform,
  linuxRuntime,
  RUNTIME_PACKAGE,
  RUNTIME_VERSION,
} from "../function/package/runtime.ts";
import { zipFolder } from "../function/package/zip.ts";

const HELP = `deno task build:function: build the Azure Functions custom-handler package

Usage: deno task build:function [--out DIR] [--readable]

  --out DIR   package folder (default dist/function); the zip is DIR.zip
  --readable  do not minify handler.js
  -h, --help  show this help

Writes DIR/handler.js (minified deno bundle of function/main.ts, with a chunk beside it
for each part it imports dynamically), DIR/bin/deno (the Linux x86-64 Deno
${RUNTIME_VERSION} from npm ${RUNTIME_PACKAGE}, whatever machine builds), DIR/bin/launch
(adds the managed-identity endpoint to --allow-net, then runs bin/deno), DIR/host.json,
one DIR/<function>/function.json per route, and DIR.zip with the executable bits kept. Deploy DIR.zip with run-from-package; besides the
handler's own settings (FLUXOPS_MODEL or FLUXOPS_STORE, ...), set
${
  Object.entries(APP_SETTINGS).map(([k, v]) => `${k}=${v}`).join(" ")
} (see function/package/host_json.ts).`;

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** Files and folders whose change makes a built package stale. */
export const PACKAGE_SOURCES: readonly string[] = [
  "function",
  "lib",
  "tasks/build_function.ts",
  "deno.json",
  "deno.lock",
];

/** Options of {@link buildFunction}. */
export interface BuildOptions {
  /** Package folder; the zip is this path plus `.zip`. Default `dist/function` in the repo. */
  readonly out?: string;
  /** The handler's entry module. */
  readonly entry?: string;
  /** Keep an existing package that is newer than every source instead of rebuilding it. */
  readonly reuseIfFresh?: boolean;
  /** Minify the bundle (default); off keeps it readable. */
  readonly minify?: boolean;
  /**
   * The build machine, default `Deno.build`. The package's runtime is the Linux x86-64 Deno
   * whatever it is; it only decides whether that binary's `--version` can be run here.
   */
  readonly platform?: BuildPlatform;
}

/** What a build produced. */
export interface BuildResult {
  readonly out: string;
  readonly zip: string;
  /** True when an up-to-date package was kept. */
  readonly reused: boolean;
  readonly ms: number;
  readonly handlerBytes: number;
  /** Chunks loaded on demand, and their total size. */
  readonly chunks: number;
  readonly chunkBytes: number;
  readonly runtimeBytes: number;
  readonly zipBytes: number;
  /** How `bin/deno` was verified (undefined when an up-to-date package was kept). */
  readonly runtimeVerifiedBy?: "--version" | "package.json";
}

async function newestMtime(path: string): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
  if (!info.isDirectory) return info.mtime?.getTime() ?? Infinity;
  let newest = 0;
  for await (const e of Deno.readDir(path)) {
    newest = Math.max(newest, await newestMtime(join(path, e.name)));
  }
  return newest;
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Whether the package at `out` (and its zip) is complete, carries a Linux x86-64 runtime, and is
 * newer than every file in {@link PACKAGE_SOURCES} (the runtime's version and lock among them).
 */
export async function packageIsFresh(out: string): Promise<boolean> {
  const [handler, runtime, launcher, host, zip] = await Promise.all([
    statOrUndefined(join(out, "handler.js")),
    statOrUndefined(join(out, "bin", "deno")),
    statOrUndefined(join(out, LAUNCHER_PATH)),
    statOrUndefined(join(out, "host.json")),
    statOrUndefined(`${out}.zip`),
  ]);
  if (!handler?.mtime || !runtime || !launcher || !host || !zip?.mtime) return false;
  try {
    await assertLinuxX64Elf(join(out, "bin", "deno"));
  } catch {
    return false;
  }
  let newest = 0;
  for (const src of PACKAGE_SOURCES) newest = Math.max(newest, await newestMtime(join(ROOT, src)));
  return Math.min(handler.mtime.getTime(), zip.mtime.getTime()) > newest;
}

/** What bundling wrote. */
interface BundleSizes {
  /** Size of `handler.js`, the code that runs at start. */
  readonly handlerBytes: number;
  /** Chunks that `handler.js` imports only when it needs them (dynamic `import()`). */
  readonly chunks: number;
  readonly chunkBytes: number;
}

/**
 * Bundles `entry` into `dir`: `handler.js`, plus one chunk per dynamically imported part, so a
 * heavy dependency imported with `import()` (the Azure SDK) costs nothing at start when unused.
 * Minified: on a 3 MB bundle it takes about 75 ms off a ~340 ms cold start.
 */
async function bundle(entry: string, dir: string, minify: boolean): Promise<BundleSizes> {
  const staging = join(dir, ".bundle");
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform=deno",
      "--code-splitting",
      ...(minify ? ["--minify"] : []),
      "--outdir",
      staging,
      entry,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`deno bundle ${entry} failed:\n${new TextDecoder().decode(stderr).trim()}`);
  }
  const main = basename(entry).replace(/\.[cm]?[jt]sx?$/, ".js");
  let handlerBytes = 0;
  let chunks = 0;
  let chunkBytes = 0;
  for await (const e of Deno.readDir(staging)) {
    if (!e.isFile || !e.name.endsWith(".js")) {
      throw new Error(`deno bundle wrote ${e.name}, which the package does not expect`);
    }
    const code = await Deno.readTextFile(join(staging, e.name));
    // A specifier left in the bundle would be resolved, and perhaps downloaded, at start.
    const left = code.match(/(?:from\s*|import\s*\(\s*)["'](?:npm|jsr|https?):[^"']*["']/);
    if (left) throw new Error(`deno bundle left an import to resolve at run time: ${left[0]}`);
    const bytes = new TextEncoder().encode(code).length;
    if (e.name === main) {
      handlerBytes = bytes;
      await Deno.rename(join(staging, e.name), join(dir, "handler.js"));
    } else {
      chunks++;
      chunkBytes += bytes;
      await Deno.rename(join(staging, e.name), join(dir, e.name));
    }
  }
  await Deno.remove(staging);
  if (handlerBytes === 0) throw new Error(`deno bundle wrote no ${main}`);
  return { handlerBytes, chunks, chunkBytes };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Writes the package folder `dir` (which exists and is empty). */
async function writePackage(
  dir: string,
  entry: string,
  minify: boolean,
  platform: BuildPlatform,
): Promise<
  BundleSizes & { runtimeBytes: number; runtimeVerifiedBy: "--version" | "package.json" }
> {
  // Both settle before a failure is thrown: a failed bundle must not leave the runtime's check
  // (a child process) running after buildFunction has returned.
  const [bundled, fetched] = await Promise.allSettled([
    bundle(entry, dir, minify),
    linuxRuntime({ platform }),
  ]);
  if (bundled.status === "rejected") throw bundled.reason;
  if (fetched.status === "rejected") throw fetched.reason;
  const sizes = bundled.value;
  const linux = fetched.value;
  await Deno.mkdir(join(dir, "bin"));
  const runtime = join(dir, "bin", "deno");
  await Deno.copyFile(linux.path, runtime);
  await Deno.chmod(runtime, 0o755);
  // Checked again in the package: what ships is what was verified.
  await assertLinuxX64Elf(runtime);
  await Deno.writeTextFile(join(dir, LAUNCHER_PATH), LAUNCHER_SCRIPT);
  await Deno.chmod(join(dir, LAUNCHER_PATH), 0o755);
  await writeJson(join(dir, "host.json"), hostJson());
  for (const fn of FUNCTIONS) {
    await Deno.mkdir(join(dir, fn.name));
    await writeJson(join(dir, fn.name, "function.json"), functionJson(fn));
  }
  return {
    ...sizes,
    runtimeBytes: (await Deno.stat(runtime)).size,
    runtimeVerifiedBy: linux.verifiedBy,
  };
}

/** Sizes of a built package, read back from disk. */
async function measure(out: string): Promise<BundleSizes & { runtimeBytes: number }> {
  let chunks = 0;
  let chunkBytes = 0;
  for await (const e of Deno.readDir(out)) {
    if (e.isFile && e.name.endsWith(".js") && e.name !== "handler.js") {
      chunks++;
      chunkBytes += (await Deno.stat(join(out, e.name))).size;
    }
  }
  return {
    handlerBytes: (await Deno.stat(join(out, "handler.js"))).size,
    chunks,
    chunkBytes,
    runtimeBytes: (await Deno.stat(join(out, "bin", "deno"))).size,
  };
}

/**
 * Builds the custom-handler package and its zip, replacing any previous build whole.
 * @example
 * ```ts ignore
 * // Not run by `deno test --doc`: it downloads the Linux Deno from npm when not cached, bundles
 * // for ~15 s and writes dist/ (tests/function/package_test.ts builds it into a temporary folder).
 * import { buildFunction } from "./build_function.ts";
 * const { out, zip, zipBytes } = await buildFunction();
 * // out = ".../dist/function", zip = ".../dist/function.zip"
 * ```
 */
export async function buildFunction(
  {
    out = join(ROOT, "dist", "function"),
    entry = "function/main.ts",
    reuseIfFresh = false,
    minify = true,
    platform = Deno.build,
  }: BuildOptions = {},
): Promise<BuildResult> {
  const started = performance.now();
  out = resolve(out);
  const zip = `${out}.zip`;
  const parent = dirname(out);
  await Deno.mkdir(parent, { recursive: true });
  // flock: released when the file closes, even if this process dies.
  const lock = await Deno.open(join(parent, `.${basename(out)}.lock`), {
    write: true,
    create: true,
  });
  try {
    await lock.lock(true);
    if (reuseIfFresh && await packageIsFresh(out)) {
      return {
        out,
        zip,
        reused: true,
        ms: performance.now() - started,
        ...await measure(out),
        zipBytes: (await Deno.stat(zip)).size,
      };
    }
    const tmp = await Deno.makeTempDir({ dir: parent, prefix: `.${basename(out)}-new-` });
    const tmpZip = `${tmp}.zip`;
    const old = join(parent, basename(tmp).replace("-new-", "-old-"));
    try {
      await Deno.chmod(tmp, 0o755);
      const sizes = await writePackage(tmp, entry, minify, platform);
      const zipped = await zipFolder(tmp, tmpZip);
      // Swap: the previous package moves aside and goes only once the new one is in place.
      const hadOld = (await statOrUndefined(out)) !== undefined;
      if (hadOld) await Deno.rename(out, old);
      await Deno.rename(tmp, out);
      await Deno.rename(tmpZip, zip);
      if (hadOld) await removeIfExists(old);
      return {
        out,
        zip,
        reused: false,
        ms: performance.now() - started,
        ...sizes,
        zipBytes: zipped.bytesOut,
      };
    } finally {
      await removeIfExists(tmp);
      await removeIfExists(tmpZip);
    }
  } finally {
    lock.close();
  }
}

function mb(bytes: number): string {
  return bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Builds the package; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, { out: { type: "string" }, readable: { type: "boolean" } }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  try {
    const r = await buildFunction({
      ...(values.out === undefined ? {} : { out: values.out }),
      minify: !values.readable,
    });
    const show = (p: string) => relative(Deno.cwd(), p) || ".";
    console.log(`built ${show(r.out)} in ${(r.ms / 1000).toFixed(1)} s`);
    console.log(`  handler.js  ${mb(r.handlerBytes)}  (deno bundle of function/main.ts)`);
    if (r.chunks > 0) {
      console.log(`  ${r.chunks} chunks  ${mb(r.chunkBytes)}  (loaded on first dynamic import)`);
    }
    console.log(
      `  bin/deno    ${mb(r.runtimeBytes)}  (Deno ${RUNTIME_VERSION} linux x86-64, npm ` +
        `${RUNTIME_PACKAGE}${r.runtimeVerifiedBy ? `, verified by ${r.runtimeVerifiedBy}` : ""})`,
    );
    console.log(`  ${LAUNCHER_PATH}  (adds the managed-identity endpoint to --allow-net)`);
    console.log(`  functions   ${FUNCTIONS.map((f) => f.name).join(", ")}`);
    console.log(`  ${show(r.zip)}  ${mb(r.zipBytes)}`);
    console.log(
      `app settings: ${Object.entries(APP_SETTINGS).map(([k, v]) => `${k}=${v}`).join(" ")}` +
        " (recommended), and the handler's own: FLUXOPS_MODEL or FLUXOPS_STORE, ...",
    );
    return 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
