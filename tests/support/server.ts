/**
 * Starts `function/main.ts` in a subprocess on a free loopback port and stops it.
 * @module
 */
import { join } from "node:path";
import { freePort } from "../../lib/net/loopback.ts";
import { WAIT_LIMIT_MS, waitUntil } from "./wait.ts";

export { freePort };

/** A running function process. */
export interface RunningServer {
  readonly url: string;
  readonly process: Deno.ChildProcess;
  /** Everything the process printed on stdout so far. */
  stdout(): string;
  /** Sends SIGTERM and waits for the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/** The serving threads `function/main.ts` runs for these flags and settings (its `auto` rule). */
function threadsExpected(args: readonly string[], env: Record<string, string>): number {
  const at = args.indexOf("--threads");
  const text = at >= 0 ? args[at + 1] : env.FLUXOPS_THREADS ?? Deno.env.get("FLUXOPS_THREADS");
  if (text === undefined || text === "" || text === "auto") {
    return Deno.build.os === "linux" ? Math.max(1, Math.min(4, navigator.hardwareConcurrency)) : 1;
  }
  return Number(text) || 1;
}

/**
 * Starts the function with `args` and waits until it listens (any HTTP answer) and, when it runs
 * several serving threads, until they are up: the first thread answers before the others start,
 * and until they have, a SIGTERM is lost (function/main.ts adds its signal listeners after).
 */
export async function startServer(
  args: string[],
  env: Record<string, string> = {},
  options: StartServerOptions = {},
): Promise<RunningServer> {
  // freePort's port is free when asked, not when the child binds it: under --parallel another
  // test's child may take it first, and then this one exits saying so. A new port settles that.
  for (let attempt = 1;; attempt++) {
    const started = await spawnOnPort(freePort(), args, env, options.unstableNet ?? true);
    if (started !== PORT_TAKEN) return started;
    if (attempt === PORT_ATTEMPTS) {
      throw new Error(`function did not start: ${PORT_ATTEMPTS} free ports were taken first`);
    }
  }
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Run Deno with `--unstable-net`, which serving threads need; default true. */
  readonly unstableNet?: boolean;
}

const PORT_TAKEN = Symbol("port taken");
const PORT_ATTEMPTS = 5;

async function spawnOnPort(
  port: number,
  args: string[],
  env: Record<string, string>,
  unstableNet: boolean,
): Promise<RunningServer | typeof PORT_TAKEN> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(unstableNet ? ["--unstable-net"] : []),
      join(import.meta.dirname!, "../../function/main.ts"),
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const pumps = [
    process.stdout.pipeTo(new WritableStream({ write: (c) => void (out += dec.decode(c)) })),
    process.stderr.pipeTo(new WritableStream({ write: (c) => void (err += dec.decode(c)) })),
  ];
  let exited = false;
  process.status.then(() => exited = true);
  const url = `http://127.0.0.1:${port}`;
  // A hang guard, not a claim about start-up time: a busy machine may take many seconds.
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    if (exited) {
      await Promise.allSettled(pumps);
      if (err.includes(`:${port} is in use`)) return PORT_TAKEN;
      throw new Error(`function exited before answering: ${err}${out}`);
    }
    // Only once this child says it listens: an answer before that came from another process.
    if (out.includes('"msg":"listening"')) {
      try {
        const res = await fetch(`${url}/v2/health/live`);
        await res.body?.cancel();
        break;
      } catch { /* not answering yet */ }
    }
    if (Date.now() > deadline) {
      process.kill("SIGKILL");
      await process.status;
      await Promise.allSettled(pumps);
      throw new Error(`function did not start: ${err}${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (threadsExpected(args, env) > 1) {
    await waitUntil(
      () => exited || out.includes('"msg":"serving threads"') || out.includes('"threads_asked"'),
      `the serving threads of ${url}`,
      { everyMs: 20 },
    );
  }
  return {
    url,
    process,
    stdout: () => out,
    async stop() {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await process.status;
      await Promise.allSettled(pumps);
      return status;
    },
  };
}
