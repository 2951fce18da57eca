/**
 * Reading a training or evaluation data set together with its lineage record: the data set,
 * and the URI, SHA-256, shape (and, from Blob Storage, version id and ETag) of what was read.
 * @module
 */
import { readDataset, type ReadDatasetOptions } from "./csv.ts";
import type { Dataset } from "./dataset.ts";
import { type DataRecord, dataRecord, fileSha256 } from "./lineage.ts";

/** A data set and the record of where it came from. */
export interface SourcedDataset {
  readonly dataset: Dataset;
  readonly record: DataRecord;
}

/**
 * Reads a CSV data set from `uri` (a local path) and fingerprints the bytes read.
 *
 * @throws {DataError} naming the file, line and column of the first problem.
 */
export async function readSourcedDataset(
  uri: string,
  options: ReadDatasetOptions = {},
): Promise<SourcedDataset> {
  const dataset = await readDataset(uri, options);
  const sha256 = await fileSha256(uri);
  return { dataset, record: dataRecord(uri, sha256, dataset) };
}
