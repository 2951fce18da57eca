/**
 * Watching Web Worker threads (Linux): Deno names each worker's OS thread `worker-<n>`, so a
 * test can check that the workers a call started have ended, without reaching into the call.
 * @module
 */

/** Thread ids of this process's Web Worker threads; empty where /proc is not available. */
export function workerThreads(): Set<string> {
  const ids = new Set<string>();
  try {
    for (const task of Deno.readDirSync("/proc/self/task")) {
      try {
        const name = Deno.readTextFileSync(`/proc/self/task/${task.name}/comm`).trim();
        if (name.startsWith("worker-")) ids.add(task.name);
      } catch {
        // The thread ended between listing and reading: it is not running.
      }
    }
  } catch {
    // Not Linux: nothing to watch.
  }
  return ids;
}

/**
 * Waits until every worker thread that was not in `before` has exited; throws after `timeoutMs`
 * naming how many remain. (Other tests in this process may start workers too; they end soon.)
 */
import { WAIT_LIMIT_MS } from "./wait.ts";

export async function workersEnded(
  before: Set<string>,
  timeoutMs = WAIT_LIMIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left: string[] = [];
  while (Date.now() < deadline) {
    left = [...workerThreads()].filter((id) => !before.has(id));
    if (left.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${left.length} worker thread(s) still running after ${timeoutMs} ms`);
}
