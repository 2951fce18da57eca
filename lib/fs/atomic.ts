/**
 * Atomic file writes: content goes to a temporary file beside the target, then is renamed over
 * it, so a reader sees the old file or the new one and never half of one.
 * @module
 */
import { dirname, join } from "node:path";

/** Writes `data` to `path` atomically, creating the parent folder if needed. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
