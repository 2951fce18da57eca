/**
 * Opens a {@link BlobBackend} for a parsed store location: `DefaultAzureCredential` (managed
 * identity on Azure, workload identity in CI, a developer's login locally) for container URLs,
 * `AZURE_STORAGE_CONNECTION_STRING` for `azblob://` (Azurite and local runs only).
 * @module
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import {
  BlobServiceClient,
  ContainerClient,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import { InvalidInput } from "../errors.ts";
import { isLoopbackHost } from "../net/loopback.ts";
import type { RoleWaitOptions } from "../net/role_propagation.ts";
import { BlobBackend } from "./blob_backend.ts";
import type { BlobLocation } from "./store_url.ts";

/** How hard to retry a request before reporting the store as unreachable. */
export interface BlobRetryOptions {
  /** Attempts per request, the first included. Default 3. */
  readonly maxTries?: number;
  /** Base delay between attempts, in ms (grows exponentially). Default 500. */
  readonly retryDelayMs?: number;
  /** Longest delay between attempts, in ms. Default 4 000. */
  readonly maxRetryDelayMs?: number;
}

/** Options of {@link openBlobBackend}. */
export interface OpenBlobOptions {
  /** The token credential for container URLs. Default: a new `DefaultAzureCredential`. */
  readonly credential?: TokenCredential;
  /**
   * The connection string for `azblob://` locations. Default: the environment variable
   * `AZURE_STORAGE_CONNECTION_STRING`. Plain-HTTP endpoints in it must be loopback.
   */
  readonly connectionString?: string;
  /** Retry policy. The defaults give up on a store that refuses connections within ~2 s. */
  readonly retry?: BlobRetryOptions;
  /**
   * Longest time one operation may take, retries included, in ms. Default 60 000 (a large
   * model upload takes a while); it also bounds a store that accepts connections and hangs.
   */
  readonly timeoutMs?: number;
  /** Waiting out a new role assignment (403); see {@link BlobBackend}'s `roleWait`. */
  readonly roleWait?: RoleWaitOptions;
}

/**
 * Opens the container named by `location`. No request is sent: a missing container or an
 * unreachable account shows up as a `StoreError` on first use (or from `ensureContainer()`).
 *
 * @throws {InvalidInput} when `azblob://` is used without a connection string, or the
 *   connection string points at a non-loopback host over plain HTTP.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreError } from "../errors.ts";
 * import { openBlobBackend } from "./open_blob_backend.ts";
 * import { type BlobLocation, parseStoreUrl } from "./store_url.ts";
 * // On Azure: parseStoreUrl("https://acme.blob.core.windows.net/models"), with the managed
 * // identity. Here Azurite's well-known account on a port nobody listens at.
 * const backend = openBlobBackend(parseStoreUrl("azblob://models") as BlobLocation, {
 *   connectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
 *     "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" +
 *     "K1SZFPTOtr/KBHBeksoGMGw==;" +
 *     "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
 *   retry: { maxTries: 1 },
 * });
 * await assert.rejects(backend.get("aliases/production.json"), StoreError);
 * ```
 */
export function openBlobBackend(
  location: BlobLocation,
  {
    credential,
    connectionString = Deno.env.get("AZURE_STORAGE_CONNECTION_STRING"),
    retry = {},
    timeoutMs = 60_000,
    roleWait = {},
  }: OpenBlobOptions = {},
): BlobBackend {
  const pipeline: StoragePipelineOptions = {
    retryOptions: {
      maxTries: retry.maxTries ?? 3,
      retryDelayInMs: retry.retryDelayMs ?? 500,
      maxRetryDelayInMs: retry.maxRetryDelayMs ?? 4_000,
    },
  };
  if (location.auth === "default-credential") {
    const client = new ContainerClient(
      location.url,
      credential ?? new DefaultAzureCredential(),
      pipeline,
    );
    return new BlobBackend(client, { location: location.url, timeoutMs, roleWait });
  }
  const where = `azblob://${location.container}`;
  if (!connectionString?.trim()) {
    throw new InvalidInput(
      `store location "${where}" needs AZURE_STORAGE_CONNECTION_STRING (meant for Azurite and ` +
        "local runs; on Azure use https://<account>.blob.core.windows.net/<container>), " +
        "and it is not set",
    );
  }
  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(connectionString, pipeline);
  } catch {
    // The SDK's message may quote the string, key included: say only that it is malformed.
    throw new InvalidInput(
      `store location "${where}": AZURE_STORAGE_CONNECTION_STRING is not a valid storage ` +
        "connection string",
    );
  }
  const endpoint = new URL(service.url);
  if (endpoint.protocol === "http:" && !isLoopbackHost(endpoint.hostname)) {
    throw new InvalidInput(
      `store location "${where}": AZURE_STORAGE_CONNECTION_STRING points at ` +
        `http://${endpoint.host}; plain http is only allowed to a loopback Azurite`,
    );
  }
  const client = service.getContainerClient(location.container);
  return new BlobBackend(client, {
    location: `${endpoint.origin}${endpoint.pathname.replace(/\/$/, "")}/${location.container}`,
    timeoutMs,
    roleWait,
  });
}
