import assert from "node:assert/strict";
import { join } from "node:path";
import { saveModel } from "../../lib/model/artifact.ts";
import { smallModel } from "../support/models.ts";
import { startServer } from "../support/server.ts";
import { withTempDir } from "../support/fixtures.ts";
import { waitUntil } from "../support/wait.ts";

async function withModelFile(fn: (path: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.json");
    await saveModel(path, smallModel({ nFeatures: 3 }).artifact);
    await fn(path);
  });
}

Deno.test("the server drains a request in flight on SIGTERM before it exits", async () => {
  await withModelFile(async (path) => {
    const server = await startServer(["--model", path]);
    const port = Number(new URL(server.url).port);
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    const body = '{"features":[0.1,0.2,0.3]}';
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    let answer = "";
    const reading = (async () => {
      const buf = new Uint8Array(4096);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        answer += dec.decode(buf.subarray(0, n));
      }
    })();
    // Events, not sleeps: the server sends "100 Continue" when the handler starts reading the
    // body, so the request is in flight; the body is held back until the server says it drains.
    await conn.write(enc.encode(
      "POST /api/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
        `expect: 100-continue\r\ncontent-length: ${body.length}\r\n\r\n`,
    ));
    await waitUntil(() => /^HTTP\/1\.1 100 /.test(answer), "100 Continue");
    server.process.kill("SIGTERM");
    await waitUntil(() => server.stdout().includes('"msg":"draining"'), "the draining log line");
    await conn.write(enc.encode(body));
    await reading;
    conn.close();
    const final = answer.slice(answer.indexOf("\r\n\r\n") + 4);
    assert.match(final, /^HTTP\/1\.1 200 /);
    assert.match(final, /"prediction"/);
    const status = await server.stop();
    assert.equal(status.code, 0);
    const lines = server.stdout().trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.msg === "draining" && l.signal === "SIGTERM"));
    assert.equal(lines.at(-1).msg, "stopped");
  });
});

Deno.test("the server starts unhealthy with a reason when its model is corrupt", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.json");
    await Deno.writeTextFile(path, '{"format":"fluxops.model/v1","sha256":"00"}');
    const server = await startServer([], { FLUXOPS_MODEL: path });
    try {
      const res = await fetch(`${server.url}/api/health`);
      assert.equal(res.status, 503);
      assert.match((await res.json()).reason, /checksum mismatch/);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("the server takes its port from FUNCTIONS_CUSTOMHANDLER_PORT and refuses a bad one", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../function/main.ts")],
    env: { FUNCTIONS_CUSTOMHANDLER_PORT: "http" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /^error: FUNCTIONS_CUSTOMHANDLER_PORT must be an integer from 1 to 65535, got http$/m,
  );
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../function/main.ts"), "--help"],
    stdout: "piped",
  }).output();
  assert.match(new TextDecoder().decode(help.stdout), /--model PATH/);
});

Deno.test("the server refuses a drift window setting that is not a whole number of rows", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../function/main.ts"), "--port", "1"],
    env: { FLUXOPS_DRIFT_WINDOW: "1k" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /FLUXOPS_DRIFT_WINDOW: expected a whole number of rows, got "1k"/,
  );
});
