/**
 * The model store's objects in one Azure Blob Storage container. ETags come from the service;
 * conditional writes map onto Blob Storage's own conditions (`If-None-Match: *` to create,
 * `If-Match` to compare-and-swap), so two writers racing on one ETag cannot both win.
 * @module
 */
import type { ContainerClient } from "@azure/storage-blob";
import { ConflictError, FluxError, InvalidInput, StoreError } from "../errors.ts";
import { azureErrorFacts } from "../net/azure_error.ts";
import { RoleNotEffective, type RoleWaitOptions, waitForRole } from "../net/role_propagation.ts";
import { redactSecrets } from "../secrets/redact.ts";
import type { PutCondition, StorageBackend, StoredObject } from "./backend.ts";

/** Options of {@link BlobBackend}. */
export interface BlobBackendOptions {
  /** The location shown in messages. Default: the container URL without any query string. */
  readonly location?: string;
  /**
   * Longest time one operation may take, all its retries included, in ms. Default 60 000.
   * The SDK's own per-try timeout is only a hint to the server, so a store that accepts
   * connections and never answers would otherwise hang the caller.
   */
  readonly timeoutMs?: number;
  /**
   * How long to wait out a role assignment that has not taken effect yet (403
   * `AuthorizationPermissionMismatch`), and where to say so. Default: up to
   * `FLUXOPS_RBAC_WAIT_SECONDS`, else 5 min, reported on stderr (see `lib/net/role_propagation.ts`).
   */
  readonly roleWait?: RoleWaitOptions;
}

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  html: "text/html; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

/** Validates a key as the file backend does: `/`-separated segments of `A-Za-z0-9._-`. */
function checkKey(key: string): string {
  const ok = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) && key.length <= 1024 &&
    !key.split("/").some((s) => s === "." || s === "..");
  if (!ok) throw new InvalidInput(`store key ${JSON.stringify(key)} is not a safe relative path`);
  return key;
}

/** Azure Blob Storage as a {@link StorageBackend}. */
export class BlobBackend implements StorageBackend {
  /** The container URL (never with a SAS or key). */
  readonly location: string;
  readonly #container: ContainerClient;
  readonly #timeoutMs: number;
  readonly #roleWait: RoleWaitOptions;

  /**
   * Wraps a container client (made by `openBlobBackend`, or by hand with any credential).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AnonymousCredential, ContainerClient } from "@azure/storage-blob";
   * import { StoreError } from "../errors.ts";
   * import { BlobBackend } from "./blob_backend.ts";
   * // On Azure: new ContainerClient("https://acme.blob.core.windows.net/models",
   * // new DefaultAzureCredential()). Here an account nobody listens at: a StoreError on first use.
   * const url = "http://127.0.0.1:9/devstoreaccount1/models";
   * const backend = new BlobBackend(
   *   new ContainerClient(url, new AnonymousCredential(), { retryOptions: { maxTries: 1 } }),
   * );
   * const bytes = new TextEncoder().encode("{}");
   * const put = backend.put("models/v1/model.json", bytes, { ifNoneMatch: "*" });
   * await assert.rejects(put, StoreError);
   * ```
   */
  constructor(container: ContainerClient, options: BlobBackendOptions = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#roleWait = options.roleWait ?? {};
    this.location = options.location ?? container.url.replace(/[?#].*$/s, "");
  }

  /** Creates the container if it does not exist; returns true if it was created. */
  async ensureContainer(): Promise<boolean> {
    try {
      return await this.#call(async (abortSignal) =>
        (await this.#container.createIfNotExists({ abortSignal })).succeeded
      );
    } catch (err) {
      throw this.#failure(err, "creating the container");
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    checkKey(key);
    try {
      return await this.#call(async (abortSignal) => {
        const res = await this.#container.getBlockBlobClient(key).download(0, undefined, {
          abortSignal,
        });
        const chunks: Uint8Array[] = [];
        let size = 0;
        for await (const chunk of res.readableStreamBody ?? []) {
          const bytes: Uint8Array = typeof chunk === "string"
            ? new TextEncoder().encode(chunk)
            : chunk;
          chunks.push(bytes);
          size += bytes.byteLength;
        }
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, at);
          at += chunk.byteLength;
        }
        return { bytes, etag: this.#etagOf(res.etag, key) };
      });
    } catch (err) {
      if (isBlobNotFound(err)) return undefined;
      throw this.#failure(err, `reading "${key}"`);
    }
  }

  async etag(key: string): Promise<string | undefined> {
    checkKey(key);
    try {
      const props = await this.#call((abortSignal) =>
        this.#container.getBlockBlobClient(key).getProperties({ abortSignal })
      );
      return this.#etagOf(props.etag, key);
    } catch (err) {
      if (isBlobNotFound(err)) return undefined;
      throw this.#failure(err, `reading the ETag of "${key}"`);
    }
  }

  async put(key: string, bytes: Uint8Array, condition: PutCondition = {}): Promise<string> {
    checkKey(key);
    const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase() ?? "";
    const conditions = {
      ...(condition.ifNoneMatch !== undefined ? { ifNoneMatch: condition.ifNoneMatch } : {}),
      ...(condition.ifMatch !== undefined ? { ifMatch: condition.ifMatch } : {}),
    };
    try {
      const res = await this.#call((abortSignal) =>
        this.#container.getBlockBlobClient(key).upload(bytes, bytes.byteLength, {
          abortSignal,
          conditions,
          blobHTTPHeaders: { blobContentType: CONTENT_TYPES[ext] ?? "application/octet-stream" },
        })
      );
      return this.#etagOf(res.etag, key);
    } catch (err) {
      const { status, code } = azureErrorFacts(err);
      if (status === 409 && code === "BlobAlreadyExists") {
        throw new ConflictError(`${this.location}: "${key}" already exists`);
      }
      if (status === 412 || (status === 404 && code === "BlobNotFound")) {
        throw new ConflictError(
          condition.ifMatch !== undefined
            ? `${this.location}: "${key}" changed since it was read (ETag mismatch)`
            : `${this.location}: the write condition on "${key}" was not met`,
        );
      }
      throw this.#failure(err, `writing "${key}"`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    let keys: string[] = [];
    try {
      await this.#call(async (abortSignal) => {
        keys = []; // an attempt refused part-way starts again
        const pages = this.#container.listBlobsFlat({ prefix, abortSignal })
          .byPage({ maxPageSize: 5000 });
        for await (const page of pages) {
          for (const item of page.segment.blobItems) keys.push(item.name);
        }
      });
    } catch (err) {
      throw this.#failure(err, `listing "${prefix}"`);
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.#call((abortSignal) =>
        this.#container.getBlockBlobClient(key).deleteIfExists({ abortSignal })
      );
    } catch (err) {
      throw this.#failure(err, `deleting "${key}"`);
    }
  }

  /**
   * Runs `op` (each attempt within the operation timeout), again while the container answers
   * 403 because a role assignment has not taken effect yet.
   */
  #call<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // A SAS that lacks a permission gets the same 403 AuthorizationPermissionMismatch as an
    // identity whose role is not there yet, and no wait will change it: fail at once.
    const wait = credentialKind(this.#container) === "sas"
      ? { ...this.#roleWait, waitMs: 0 }
      : this.#roleWait;
    return waitForRole(() => this.#timed(op), `blob container ${this.location}`, wait);
  }

  /** Runs `op` with a signal that aborts it after the operation timeout. */
  async #timed<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      return await op(controller.signal);
    } catch (err) {
      if (controller.signal.aborted) throw new TimedOut(this.#timeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #etagOf(etag: string | undefined, key: string): string {
    if (!etag) throw new StoreError(`${this.location}: the service sent no ETag for "${key}"`);
    return etag;
  }

  /** A StoreError that says what failed and where, and never carries a credential. */
  #failure(thrown: unknown, doing: string): FluxError {
    if (thrown instanceof FluxError) return thrown;
    const waited = thrown instanceof RoleNotEffective ? thrown : undefined;
    const err = waited ? waited.cause : thrown;
    const facts = azureErrorFacts(err);
    const { name, status, code, message } = facts;
    const at = `blob store ${this.location}`;
    let why: string;
    if (status === 404 && code === "ContainerNotFound") {
      why = "the container does not exist: infra/ creates it (`deno task infra apply --env <env>`)";
    } else if (status === 401 || status === 403) {
      why = `access denied (HTTP ${status}${code ? ` ${code}` : ""}${
        waited ? `, still after waiting ${Math.round(waited.waitedMs / 1000)} s` : ""
      }); ${ACCESS_HINT[hintFor(credentialKind(this.#container), code)]}`;
    } else if (status !== undefined) {
      why = `HTTP ${status}${code ? ` ${code}` : ""}`;
    } else if (facts.network) {
      why = `cannot reach the store (${code})`;
    } else if (facts.tls) {
      why = `the server's TLS certificate is not trusted (${code || message}); for a private ` +
        "CA, start the process with NODE_EXTRA_CA_CERTS";
    } else if (err instanceof TimedOut) {
      why = `no answer within ${err.ms} ms`;
    } else if (name === "AbortError") {
      why = "the request was aborted";
    } else if (facts.credential) {
      why = `could not get an access token (${name}: ${message})`;
    } else {
      why = `${name}: ${message}`;
    }
    return new StoreError(redactSecrets(`${at}: ${doing} failed: ${why}`));
  }
}

/** What to check when the store refuses access, by the kind of credential in use. */
const ACCESS_HINT = {
  sas: "the SAS token must allow read, add, create, write, delete and list (sp=racwdl) on the " +
    "container, and be within its validity period",
  key: "the account key was refused (a wrong or rotated key?)",
  identity: 'the identity needs the "Storage Blob Data Contributor" role on the container',
} as const;

/**
 * The hint for a refusal: by credential, except that Azure never answers an account key with
 * `AuthorizationPermissionMismatch` (only roles and SAS permissions cause it), so with a key it
 * comes from the local stand-in imitating a role that has not taken effect.
 */
function hintFor(
  kind: keyof typeof ACCESS_HINT,
  code: string | undefined,
): keyof typeof ACCESS_HINT {
  return kind === "key" && code === "AuthorizationPermissionMismatch" ? "identity" : kind;
}

/** How a container client authenticates: a SAS in its URL, an account key, or an identity. */
function credentialKind(container: ContainerClient): keyof typeof ACCESS_HINT {
  if (/[?&]sig=/.test(container.url)) return "sas";
  const credential = container.credential as unknown as { accountName?: unknown } | undefined;
  return typeof credential?.accountName === "string" ? "key" : "identity";
}

/** The operation timeout fired (internal: turned into a StoreError). */
class TimedOut extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "TimedOut";
  }
}

function isBlobNotFound(err: unknown): boolean {
  const { status, code } = azureErrorFacts(err);
  return status === 404 && code === "BlobNotFound";
}
