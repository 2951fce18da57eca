/**
 * Data sets in Azure Blob Storage: `azblob://<container>/<path>` (through
 * `AZURE_STORAGE_CONNECTION_STRING`, as the model store does: Azurite, a developer's account) and
 * `https://<account>.blob.core.windows.net/<container>/<path>` (DefaultAzureCredential).
 *
 * A blob is streamed, never held in memory whole: its bytes are hashed as they arrive and spooled
 * to a temporary file, which the CSV reader (two passes: count, then fill typed arrays of the
 * right size) reads like any local file, and which is deleted afterwards. Errors name the URI
 * and the cause: a missing container or blob, no permission, an unreachable account.
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { describeError, InvalidInput, StoreError } from "../errors.ts";
import { azureErrorFacts } from "../net/azure_error.ts";
import { redactSecrets } from "../secrets/redact.ts";
import { openBlobBackend } from "../store/open_blob_backend.ts";
import { type BlobLocation, parseStoreUrl } from "../store/store_url.ts";

/** A data URI that names a blob. */
export interface BlobDataUri {
  /** The URI as given (never with a query string). */
  readonly uri: string;
  /** The container, as the model store addresses one. */
  readonly container: BlobLocation;
  /** The blob's name inside the container. */
  readonly blob: string;
}

/** The Terraform that creates the `data` container, for messages. */
export const DATA_CONTAINER_HINT =
  "infra/ creates it (azurerm_storage_container.data in infra/data.tf: " +
  "`deno task infra apply --env <dev|prod>`)";

const BLOB_NAME = /^[^\\?#]+$/;

/**
 * Whether `uri` names a blob (`azblob://` or an `https://` blob URL), and which. A local path or
 * `file:` URL gives undefined.
 *
 * @throws {InvalidInput} for a blob URI without a blob path, or with a query string.
 * @example
 * ```ts
 * import { parseBlobDataUri } from "./blob_source.ts";
 * parseBlobDataUri("azblob://data/2026/train.csv")?.blob; // "2026/train.csv"
 * parseBlobDataUri("train.csv"); // undefined
 * ```
 */
export function parseBlobDataUri(uri: string): BlobDataUri | undefined {
  const text = uri.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== "azblob" && scheme !== "https") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInput(`data URI "${text}": not a valid URL`);
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new InvalidInput(
      `data URI "${text.replace(/[?#].*$/s, "")}": a query string or credentials are not ` +
        "allowed (grant the identity access, or use azblob:// with a connection string)",
    );
  }
  const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
  let containerUrl: string;
  let rest: string[];
  if (scheme === "azblob") {
    containerUrl = `azblob://${url.host}`;
    rest = parts;
  } else {
    // https://<account>.blob.<suffix>/<container>/<path>, or path-style .../<account>/<container>/<path>
    const virtualHost = /^[a-z0-9]{3,24}\.blob\./.test(url.hostname);
    const take = virtualHost ? 1 : 2;
    containerUrl = `https://${url.host}/${parts.slice(0, take).join("/")}`;
    rest = parts.slice(take);
  }
  const blob = rest.join("/");
  if (blob === "" || !BLOB_NAME.test(blob)) {
    throw new InvalidInput(
      `data URI "${text}": expected ${
        scheme === "azblob"
          ? "azblob://<container>/<path>"
          : "https://<account>.blob.core.windows.net/<container>/<path>"
      }`,
    );
  }
  const container = parseStoreUrl(containerUrl);
  if (container.kind !== "blob") throw new InvalidInput(`data URI "${text}": not a blob URI`);
  return { uri: text, container, blob };
}

/** A blob spooled to a local file, with what it was. */
export interface SpooledBlob {
  /** The temporary file holding the blob's bytes. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly versionId?: string | undefined;
  readonly etag?: string | undefined;
  /** Deletes the temporary file. */
  remove(): Promise<void>;
}

/** The model store's retry policy: an account that refuses connections fails within seconds. */
const PIPELINE = { retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 4_000 } };

function containerClient(loc: BlobLocation): ContainerClient {
  if (loc.auth === "default-credential") {
    return new ContainerClient(loc.url, new DefaultAzureCredential(), PIPELINE);
  }
  // openBlobBackend checks the connection string (set, well-formed, loopback if plain http).
  openBlobBackend(loc);
  const cs = Deno.env.get("AZURE_STORAGE_CONNECTION_STRING")!;
  return BlobServiceClient.fromConnectionString(cs, PIPELINE).getContainerClient(loc.container);
}

/** A StoreError naming the URI and the cause, never a credential. */
function failure(src: BlobDataUri, err: unknown): StoreError {
  const { status, code, name, message, network, credential } = azureErrorFacts(err);
  let why: string;
  if (status === 404 && code === "ContainerNotFound") {
    why =
      `the container "${src.container.container}" does not exist and these credentials do not create it; ${DATA_CONTAINER_HINT}`;
  } else if (status === 404 && code === "BlobNotFound") {
    why = "no such blob";
  } else if (status === 401 || status === 403) {
    why = `access denied (HTTP ${status}${code ? ` ${code}` : ""}); the identity needs the ` +
      `"Storage Blob Data Reader" role on the container`;
  } else if (network) {
    why = `cannot reach the storage account (${code})`;
  } else if (credential) {
    why = `could not get an access token (${name}: ${message})`;
  } else if (status !== undefined) {
    why = `HTTP ${status}${code ? ` ${code}` : ""}`;
  } else {
    why = describeError(err);
  }
  return new StoreError(redactSecrets(`cannot read ${src.uri}: ${why}`));
}

/**
 * Streams a blob into a temporary file in `dir` (default: the system's), hashing it on the way.
 * With a connection string, a missing container is created (first use: Azurite, a developer's
 * account), and the blob is then reported missing.
 *
 * @throws {StoreError} naming the URI: missing container or blob, no permission, unreachable.
 */
export async function spoolBlob(src: BlobDataUri, dir?: string): Promise<SpooledBlob> {
  const client = containerClient(src.container);
  const blob = client.getBlobClient(src.blob);
  let res;
  try {
    res = await blob.download(0);
  } catch (err) {
    const facts = azureErrorFacts(err);
    if (
      facts.status === 404 && facts.code === "ContainerNotFound" &&
      src.container.auth === "connection-string"
    ) {
      // First use with a connection string: make the container, so the next upload can land.
      try {
        await client.createIfNotExists();
      } catch (createErr) {
        throw failure(src, createErr);
      }
      throw new StoreError(
        `cannot read ${src.uri}: no such blob (the container "${src.container.container}" ` +
          "did not exist: it was just created, empty)",
      );
    }
    throw failure(src, err);
  }
  const tmp = await Deno.makeTempDir({ prefix: "fluxops-data-", ...(dir ? { dir } : {}) });
  const path = join(tmp, src.blob.split("/").pop()!.replace(/[^A-Za-z0-9._-]/g, "_"));
  const remove = () => Deno.remove(tmp, { recursive: true }).catch(() => {});
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const file = await Deno.open(path, { write: true, createNew: true });
    try {
      for await (const chunk of res.readableStreamBody ?? []) {
        const part: Uint8Array = typeof chunk === "string"
          ? new TextEncoder().encode(chunk)
          : chunk;
        hash.update(part);
        bytes += part.byteLength;
        for (let at = 0; at < part.byteLength;) at += await file.write(part.subarray(at));
      }
    } finally {
      file.close();
    }
  } catch (err) {
    await remove();
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw err;
    }
    throw failure(src, err);
  }
  return {
    path,
    sha256: hash.digest("hex"),
    bytes,
    versionId: res.versionId,
    etag: res.etag,
    remove,
  };
}
