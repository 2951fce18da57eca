/**
 * The file-system storage backend: objects are files under a root folder, ETags are content
 * hashes, create-only writes use hard links (which fail if the name exists) and compare-and-swap
 * writes hold a lock file, so the registry's guarantees hold on a shared disk too. Every write
 * goes to a temporary file first; listing removes those a killed writer left, once stale.
 * @module
 */
import {
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { ConflictError, InvalidInput, StoreError } from "../errors.ts";
import { sha256Hex } from "../model/canonical.ts";
import type { PutCondition, StorageBackend, StoredObject } from "./backend.ts";

/** A lock older than this is taken to be left by a crashed writer. */
const STALE_LOCK_MS = 30_000;
/** A temporary file older than this was left by a writer that died (kill -9, power loss). */
export const STALE_TEMP_MS = 15 * 60_000;
const TEMP_RE = /^\.[0-9a-f-]{36}\.tmp$/;

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

function storeError(what: string, err: unknown): StoreError {
  const reason: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "the file system is read-only",
    ENOSPC: "no space left on the device",
    EDQUOT: "disk quota exceeded",
  };
  const c = code(err);
  return new StoreError(`${what}: ${(c && reason[c]) ?? (err as Error).message}`, { cause: err });
}

/** This machine's name, or "" when the process may not ask (no --allow-sys). */
function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "";
  }
}

/** Whether a process with this id runs on this machine; undefined when it cannot be known. */
async function processAlive(pid: number): Promise<boolean | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  return await stat(`/proc/${pid}`).then(() => true, (err) => {
    return code(err) === "ENOENT" ? false : undefined;
  });
}

/**
 * Whether a lock was left by a writer that died: its process is gone from this machine (a
 * kill -9 mid-write), or it is older than STALE_LOCK_MS (a writer on another machine).
 */
async function orphaned(lock: string, held: string): Promise<boolean> {
  const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
  if (age > STALE_LOCK_MS) return true;
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(held);
  } catch {
    return false; // being written right now, or an older FluxOps' empty lock: wait for the age
  }
  const host = hostname();
  if (host === "" || owner.host !== host || typeof owner.pid !== "number") return false;
  return (await processAlive(owner.pid)) === false;
}

const tag = (bytes: Uint8Array) => `"${sha256Hex(bytes).slice(0, 32)}"`;

/** Objects as files under `root`. */
export class FsBackend implements StorageBackend {
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.location = root;
  }

  #path(key: string): string {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split("/").includes("..")) {
      throw new InvalidInput(`store key ${JSON.stringify(key)} is not a safe relative path`);
    }
    return join(this.#root, ...key.split("/"));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.#path(key);
    try {
      const bytes = new Uint8Array(await readFile(path));
      return { bytes, etag: tag(bytes) };
    } catch (err) {
      if (code(err) === "ENOENT") return undefined;
      throw storeError(`cannot read ${path}`, err);
    }
  }

  async etag(key: string): Promise<string | undefined> {
    return (await this.get(key))?.etag;
  }

  async put(key: string, bytes: Uint8Array, condition: PutCondition = {}): Promise<string> {
    const path = this.#path(key);
    const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, bytes);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw storeError(`cannot write ${path}`, err);
    }
    try {
      if (condition.ifNoneMatch === "*") {
        try {
          await link(tmp, path); // fails with EEXIST if the name is taken: create-only, atomic
        } catch (err) {
          if (code(err) === "EEXIST") throw new ConflictError(`${key} already exists`);
          throw storeError(`cannot write ${path}`, err);
        }
      } else if (condition.ifMatch !== undefined) {
        await this.#withLock(path, async () => {
          const current = await this.etag(key);
          if (current !== condition.ifMatch) {
            throw new ConflictError(
              `${key} changed since it was read (ETag ${
                current ?? "none"
              }, expected ${condition.ifMatch})`,
            );
          }
          await rename(tmp, path);
        });
      } else {
        await rename(tmp, path);
      }
      return tag(bytes);
    } catch (err) {
      if (err instanceof ConflictError || err instanceof StoreError) throw err;
      throw storeError(`cannot write ${path}`, err);
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async #withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const lock = `${path}.lock`;
    const deadline = Date.now() + 10_000;
    const mine = JSON.stringify({ pid: Deno.pid, host: hostname(), nonce: crypto.randomUUID() });
    // The lock appears with its owner already in it (written aside, then linked into place): a
    // writer killed between creating an empty lock and filling it would leave one that nobody
    // can tell is orphaned, blocking the alias for STALE_LOCK_MS. A killed writer leaves at
    // most a temporary file, which list() sweeps.
    const tmp = join(dirname(lock), `.${crypto.randomUUID()}.tmp`);
    try {
      await writeFile(tmp, mine);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw storeError(`cannot lock ${path}`, err);
    }
    for (;;) {
      try {
        await link(tmp, lock); // fails with EEXIST while another writer holds it
        await unlink(tmp).catch(() => {});
        break;
      } catch (err) {
        if (code(err) !== "EEXIST") {
          await unlink(tmp).catch(() => {});
          throw storeError(`cannot lock ${path}`, err);
        }
        const held = await readFile(lock, "utf8").catch(() => undefined);
        if (held !== undefined && await orphaned(lock, held)) {
          // Re-read just before breaking it: a new holder's lock has another nonce.
          if ((await readFile(lock, "utf8").catch(() => undefined)) === held) {
            await unlink(lock).catch(() => {});
          }
          continue;
        }
        if (Date.now() > deadline) {
          await unlink(tmp).catch(() => {});
          throw new ConflictError(`${path} is locked by another writer (${lock})`);
        }
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }

  /**
   * Lists keys; on the way it removes stale temporary files, which a writer killed part-way
   * through a write leaves behind (never listed, but as large as what it was writing).
   */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const now = Date.now();
    const sweep = async (full: string) => {
      const age = await stat(full).then((s) => now - s.mtimeMs, () => 0);
      if (age > STALE_TEMP_MS) await unlink(full).catch(() => {});
    };
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (code(err) === "ENOENT") return;
        throw storeError(`cannot list ${dir}`, err);
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (TEMP_RE.test(e.name)) await sweep(full);
        if (e.name.startsWith(".") || e.name.endsWith(".lock")) continue;
        if (e.isDirectory()) await walk(full);
        else keys.push(relative(this.#root, full).split(sep).join("/"));
      }
    };
    await walk(this.#root);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await rm(path, { force: true });
    } catch (err) {
      throw storeError(`cannot delete ${path}`, err);
    }
    // Remove the folder too once it is empty, so deleted versions leave nothing behind.
    await rmdir(dirname(path)).catch(() => {});
  }
}
