/**
 * Starts `function/main.ts` in a subprocess on a free loopback port and stops it.
 * @module
 */
import { join } from "node:path";
import { freePort } from "../../lib/net/loopback.ts";
import { WAIT_LIMIT_MS } from "./wait.ts";

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

/** Starts the function with `args` and waits until it listens (any HTTP answer). */
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
