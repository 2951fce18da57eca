import assert from "node:assert/strict";
import { join } from "node:path";
import { claimStateDir, StateBusy } from "../../../tasks/local/state_claim.ts";
import { waitUntil } from "../../support/wait.ts";

/** Whether `pid` runs its own program yet (spawned, then exec'd: its command line is `idle`'s). */
async function execd(pid: number): Promise<boolean> {
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  return cmdline.includes("setTimeout");
}

/** A process that waits a minute, started as `argv0` with `args`. */
function idle(argv0: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(argv0, {
    args: ["eval", "setTimeout(() => {}, 60_000)", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("claimStateDir() refuses a state folder a live deploy holds, and takes it once that deploy is gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-claim-" });
  const other = idle(Deno.execPath(), ["tasks/deploy.ts"]);
  try {
    await Deno.writeTextFile(
      join(dir, "owner.json"),
      JSON.stringify({ pid: other.pid, started_at: "2026-12-02T16:00:00.000Z" }),
    );
    await assert.rejects(() => claimStateDir(dir), (err) => {
      assert.ok(err instanceof StateBusy);
      assert.match(err.message, new RegExp(`in use by another deploy \\(pid ${other.pid}, `));
      return true;
    });
    other.kill("SIGKILL");
    await other.status;
    const claim = await claimStateDir(dir);
    assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "owner.json"))).pid, Deno.pid);
    await claim.release();
    await assert.rejects(() => Deno.stat(join(dir, "owner.json")), Deno.errors.NotFound);
  } finally {
    try {
      other.kill("SIGKILL");
    } catch { /* ended */ }
    await other.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("claimStateDir() stops what a killed deploy left running in the folder, and nothing else", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-claim-" });
  await Deno.mkdir(join(dir, "run", "wwwroot-1", "bin"), { recursive: true });
  const appBin = join(dir, "run", "wwwroot-1", "bin", "deno");
  await Deno.symlink(Deno.execPath(), appBin);
  // What a deploy SIGKILLed mid-way leaves: its app, and Azurite on the folder's data.
  const app = idle(appBin, []);
  const azurite = idle(Deno.execPath(), ["--location", join(dir, "azurite")]);
  // Not the environment's: another folder's Azurite.
  const stranger = idle(Deno.execPath(), ["--location", `${dir}-other/azurite`]);
  try {
    // Let them exec (an event; a fixed pause may be too short on a busy machine).
    for (const p of [app, azurite, stranger]) await waitUntil(() => execd(p.pid), `${p.pid} exec`);
    await Deno.writeTextFile(
      join(dir, "owner.json"),
      JSON.stringify({ pid: 2 ** 22 + 1, started_at: "2026-12-02T16:00:00.000Z" }),
    );
    const claim = await claimStateDir(dir);
    assert.deepEqual(claim.stopped.map((p) => p.pid).sort(), [app.pid, azurite.pid].sort());
    assert.equal((await app.status).signal, "SIGTERM");
    assert.equal((await azurite.status).signal, "SIGTERM");
    assert.equal(
      await Promise.race([stranger.status.then(() => "ended"), Promise.resolve("running")]),
      "running",
    );
    await claim.release();
  } finally {
    for (const p of [app, azurite, stranger]) {
      try {
        p.kill("SIGKILL");
      } catch { /* ended */ }
      await p.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
