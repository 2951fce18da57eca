/**
 * Keeps the served model in step with the registry: loads the version an alias names (or a
 * pinned version), polls the alias pointer's ETag, and swaps in a new model only after it has
 * loaded and verified. While the store is unreachable at start-up it retries with backoff; if
 * the store goes away later, the current model keeps serving.
 * @module
 */
import { describeError } from "../../lib/errors.ts";
import { type LoadedModel, parseModel } from "../../lib/model/artifact.ts";
import type { ModelRegistry } from "../../lib/store/registry.ts";
import type { ModelHolder } from "./model_holder.ts";

/** Checks a model's bytes and signature before it may be served; throws to refuse it. */
export type ModelVerifier = (
  modelBytes: Uint8Array,
  sigBytes: Uint8Array | undefined,
  version: string,
) => void | Promise<void>;

/** Options of {@link RegistryFollower}. */
export interface FollowerOptions {
  readonly registry: ModelRegistry;
  readonly holder: ModelHolder;
  /** The alias to follow (default production). Ignored when `version` is set. */
  readonly alias?: string;
  /** A pinned version: load it once and never poll. */
  readonly version?: string | undefined;
  /** Serve the newest version when the alias is not set (the implicit local store only). */
  readonly newestIfNoAlias?: boolean;
  /** Seconds between alias polls (default 30). */
  readonly pollSeconds?: number;
  /** Longest wait between start-up retries, in seconds (default 30). */
  readonly maxBackoffSeconds?: number;
  /** Extra checks, e.g. the signature; throw to refuse the model. */
  readonly verify?: ModelVerifier;
  /** Structured log lines. */
  readonly log?: (
    level: "info" | "warn" | "error",
    msg: string,
    fields?: Record<string, unknown>,
  ) => void;
}

/** The store's state as health checks report it. */
export interface StoreState {
  readonly location: string;
  readonly alias: string | null;
  readonly pinned_version: string | null;
  readonly reachable: boolean;
  readonly last_error: string | null;
  readonly last_checked: string | null;
}

/** Follows an alias (or a pinned version) in a registry and feeds a ModelHolder. */
export class RegistryFollower {
  readonly #o: Required<Omit<FollowerOptions, "version">> & { version: string | undefined };
  #etag: string | undefined;
  #reachable = false;
  #lastError: string | null = null;
  #lastChecked: Date | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #polling: Promise<void> | undefined;

  constructor(options: FollowerOptions) {
    this.#o = {
      alias: "production",
      newestIfNoAlias: false,
      pollSeconds: 30,
      maxBackoffSeconds: 30,
      verify: () => {},
      log: () => {},
      ...options,
      version: options.version,
    };
  }

  /** The store's state, for /api/health and /api/model-info. */
  state(): StoreState {
    return {
      location: this.#o.registry.location,
      alias: this.#o.version ? null : this.#o.alias,
      pinned_version: this.#o.version ?? null,
      reachable: this.#reachable,
      last_error: this.#lastError,
      last_checked: this.#lastChecked?.toISOString() ?? null,
    };
  }

  #failed(err: unknown, what: string): void {
    this.#lastError = describeError(err);
    const { holder, log } = this.#o;
    holder.fail(`${what}: ${this.#lastError}`);
    log(holder.served ? "warn" : "error", `${what} failed`, {
      alias: this.#o.version ? null : this.#o.alias,
      error: this.#lastError,
      serving: holder.served?.model.artifact.version ?? null,
    });
  }

  /** Loads, verifies and returns a version's model. */
  async #fetch(version: string): Promise<LoadedModel> {
    const { registry, verify } = this.#o;
    const [bytes, sig] = await Promise.all([
      registry.file(version, "model.json"),
      registry.file(version, "model.sig", true),
    ]);
    await verify(bytes, sig, version);
    const model = parseModel(new TextDecoder().decode(bytes), `${version}/model.json`);
    if (model.artifact.version !== version) {
      throw new Error(`${version}/model.json holds version ${model.artifact.version}`);
    }
    return model;
  }

  /** Checks the alias once; loads a new target if it moved. Never throws. */
  async check(): Promise<void> {
    const { registry, holder, alias, log } = this.#o;
    this.#lastChecked = new Date();
    try {
      let target: string | undefined = this.#o.version;
      if (!target) {
        const etag = await registry.aliasEtag(alias);
        this.#reachable = true;
        if (etag !== undefined && etag === this.#etag && holder.served) return;
        if (etag === undefined) {
          if (!this.#o.newestIfNoAlias) {
            throw new Error(`alias ${alias} is not set in ${registry.location}`);
          }
          target = (await registry.versions()).at(-1);
          if (!target) {
            throw new Error(`no model in ${registry.location}: train one with \`deno task train\``);
          }
        } else {
          const pointer = await registry.alias(alias);
          target = pointer?.pointer.version;
          if (!target) return; // removed between the two reads; the next poll sees it
        }
        if (holder.served?.model.artifact.version === target) {
          this.#etag = etag;
          return;
        }
        const model = await this.#fetch(target);
        holder.set(model);
        this.#etag = etag;
      } else if (!holder.served) {
        holder.set(await this.#fetch(target));
      }
      this.#reachable = true;
      this.#lastError = null;
      log("info", "model loaded", {
        model_version: holder.served!.model.artifact.version,
        alias: this.#o.version ? null : alias,
      });
    } catch (err) {
      if ((err as { code?: string }).code === "store_error") this.#reachable = false;
      this.#failed(err, `loading from ${registry.location}`);
    }
  }

  /**
   * Loads the first model, retrying with backoff (1 s, 2 s, 4 s, ... up to the maximum) until one
   * loads or {@link stop} is called, then polls the alias. Resolves once polling has started.
   */
  async start(): Promise<void> {
    let wait = 1;
    await this.check();
    while (!this.#o.holder.served && !this.#stopped) {
      this.#o.log("info", "retrying model load", { in_s: wait });
      await this.#sleep(wait * 1000);
      await this.check();
      wait = Math.min(wait * 2, this.#o.maxBackoffSeconds);
    }
    if (!this.#o.version && !this.#stopped) this.#schedule();
  }

  #sleeps = new Set<() => void>();
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(id);
        this.#sleeps.delete(done);
        resolve();
      };
      const id = setTimeout(done, ms);
      this.#sleeps.add(done);
    });
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#polling = this.check().finally(() => {
        this.#polling = undefined;
        if (!this.#stopped) this.#schedule();
      });
    }, this.#o.pollSeconds * 1000);
  }

  /** Stops polling and retrying; resolves when no check is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const wake of [...this.#sleeps]) wake();
    await this.#polling;
  }
}
