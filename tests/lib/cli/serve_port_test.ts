import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_PORT, PORT_ENV, servePort } from "../../../lib/cli/serve_port.ts";
import { UsageError } from "../../../lib/errors.ts";
import { serializeModel } from "../../../lib/model/artifact.ts";
import { freePort } from "../../../lib/net/loopback.ts";
import { withTempDir } from "../../support/fixtures.ts";
import { smallModel } from "../../support/models.ts";
import { WAIT_LIMIT_MS } from "../../support/wait.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

const decided: [string, number | undefined, Record<string, string>, number][] = [
  ["--port when both are set", 9001, { [PORT_ENV]: "9002" }, 9001],
  ["--port even when the variable is malformed", 9001, { [PORT_ENV]: "http" }, 9001],
  ["the variable without --port", undefined, { [PORT_ENV]: "9002" }, 9002],
  ["7071 when neither is set", undefined, {}, DEFAULT_PORT],
  ["7071 when the variable is empty", undefined, { [PORT_ENV]: "" }, DEFAULT_PORT],
];
for (const [what, flag, env, port] of decided) {
  Deno.test(`servePort() takes ${what}`, () => {
    assert.equal(servePort(flag, envOf(env)), port);
  });
}

const refused: [string, string][] = [
  ["http", "FUNCTIONS_CUSTOMHANDLER_PORT must be an integer from 1 to 65535, got http"],
  ["0", "FUNCTIONS_CUSTOMHANDLER_PORT must be an integer from 1 to 65535, got 0"],
  ["70000", "FUNCTIONS_CUSTOMHANDLER_PORT must be an integer from 1 to 65535, got 70000"],
];
for (const [text, message] of refused) {
  Deno.test(`servePort() refuses ${PORT_ENV}=${text} naming the variable and the value`, () => {
    assert.throws(
      () => servePort(undefined, envOf({ [PORT_ENV]: text })),
      (err: unknown) => err instanceof UsageError && err.message === message,
    );
  });
}

const ROOT = join(import.meta.dirname!, "..", "..", "..");
/** Every entry point that serves, as a user starts it. */
const ENTRIES = ["function/main.ts", "tasks/start.ts"];

/** Starts `entry` with `args` and `env`; resolves with the port it reports listening on. */
async function listeningPort(
  entry: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, entry), "--hostname", "127.0.0.1", ...args],
    env: { FLUXOPS_THREADS: "1", ...env },
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  let seen = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), WAIT_LIMIT_MS);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${entry} ended before listening: ${seen}${await errText}`);
      seen += value;
      const m = /"msg":"listening".*?"url":"http:\/\/[^:]+:(\d+)"/.exec(seen);
      if (m) {
        const port = Number(m[1]);
        const res = await fetch(`http://127.0.0.1:${port}/api/health`);
        assert.equal(res.status, 200);
        await res.body?.cancel();
        if (entry === "tasks/start.ts") {
          child.kill("SIGTERM");
          await child.status;
          assert.match(await errText, new RegExp(`curl -s http://localhost:${port}/api/health`));
        }
        return port;
      }
    }
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await reader.cancel().catch(() => {});
    await child.status;
    await errText;
  }
}

for (const entry of ENTRIES) {
  Deno.test(`${entry} listens on --port over ${PORT_ENV}, and on ${PORT_ENV} without it`, async () => {
    await withTempDir(async (dir) => {
      const model = join(dir, "model.json");
      await Deno.writeTextFile(model, serializeModel(smallModel().artifact));
      const [flag, env] = [freePort(), freePort()];
      const both = await listeningPort(
        entry,
        ["--model", model, "--port", String(flag)],
        { [PORT_ENV]: String(env) },
        dir,
      );
      assert.equal(both, flag);
      const envOnly = await listeningPort(entry, ["--model", model], {
        [PORT_ENV]: String(env),
      }, dir);
      assert.equal(envOnly, env);
    });
  });

  Deno.test(`${entry} refuses a malformed ${PORT_ENV} with exit 2, naming it`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, entry), "--model", "none.json"],
      env: { [PORT_ENV]: "http" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    assert.equal(
      new TextDecoder().decode(out.stderr).trim(),
      `error: ${PORT_ENV} must be an integer from 1 to 65535, got http`,
    );
  });
}
