/**
 * The storage primitives the model registry is built on: keyed objects with ETags and
 * conditional writes, as Azure Blob Storage offers them. The file system and Blob Storage each
 * implement this once; the registry's rules (immutable versions, compare-and-swap aliases) are
 * written once on top of it.
 * @module
 */

/** An object read from a backend. */
export interface StoredObject {
  readonly bytes: Uint8Array;
  /** Opaque version tag; changes whenever the object changes. */
  readonly etag: string;
}

/** Conditions on a write. */
export interface PutCondition {
  /** `"*"`: fail with a conflict if the key exists (create only). */
  readonly ifNoneMatch?: "*";
  /** Fail with a conflict unless the object's current ETag is this one. */
  readonly ifMatch?: string;
}

/** Keyed object storage with conditional writes. Keys are `/`-separated relative paths. */
export interface StorageBackend {
  /** A human-readable location, for messages (never a secret). */
  readonly location: string;
  /** Reads an object, or undefined if it does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Reads only an object's ETag, or undefined if it does not exist. */
  etag(key: string): Promise<string | undefined>;
  /**
   * Writes an object atomically (readers see the old or the new content, never a mix) and
   * returns its new ETag. A failed condition throws a `FluxError` with code `conflict`.
   */
  put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<string>;
  /** Lists keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}
