/**
 * The custom-handler package for tests: builds it once per test process (or keeps an up-to-date
 * `dist/function`), starts it the way the Azure Functions host does (see
 * `function/package/launch.ts`), and reads its zip.
 * @module
 */
import { join } from "node:path";
import { hostLaunch, platformEnv } from "../../function/package/launch.ts";
import { freePort } from "../../lib/net/loopback.ts";
import { buildFunction, type BuildResult } from "../../tasks/build_function.ts";
import { WAIT_LIMIT_MS } from "./wait.ts";

let built: Promise<BuildResult> | undefined;

/** The package in `dist/function`, built at most once per process and only when stale. */
export function ensurePackage(): Promise<BuildResult> {
  built ??= buildFunction({ reuseIfFresh: true });
  return built;
}

/** Options of {@link startPackage}. */
export interface StartOptions {
  /** The model, as the `FLUXOPS_MODEL` app setting; omit to leave it unset. */
  readonly model?: string;
  /** More app settings (environment of the host). */
  readonly env?: Readonly<Record<string, string>>;
  /** `DENO_DIR`; default a new empty folder, removed on stop. */
  readonly denoDir?: string;
  /** Package folder; default the one {@link ensurePackage} builds. */
  readonly dir?: string;
  /** A command line to run the handler under, e.g. a sandbox; the handler's own follows it. */
  readonly wrap?: readonly string[];
  /** How long to wait for `GET /api/health` to answer; default {@link WAIT_LIMIT_MS}. */
  readonly timeoutMs?: number;
}

/** A running package. */
export interface RunningPackage {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Milliseconds from spawn to the first answer of `GET /api/health`. */
  readonly readyMs: number;
  /** What the handler printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and waits for the process to exit. */
  stop(): Promise<Deno.CommandStatus>;
}

async function drain(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) into.push(decoder.decode(chunk, { stream: true }));
}

/**
 * Starts the package like the Functions host and waits until `GET /api/health` answers (any
 * status: a handler without a model answers 503). Fails with the handler's stderr if it exits
 * or does not answer in time.
 */
export async function startPackage(opts: StartOptions = {}): Promise<RunningPackage> {
  const dir = opts.dir ?? (await ensurePackage()).out;
  const ownDenoDir = opts.denoDir === undefined
    ? await Deno.makeTempDir({ prefix: "fluxops-deno-dir-" })
    : undefined;
  // freePort's port is free when asked, not when the handler binds it: under --parallel another
  // test's process may take it first, and then the handler exits saying so. A new port settles it.
  for (let attempt = 1;; attempt++) {
    const started = await launchOnPort(freePort(), dir, opts, opts.denoDir ?? ownDenoDir!);
    if (started !== PORT_TAKEN) {
      return ownDenoDir === undefined ? started : {
        ...started,
        stop: async () => {
          const status = await started.stop();
          await Deno.remove(ownDenoDir, { recursive: true }).catch(() => {});
          return status;
        },
      };
    }
    if (attempt === PORT_ATTEMPTS) {
      if (ownDenoDir) await Deno.remove(ownDenoDir, { recursive: true });
      throw new Error(`the package did not start: ${PORT_ATTEMPTS} free ports were taken first`);
    }
  }
}

const PORT_TAKEN = Symbol("port taken");
const PORT_ATTEMPTS = 5;

async function launchOnPort(
  port: number,
  dir: string,
  opts: StartOptions,
  denoDir: string,
): Promise<RunningPackage | typeof PORT_TAKEN> {
  const launch = await hostLaunch({
    dir,
    port,
    // What the platform and the app settings give the host, and so the handler.
    hostEnv: platformEnv(denoDir, {
      ...(opts.model === undefined ? {} : { FLUXOPS_MODEL: opts.model }),
      ...opts.env,
    }),
  });
  const [wrapper, ...pre] = opts.wrap ?? [];
  const started = performance.now();
  const child = new Deno.Command(wrapper ?? launch.command, {
    args: wrapper === undefined ? launch.args : [...pre, launch.command, ...launch.args],
    cwd: launch.cwd,
    env: launch.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const err: string[] = [];
  const reading = Promise.all([drain(child.stdout, out), drain(child.stderr, err)]);
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then((s) => (exited = s));
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (): Promise<Deno.CommandStatus> => {
    stopped ??= (async () => {
      if (exited === undefined) {
        try {
          child.kill("SIGTERM");
        } catch { /* it exited meanwhile */ }
      }
      const s = await status;
      await reading;
      return s;
    })();
    return stopped;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = started + (opts.timeoutMs ?? WAIT_LIMIT_MS);
  while (true) {
    if (exited !== undefined) {
      await stop();
      if (err.join("").includes(`:${port} is in use`)) return PORT_TAKEN;
      throw new Error(
        `the package exited with code ${exited.code} before answering:\n${err.join("")}`,
      );
    }
    // Only once this handler says it listens: an answer before that came from another process.
    if (out.join("").includes('"msg":"listening"')) {
      try {
        const res = await fetch(`${url}/api/health`);
        await res.body?.cancel();
        return {
          url,
          readyMs: performance.now() - started,
          stdout: () => out.join(""),
          stderr: () => err.join(""),
          stop,
        };
      } catch { /* not answering yet */ }
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(
        `the package did not answer GET /api/health within ${
          opts.timeoutMs ?? WAIT_LIMIT_MS
        } ms; ` +
          `stderr:\n${err.join("")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One entry of a zip's central directory. */
export interface ZipEntry {
  readonly name: string;
  /** "Version made by" host system: 3 is Unix. */
  readonly madeBy: number;
  /** Unix mode from the external attributes (0 if the creator did not set one). */
  readonly mode: number;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly size: number;
  readonly compressedSize: number;
  readonly crc32: number;
}

/** Reads a zip's central directory (no ZIP64). */
export async function readZipEntries(path: string): Promise<ZipEntry[]> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  const readAt = async (offset: number, length: number): Promise<DataView> => {
    const buf = new Uint8Array(length);
    await file.seek(offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < length) {
      const n = await file.read(buf.subarray(got));
      if (n === null) throw new Error(`${path}: ends at ${offset + got}, wanted ${length} bytes`);
      got += n;
    }
    return new DataView(buf.buffer);
  };
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path}: no end of central directory record`);
  const count = tail.getUint16(eocd + 10, true);
  const cdSize = tail.getUint32(eocd + 12, true);
  const cdOffset = tail.getUint32(eocd + 16, true);
  const cd = await readAt(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (cd.getUint32(at, true) !== 0x02014b50) throw new Error(`${path}: bad central header ${i}`);
    const nameLength = cd.getUint16(at + 28, true);
    const extraLength = cd.getUint16(at + 30, true);
    const commentLength = cd.getUint16(at + 32, true);
    entries.push({
      name: decoder.decode(new Uint8Array(cd.buffer, at + 46, nameLength)),
      madeBy: cd.getUint16(at + 4, true) >> 8,
      mode: cd.getUint32(at + 38, true) >>> 16,
      method: cd.getUint16(at + 10, true),
      crc32: cd.getUint32(at + 16, true),
      compressedSize: cd.getUint32(at + 20, true),
      size: cd.getUint32(at + 24, true),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Trains a small model with the trainer CLI into `dir`; returns the model.json path. */
export async function trainModel(dir: string, trees = 10): Promise<string> {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "trainer/main.ts", "--trees", String(trees), "--out", dir],
    cwd: join(import.meta.dirname!, "..", ".."),
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`training failed:\n${new TextDecoder().decode(stderr)}`);
  return join(dir, "model.json");
}
