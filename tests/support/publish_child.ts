/**
 * The process the publish-crash test kills with SIGKILL: it publishes a model folder to a
 * registry and promotes it, as `deno task model publish DIR --promote ALIAS` does, announcing
 * every write on stdout (`step <n> <key>`) before it makes it. With `--pause` it also waits for a
 * line on stdin before each write, so the test can kill it exactly between two writes.
 *
 * ```sh
 * deno run -A tests/support/publish_child.ts --store DIR|azblob://C --dir MODEL_DIR \
 *   --alias production [--pause]
 * ```
 *
 * stdout: `ready`, then `step <n> <key>` per write, then `done <version>`. Exit 0, or 3 on a
 * conflict (the version is already published), 1 otherwise.
 * @module
 */
import { parseArgs } from "node:util";
import { ConflictError, describeError } from "../../lib/errors.ts";
import type { PutCondition, StorageBackend, StoredObject } from "../../lib/store/backend.ts";
import { openRegistry } from "../../lib/store/open_store.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { readModelDir } from "../../tasks/model.ts";

const enc = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

/** Lines from stdin, one at a time. */
function stdinLines(): () => Promise<string | undefined> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return async () => {
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return line;
      }
      const { done, value } = await reader.read();
      if (done) return undefined;
      buffered += value;
    }
  };
}

/** A backend that announces each write (and waits for a go-ahead with `pause`). */
class AnnouncingBackend implements StorageBackend {
  #step = 0;
  constructor(
    readonly inner: StorageBackend,
    readonly before: (step: number, key: string) => Promise<void>,
  ) {}
  get location(): string {
    return this.inner.location;
  }
  get(key: string): Promise<StoredObject | undefined> {
    return this.inner.get(key);
  }
  etag(key: string): Promise<string | undefined> {
    return this.inner.etag(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<string> {
    await this.before(this.#step++, key);
    return await this.inner.put(key, bytes, condition);
  }
  async delete(key: string): Promise<void> {
    await this.before(this.#step++, key);
    return await this.inner.delete(key);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      store: { type: "string" },
      dir: { type: "string" },
      alias: { type: "string", default: "production" },
      pause: { type: "boolean", default: false },
    },
  });
  if (!values.store || !values.dir) throw new Error("--store and --dir are required");
  const next = values.pause ? stdinLines() : undefined;
  const opened = await openRegistry(values.store);
  const registry = new ModelRegistry(
    new AnnouncingBackend(opened.backend, async (step, key) => {
      say(`step ${step} ${key}`);
      if (next && (await next()) === undefined) throw new Error("stdin closed");
    }),
  );
  const files = await readModelDir(values.dir);
  say("ready");
  try {
    const meta = await registry.publish(files);
    await registry.promote(meta.version, values.alias);
    say(`done ${meta.version}`);
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return err instanceof ConflictError ? 3 : 1;
  }
}

if (import.meta.main) Deno.exit(await main());
