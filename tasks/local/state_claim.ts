/**
 * One local environment, one deploy at a time: a deploy claims its state folder with an owner
 * file, refuses a folder that a live deploy holds, and cleans up after one that was killed.
 *
 * A deploy killed with SIGKILL (a CI job cancelled or timed out, a laptop closed) cannot stop
 * its children: Azurite and the app keep running. A second Azurite on the same data folder would
 * lose writes to the first's periodic save, and the old app would keep its port. So before the
 * next deploy starts anything, the processes the dead owner left (found by the state folder's
 * path in their command line: Azurite's `--location`, the app's binary under `run/`) are stopped,
 * SIGTERM first (Azurite then saves its data), SIGKILL after 5 s.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/fs/atomic.ts";

/** The owner file's content. */
interface Owner {
  readonly pid: number;
  readonly started_at: string;
}

/** A held claim. */
export interface StateClaim {
  /** The processes a killed deploy had left running, now stopped. */
  readonly stopped: readonly { pid: number; command: string }[];
  /** Removes the owner file. */
  release(): Promise<void>;
}

/** Another live deploy holds the state folder. */
export class StateBusy extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateBusy";
  }
}

interface Proc {
  readonly pid: number;
  /** Arguments joined with spaces. */
  readonly command: string;
}

/** Every process with its command line (/proc on Linux, `ps` elsewhere). */
async function processes(): Promise<Proc[]> {
  const procs: Proc[] = [];
  try {
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const raw = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
        if (raw) {
          procs.push({
            pid: Number(e.name),
            command: raw.replace(/\0+$/, "").split("\0").join(" "),
          });
        }
      } catch { /* exited meanwhile, or not ours to read */ }
    }
    return procs;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const out = await new Deno.Command("ps", { args: ["-axww", "-o", "pid=,command="] }).output();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m) procs.push({ pid: Number(m[1]), command: m[2]! });
  }
  return procs;
}

function alive(pid: number, procs: readonly Proc[]): Proc | undefined {
  return procs.find((p) => p.pid === pid);
}

async function stopAll(pids: readonly number[]): Promise<void> {
  const signal = (pid: number, sig: Deno.Signal) => {
    try {
      Deno.kill(pid, sig);
    } catch { /* exited already */ }
  };
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + 5_000;
  for (;;) {
    const procs = await processes();
    const left = pids.filter((pid) => alive(pid, procs));
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      for (const pid of left) signal(pid, "SIGKILL");
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Claims `stateDir` for this process.
 * @throws {StateBusy} when a live deploy holds it.
 */
export async function claimStateDir(stateDir: string): Promise<StateClaim> {
  const file = join(stateDir, "owner.json");
  let previous: Owner | undefined;
  try {
    previous = JSON.parse(await Deno.readTextFile(file)) as Owner;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound) && !(err instanceof SyntaxError)) throw err;
  }
  const procs = await processes();
  if (previous && previous.pid !== Deno.pid) {
    const owner = alive(previous.pid, procs);
    if (owner && /deploy/.test(owner.command)) {
      throw new StateBusy(
        `${stateDir} is in use by another deploy (pid ${previous.pid}, started ` +
          `${previous.started_at}); wait for it, or give this one another --state-dir`,
      );
    }
  }
  const dir = stateDir.replace(/\/+$/, "");
  const left = procs.filter((p) =>
    p.pid !== Deno.pid &&
    (p.command.includes(`--location ${dir}/azurite`) || p.command.startsWith(`${dir}/run/`))
  );
  await stopAll(left.map((p) => p.pid));
  const owner: Owner = { pid: Deno.pid, started_at: new Date().toISOString() };
  await writeFileAtomic(file, JSON.stringify(owner) + "\n");
  return {
    stopped: left.map((p) => ({ pid: p.pid, command: p.command.slice(0, 200) })),
    async release() {
      try {
        const now = JSON.parse(await Deno.readTextFile(file)) as Owner;
        if (now.pid === Deno.pid) await Deno.remove(file);
      } catch { /* gone already */ }
    },
  };
}
