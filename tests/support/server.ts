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
): Promise<RunningServer> {
  const port = freePort();
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
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
  const url = `http://127.0.0.1:${port}`;
  // A hang guard, not a claim about start-up time: a busy machine may take many seconds.
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/health/live`);
      await res.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        process.kill("SIGKILL");
        await process.status;
        await Promise.allSettled(pumps);
        throw new Error(`function did not start: ${err}${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (threadsExpected(args, env) > 1) {
    let exited = false;
    process.status.then(() => exited = true);
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
