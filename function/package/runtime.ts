/**
 * The runtime the package carries as `bin/deno`: the Linux x86-64 Deno of the pinned version,
 * whatever machine builds the package. Azure Functions on Linux runs x86-64 glibc containers, so
 * copying the building Deno (`Deno.execPath()`) ships a binary Azure cannot run when the package
 * is built on macOS, Windows or arm64.
 *
 * Deno publishes each platform's binary on npm (`@deno/linux-x64-glibc`, the package the npm
 * `deno` wrapper installs on Linux x86-64). It is fetched into Deno's own npm cache with
 * `deno cache --no-config --lock=function/package/runtime.lock --frozen`, so the tarball must
 * match the integrity committed in that lock file, and no `node_modules` folder is made. The
 * binary is then checked: an ELF 64-bit little-endian x86-64 executable, and `--version` names
 * the pinned version where it can run (Linux x86-64), else its package.json does.
 *
 * Measured here (Linux x86-64, Deno 2.9.6): the first fetch takes ~1.4 s (a 95.6 MB binary,
 * byte-identical to the one the npm `deno` package installed); later builds find it cached.
 * @module
 */
import { join } from "node:path";

/** The Deno version the package runs: the version `.ci/run` and `.gitlab-ci.yml` pin. */
export const RUNTIME_VERSION = "2.9.6";

/** The npm package that carries the Linux x86-64 (glibc) Deno binary. */
export const RUNTIME_PACKAGE = "@deno/linux-x64-glibc";

/** The lock file holding the runtime tarball's integrity (update it with the version). */
export const RUNTIME_LOCK: string = join(import.meta.dirname!, "runtime.lock");

/** The platform a build runs on (`Deno.build`'s fields). */
export interface BuildPlatform {
  readonly os: typeof Deno.build.os;
  readonly arch: typeof Deno.build.arch;
}

/** The runtime found and how it was verified. */
export interface LinuxRuntime {
  /** The binary in Deno's npm cache. */
  readonly path: string;
  readonly version: string;
  /** `--version` when it ran here, `package.json` when it cannot run on the build machine. */
  readonly verifiedBy: "--version" | "package.json";
}

/** A runtime that is missing, of the wrong kind or of the wrong version. */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuntimeError";
  }
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const EM_X86_64 = 62;

/** What the first bytes of a file say it is, for messages. */
function describeHeader(h: Uint8Array): string {
  const u32 = h.length >= 4 ? new DataView(h.buffer, h.byteOffset).getUint32(0, false) : 0;
  if ([0xfeedfacf, 0xcffaedfe, 0xcafebabe].includes(u32)) return "a Mach-O (macOS) binary";
  if (h[0] === 0x4d && h[1] === 0x5a) return "a Windows (PE) executable";
  if (ELF_MAGIC.every((b, i) => h[i] === b)) {
    if (h[4] !== ELFCLASS64) return "a 32-bit ELF binary";
    if (h[5] !== ELFDATA2LSB) return "a big-endian ELF binary";
    const machine = h.length >= 20 ? h[18]! | (h[19]! << 8) : -1;
    const names: Record<number, string> = { 183: "aarch64", 62: "x86-64", 40: "arm" };
    return `an ELF binary for ${names[machine] ?? `machine ${machine}`}`;
  }
  return h.length === 0 ? "an empty file" : "not an executable";
}

/**
 * Checks that `path` is an ELF 64-bit little-endian x86-64 executable (the ELF header's class,
 * data encoding, type and `e_machine`).
 *
 * @throws {RuntimeError} naming the file and what it is instead.
 */
export async function assertLinuxX64Elf(path: string): Promise<void> {
  const head = new Uint8Array(20);
  let got = 0;
  {
    using file = await Deno.open(path);
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null) break;
      got += n;
    }
  }
  const h = head.subarray(0, got);
  const ok = got === 20 && ELF_MAGIC.every((b, i) => h[i] === b) && h[4] === ELFCLASS64 &&
    h[5] === ELFDATA2LSB && [ET_EXEC, ET_DYN].includes(h[16]! | (h[17]! << 8)) &&
    (h[18]! | (h[19]! << 8)) === EM_X86_64;
  if (!ok) {
    throw new RuntimeError(
      `${path}: expected a Linux x86-64 executable (ELF 64-bit LSB, machine x86-64), found ` +
        describeHeader(h),
    );
  }
}

/** Options of {@link linuxRuntime}. */
export interface LinuxRuntimeOptions {
  /** The build machine; default `Deno.build`. Decides whether the binary can run here. */
  readonly platform?: BuildPlatform;
  /** The Deno that fetches the package; default this one. */
  readonly deno?: string;
  /** Environment for the fetch (DENO_DIR, registry settings); default this process's. */
  readonly env?: Readonly<Record<string, string>>;
}

async function run(
  command: string,
  args: string[],
  env: Readonly<Record<string, string>> | undefined,
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    // No deno.json or package.json around: the lock below is the only one that counts.
    cwd: import.meta.dirname!,
    ...(env ? { env: { ...env }, clearEnv: true } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { success: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Finds `<npm cache>/<registry>/@deno/linux-x64-glibc/<version>/deno`. */
async function findInNpmCache(npmCache: string): Promise<string | undefined> {
  const [scope, name] = RUNTIME_PACKAGE.split("/") as [string, string];
  for await (const registry of Deno.readDir(npmCache)) {
    if (!registry.isDirectory) continue;
    const path = join(npmCache, registry.name, scope, name, RUNTIME_VERSION, "deno");
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

/**
 * Fetches (or finds cached) the Linux x86-64 Deno of {@link RUNTIME_VERSION} and verifies it.
 *
 * @throws {RuntimeError} when the fetch fails, the tarball does not match the lock, or the
 *   binary is not a Linux x86-64 Deno of the pinned version.
 * @example
 * ```ts ignore
 * // Not run by `deno test --doc`: it downloads @deno/linux-x64-glibc from npm when not cached.
 * import { join } from "node:path";
 * import { linuxRuntime } from "./runtime.ts";
 * const runtime = await linuxRuntime();
 * const dir = await Deno.makeTempDir();
 * await Deno.copyFile(runtime.path, join(dir, "deno"));
 * ```
 */
export async function linuxRuntime(
  { platform = Deno.build, deno = Deno.execPath(), env }: LinuxRuntimeOptions = {},
): Promise<LinuxRuntime> {
  const spec = `npm:${RUNTIME_PACKAGE}@${RUNTIME_VERSION}`;
  const cached = await run(deno, [
    "cache",
    "--quiet",
    "--no-config",
    `--lock=${RUNTIME_LOCK}`,
    "--frozen",
    spec,
  ], env);
  if (!cached.success) {
    throw new RuntimeError(
      `could not fetch the package's runtime ${spec} through Deno's npm cache ` +
        `(integrity pinned in ${RUNTIME_LOCK}):\n${cached.stderr.trim()}`,
    );
  }
  const info = await run(deno, ["info", "--json", "--no-config"], env);
  const npmCache = info.success
    ? (JSON.parse(info.stdout) as { npmCache?: unknown }).npmCache
    : undefined;
  if (typeof npmCache !== "string") {
    throw new RuntimeError(`deno info --json named no npm cache: ${info.stderr.trim()}`);
  }
  const path = await findInNpmCache(npmCache);
  if (!path) {
    throw new RuntimeError(
      `${spec} was cached, but no ${RUNTIME_PACKAGE}/${RUNTIME_VERSION}/deno is under ${npmCache}`,
    );
  }
  await assertLinuxX64Elf(path);
  if (platform.os === "linux" && platform.arch === "x86_64") {
    const { success, stdout, stderr } = await run(path, ["--version"], env);
    const version = /^deno (\S+)/.exec(stdout)?.[1];
    if (!success || version !== RUNTIME_VERSION) {
      throw new RuntimeError(
        `${path} --version said ${JSON.stringify((stdout || stderr).split("\n")[0])}, ` +
          `expected deno ${RUNTIME_VERSION}`,
      );
    }
    return { path, version, verifiedBy: "--version" };
  }
  const pkg = JSON.parse(await Deno.readTextFile(join(path, "..", "package.json"))) as {
    name?: unknown;
    version?: unknown;
  };
  if (pkg.name !== RUNTIME_PACKAGE || pkg.version !== RUNTIME_VERSION) {
    throw new RuntimeError(
      `${join(path, "..", "package.json")} names ${String(pkg.name)}@${String(pkg.version)}, ` +
        `expected ${RUNTIME_PACKAGE}@${RUNTIME_VERSION}`,
    );
  }
  return { path, version: RUNTIME_VERSION, verifiedBy: "package.json" };
}
