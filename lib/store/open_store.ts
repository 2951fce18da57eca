/**
 * Opens the model registry named by `--store` or `FLUXOPS_STORE`: a path or `file:` URL is the
 * file store; an `https://` Blob container URL uses `DefaultAzureCredential`; `azblob://<container>`
 * uses `AZURE_STORAGE_CONNECTION_STRING` (Azurite and local runs only).
 * @module
 */
import { FsBackend } from "./fs_backend.ts";
import { ModelRegistry } from "./registry.ts";
import { parseStoreUrl } from "./store_url.ts";

/** The local store's root: versions land in `.fluxops/models/<version>/`. */
export const DEFAULT_STORE = ".fluxops";

/** The store location from an explicit value, else FLUXOPS_STORE, else the local default. */
export function storeLocation(given?: string): string {
  return given ?? Deno.env.get("FLUXOPS_STORE") ?? DEFAULT_STORE;
}

/** Options of {@link openRegistry}. */
export interface OpenRegistryOptions {
  /**
   * First use: create a missing Blob container when the location uses a connection string
   * (Azurite, a developer's account). The CLIs ask for it; a server, which must wait for a store
   * that is down rather than fail, does not. Containers reached with an identity belong to infra/.
   */
  readonly createContainer?: boolean;
}

/** Opens a registry at `location` (see {@link storeLocation}). */
export async function openRegistry(
  location: string = storeLocation(),
  { createContainer = false }: OpenRegistryOptions = {},
): Promise<ModelRegistry> {
  const parsed = parseStoreUrl(location);
  if (parsed.kind === "file") return new ModelRegistry(new FsBackend(parsed.path));
  // Loaded only when needed: the Azure SDK adds ~250 ms to a cold start.
  const { openBlobBackend } = await import("./open_blob_backend.ts");
  const backend = openBlobBackend(parsed);
  if (createContainer && parsed.auth === "connection-string") await backend.ensureContainer();
  return new ModelRegistry(backend);
}
