/**
 * The local model folder `.fluxops/models/<version>/model.json` as the trainer writes it.
 * Uses node:fs so it also runs on the Azure Functions Node.js worker.
 * @module
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ModelNotFound } from "../errors.ts";

/** Default root of the local model store. */
export const LOCAL_MODELS = join(".fluxops", "models");

/** The newest version's model.json under `root` (versions sort by time). */
export async function latestModelPath(root: string = LOCAL_MODELS): Promise<string> {
  const versions: string[] = [];
  try {
    for (const e of await readdir(root, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith(".")) versions.push(e.name);
    }
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
  versions.sort();
  for (let i = versions.length - 1; i >= 0; i--) {
    const path = join(root, versions[i]!, "model.json");
    try {
      await stat(path);
      return path;
    } catch { /* a folder without a model: keep looking */ }
  }
  throw new ModelNotFound(`no model in ${root}: train one with \`deno task train\``);
}

/** Resolves a model argument: a model.json file, or a folder holding one. */
export async function resolveModelPath(path: string): Promise<string> {
  try {
    if ((await stat(path)).isDirectory()) return join(path, "model.json");
  } catch { /* loading reports the missing file */ }
  return path;
}
