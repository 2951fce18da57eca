/**
 * A model registry in an Azurite container, as the function tests that follow Blob Storage open it.
 * @module
 */
import { openBlobBackend, type OpenBlobOptions } from "../../lib/store/open_blob_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";

/**
 * The registry in the `models` container of the Azurite at `connectionString`, the container
 * created if missing; `options` as {@link openBlobBackend} takes them (retries, time-out).
 */
export async function azuriteRegistry(
  connectionString: string,
  options: Omit<OpenBlobOptions, "connectionString"> = {},
): Promise<ModelRegistry> {
  const backend = openBlobBackend(
    { kind: "blob", auth: "connection-string", container: "models" },
    { ...options, connectionString },
  );
  await backend.ensureContainer();
  return new ModelRegistry(backend);
}
