/**
 * Reading a training or evaluation data set together with its lineage record: the data set,
 * and the URI, SHA-256, shape (and, from Blob Storage, version id and ETag) of what was read.
 * A URI is a local path, `azblob://<container>/<path>` or an `https://` blob URL.
 * @module
 */
import { DataError, FluxError } from "../errors.ts";
import { readDataset, type ReadDatasetOptions } from "./csv.ts";
import type { Dataset } from "./dataset.ts";
import { type DataRecord, dataRecord, fileSha256 } from "./lineage.ts";

/** A data set and the record of where it came from. */
export interface SourcedDataset {
  readonly dataset: Dataset;
  readonly record: DataRecord;
}

/** A data URI made readable as a local file for the length of one call. */
export interface LocalData {
  /** The local file to read. */
  readonly path: string;
  /** SHA-256 of the bytes, when already known (a blob is hashed as it streams). */
  readonly sha256?: string | undefined;
  readonly versionId?: string | undefined;
  readonly etag?: string | undefined;
}

/** Whether `uri` names a blob rather than a local file. */
export function isBlobUri(uri: string): boolean {
  return /^(azblob|https):\/\//i.test(uri.trim());
}

/**
 * Runs `fn` with `uri` as a local file: a path as it is; a blob streamed (and hashed) into a
 * temporary file, deleted when `fn` settles. Errors that name the temporary file name the URI.
 *
 * @throws {StoreError} for a blob that cannot be read (exit 4 in the CLIs).
 */
export async function withLocalData<T>(
  uri: string,
  fn: (local: LocalData) => Promise<T>,
): Promise<T> {
  if (!isBlobUri(uri)) return await fn({ path: uri });
  // The Azure SDK is loaded only for blob URIs: it costs ~250 ms at start.
  const { parseBlobDataUri, spoolBlob } = await import("./blob_source.ts");
  const spooled = await spoolBlob(parseBlobDataUri(uri)!);
  try {
    return await fn(spooled);
  } catch (err) {
    if (err instanceof FluxError && err.message.includes(spooled.path)) {
      const message = err.message.replaceAll(spooled.path, uri);
      throw err instanceof DataError ? new DataError(message, { cause: err }) : err;
    }
    throw err;
  } finally {
    await spooled.remove();
  }
}

/**
 * Reads a CSV data set from `uri` and fingerprints the bytes read.
 *
 * @throws {DataError} naming the URI, line and column of the first problem.
 * @throws {StoreError} for a blob that cannot be read.
 */
export async function readSourcedDataset(
  uri: string,
  options: ReadDatasetOptions = {},
): Promise<SourcedDataset> {
  return await withLocalData(uri, async (local) => {
    const dataset = await readDataset(local.path, options);
    const sha256 = local.sha256 ?? await fileSha256(local.path);
    return {
      dataset,
      record: dataRecord(uri, sha256, dataset, { versionId: local.versionId, etag: local.etag }),
    };
  });
}
