/**
 * The model registry: immutable versions and movable aliases on any {@link StorageBackend}.
 *
 * Layout: `models/<version>/{model.json, metrics.json, report.html, model.sig, meta.json}` and
 * `aliases/<alias>.json`. A version exists once its `model.json` exists: it is written last,
 * create-only, so a publish that dies half-way leaves no visible version, and publishing the same
 * version twice fails. An alias pointer moves by compare-and-swap on its ETag, so of two
 * concurrent promotions exactly one wins, and it only ever names a version that exists.
 * @module
 */
import { ConflictError, InvalidInput, ModelNotFound } from "../errors.ts";
import { parseModel } from "../model/artifact.ts";
import { sha256Hex } from "../model/canonical.ts";
import type { StorageBackend } from "./backend.ts";

/** Files a version may hold, in the order they are published (model.json last). */
export const VERSION_FILES = [
  "metrics.json",
  "report.html",
  "model.sig",
  "meta.json",
  "model.json",
] as const;
export type VersionFile = typeof VERSION_FILES[number];

const VERSION_RE = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const ALIAS_RE = /^[a-z][a-z0-9-]{0,62}$/;

/** A small summary of a version, kept beside it so listing needs no model download. */
export interface VersionMeta {
  readonly version: string;
  readonly created_at: string;
  /** SHA-256 of the model.json bytes. */
  readonly sha256: string;
  readonly accuracy: number | null;
  readonly engine: string;
  readonly signed: boolean;
}

/** One earlier target of an alias. */
export interface AliasTarget {
  readonly version: string;
  readonly sha256: string;
  readonly updated_at: string;
}

/** The content of `aliases/<alias>.json`. */
export interface AliasPointer extends AliasTarget {
  readonly alias: string;
  /** Earlier targets, most recent first. */
  readonly history: readonly AliasTarget[];
}

/** A listed version with the aliases that name it. */
export interface VersionListing extends VersionMeta {
  readonly aliases: readonly string[];
}

/** Checks a version string. */
export function checkVersion(version: string): string {
  if (!VERSION_RE.test(version)) {
    throw new InvalidInput(
      `version ${
        JSON.stringify(version)
      } is not a FluxOps version (like 20261125T183000Z-1a2b3c4d)`,
    );
  }
  return version;
}

/** Checks an alias name. */
export function checkAlias(alias: string): string {
  if (!ALIAS_RE.test(alias)) {
    throw new InvalidInput(
      `alias ${JSON.stringify(alias)}: use lower-case letters, digits and dashes`,
    );
  }
  return alias;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v, null, 2) + "\n");

/** Versions and aliases on a storage backend. */
export class ModelRegistry {
  readonly backend: StorageBackend;

  constructor(backend: StorageBackend) {
    this.backend = backend;
  }

  /** Where the registry lives, for messages. */
  get location(): string {
    return this.backend.location;
  }

  /**
   * Publishes a trained model folder's files. `files` must hold `model.json`; the version comes
   * from it. Fails with a conflict if that version is already published.
   */
  async publish(files: ReadonlyMap<string, Uint8Array>): Promise<VersionMeta> {
    const modelBytes = files.get("model.json");
    if (!modelBytes) throw new InvalidInput("publish: the folder has no model.json");
    const model = parseModel(dec.decode(modelBytes), "model.json"); // verifies format and checksum
    const version = checkVersion(model.artifact.version);
    const prefix = `models/${version}/`;
    if (await this.backend.etag(prefix + "model.json")) {
      throw new ConflictError(
        `version ${version} is already published in ${this.location}; versions are immutable`,
      );
    }
    const accuracy = model.artifact.metrics.accuracy;
    const meta: VersionMeta = {
      version,
      created_at: model.artifact.created_at,
      sha256: sha256Hex(modelBytes),
      accuracy: typeof accuracy === "number" ? accuracy : null,
      engine: model.artifact.engine.name,
      signed: files.has("model.sig"),
    };
    const all = new Map(files);
    all.set("meta.json", json(meta));
    for (const name of VERSION_FILES) {
      const bytes = all.get(name);
      if (!bytes || name === "model.json") continue;
      // The version is not visible until model.json exists, so leftovers of a publish that
      // died half-way are simply replaced.
      await this.backend.put(prefix + name, bytes);
    }
    try {
      await this.backend.put(prefix + "model.json", modelBytes, { ifNoneMatch: "*" });
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new ConflictError(
          `version ${version} is already published in ${this.location}; versions are immutable`,
        );
      }
      throw err;
    }
    return meta;
  }

  /** Whether a version is published (its model.json exists). */
  async exists(version: string): Promise<boolean> {
    return (await this.backend.etag(`models/${checkVersion(version)}/model.json`)) !== undefined;
  }

  /** Published versions, oldest first. */
  async versions(): Promise<string[]> {
    const keys = await this.backend.list("models/");
    return keys
      .filter((k) => k.endsWith("/model.json"))
      .map((k) => k.slice("models/".length, -"/model.json".length))
      .filter((v) => VERSION_RE.test(v))
      .sort();
  }

  /** A version's summary. */
  async meta(version: string): Promise<VersionMeta> {
    checkVersion(version);
    if (!(await this.exists(version))) throw this.#notFound(version);
    const obj = await this.backend.get(`models/${version}/meta.json`);
    if (obj) return JSON.parse(dec.decode(obj.bytes)) as VersionMeta;
    const model = await this.file(version, "model.json");
    const { artifact } = parseModel(dec.decode(model), `${version}/model.json`);
    const accuracy = artifact.metrics.accuracy;
    return {
      version,
      created_at: artifact.created_at,
      sha256: sha256Hex(model),
      accuracy: typeof accuracy === "number" ? accuracy : null,
      engine: artifact.engine.name,
      signed: (await this.backend.etag(`models/${version}/model.sig`)) !== undefined,
    };
  }

  #notFound(version: string): ModelNotFound {
    return new ModelNotFound(`version ${version} is not published in ${this.location}`);
  }

  /** A file of a published version, or undefined if the version lacks it. */
  async file(version: string, name: VersionFile): Promise<Uint8Array>;
  async file(version: string, name: VersionFile, optional: true): Promise<Uint8Array | undefined>;
  async file(
    version: string,
    name: VersionFile,
    optional = false,
  ): Promise<Uint8Array | undefined> {
    const obj = await this.backend.get(`models/${checkVersion(version)}/${name}`);
    if (!obj && !optional) {
      throw name === "model.json"
        ? this.#notFound(version)
        : new ModelNotFound(`version ${version} has no ${name}`);
    }
    return obj?.bytes;
  }

  /** Every version with its summary and the aliases that name it, oldest first. */
  async list(): Promise<VersionListing[]> {
    const [versions, aliases] = await Promise.all([this.versions(), this.aliases()]);
    const names = new Map<string, string[]>();
    for (const a of aliases) names.set(a.version, [...(names.get(a.version) ?? []), a.alias]);
    const listed = await Promise.all(
      versions.map(async (v) => ({ ...(await this.meta(v)), aliases: names.get(v) ?? [] })),
    );
    // Versions of one second sort by their content hash: created_at (milliseconds) orders them.
    return listed.sort((a, b) =>
      a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0
    );
  }

  /** Every alias pointer. */
  async aliases(): Promise<AliasPointer[]> {
    const keys = (await this.backend.list("aliases/")).filter((k) => k.endsWith(".json"));
    const pointers = await Promise.all(keys.map((k) => this.alias(k.slice("aliases/".length, -5))));
    return pointers.flatMap((p) => (p ? [p.pointer] : []));
  }

  /** An alias pointer and its ETag, or undefined when the alias is not set. */
  async alias(alias: string): Promise<{ pointer: AliasPointer; etag: string } | undefined> {
    const obj = await this.backend.get(`aliases/${checkAlias(alias)}.json`);
    if (!obj) return undefined;
    return { pointer: JSON.parse(dec.decode(obj.bytes)) as AliasPointer, etag: obj.etag };
  }

  /** The ETag of an alias pointer: a cheap way to notice that it moved. */
  async aliasEtag(alias: string): Promise<string | undefined> {
    return await this.backend.etag(`aliases/${checkAlias(alias)}.json`);
  }

  async #move(
    alias: string,
    target: AliasTarget,
    history: readonly AliasTarget[],
    etag: string | undefined,
  ) {
    const pointer: AliasPointer = { alias, ...target, history: history.slice(0, 50) };
    try {
      await this.backend.put(
        `aliases/${alias}.json`,
        json(pointer),
        etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag },
      );
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new ConflictError(
          `alias ${alias} was moved by someone else meanwhile (${err.message}); read it again ` +
            "and retry",
          { cause: err },
        );
      }
      throw err;
    }
    return pointer;
  }

  /** Points `alias` at `version`, which must be published. */
  async promote(version: string, alias = "production"): Promise<AliasPointer> {
    checkAlias(alias);
    const meta = await this.meta(version); // throws if the version does not exist
    const current = await this.alias(alias);
    const target = { version, sha256: meta.sha256, updated_at: new Date().toISOString() };
    const history = current
      ? [{
        version: current.pointer.version,
        sha256: current.pointer.sha256,
        updated_at: current.pointer.updated_at,
      }, ...current.pointer.history]
      : [];
    return await this.#move(alias, target, history, current?.etag);
  }

  /** Points `alias` back at the version it named before. */
  async rollback(alias = "production"): Promise<AliasPointer> {
    checkAlias(alias);
    const current = await this.alias(alias);
    if (!current) throw new ModelNotFound(`alias ${alias} is not set in ${this.location}`);
    const [previous, ...older] = current.pointer.history;
    if (!previous) throw new ConflictError(`alias ${alias} has no earlier version to roll back to`);
    if (!(await this.exists(previous.version))) {
      throw new ModelNotFound(
        `alias ${alias}'s previous version ${previous.version} is no longer published`,
      );
    }
    return await this.#move(
      alias,
      { ...previous, updated_at: new Date().toISOString() },
      older,
      current.etag,
    );
  }

  /**
   * Deletes versions that no alias names (now or in its history, so rollbacks keep working),
   * keeping the newest `keep` of them. Returns the versions deleted.
   */
  async prune(keep: number): Promise<string[]> {
    if (!Number.isInteger(keep) || keep < 0) {
      throw new InvalidInput(`keep: expected an integer >= 0, got ${keep}`);
    }
    const protectedVersions = new Set<string>();
    for (const a of await this.aliases()) {
      protectedVersions.add(a.version);
      for (const h of a.history) protectedVersions.add(h.version);
    }
    const candidates = (await this.versions()).filter((v) => !protectedVersions.has(v));
    const doomed = candidates.slice(0, Math.max(0, candidates.length - keep));
    for (const v of doomed) {
      // model.json first: the version disappears at once, then its other files go.
      await this.backend.delete(`models/${v}/model.json`);
      for (const name of VERSION_FILES) {
        if (name !== "model.json") await this.backend.delete(`models/${v}/${name}`);
      }
    }
    return doomed;
  }
}
