/**
 * Runs a Deno script of this repository as a step of a deploy does: its stderr is passed through
 * (progress), its stdout returned or passed through, and a failure is a {@link ScriptFailed}
 * carrying everything it printed on stderr (the stale-plan check reads it).
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../build_function.ts";

/** A script of this repository failed; `stderr` is everything it printed there. */
export class ScriptFailed extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.name = "ScriptFailed";
    this.stderr = stderr;
  }
}

/** Options of {@link runDeno}. */
export interface RunDenoOptions {
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** Return stdout instead of copying it to stderr. */
  readonly capture?: boolean;
}

/**
 * Runs `deno run --allow-all SCRIPT ARGS` from the repository root; its stdout is returned
 * (`capture`), or copied to stderr.
 * @throws {ScriptFailed} when it exits non-zero, naming the script and its last stderr line.
 */
export async function runDeno(
  script: string,
  args: string[],
  { env = {}, capture = false }: RunDenoOptions = {},
): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", join(ROOT, script), ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const dec = new TextDecoder();
  await Promise.all([
    (async () => {
      for await (const chunk of child.stdout) {
        if (capture) out.push(chunk);
        else await Deno.stderr.write(chunk);
      }
    })(),
    (async () => {
      for await (const chunk of child.stderr) {
        err.push(dec.decode(chunk, { stream: true }));
        await Deno.stderr.write(chunk);
      }
    })(),
  ]);
  const status = await child.status;
  if (!status.success) {
    const all = err.join("");
    const last = all.trim().split("\n").filter(Boolean).at(-1) ?? "";
    throw new ScriptFailed(
      `${script} ${args[0] ?? ""} exited with ${status.code}${last ? `: ${last}` : ""}`,
      all,
    );
  }
  return new TextDecoder().decode(concat(out));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
