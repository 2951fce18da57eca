/**
 * Data lineage: which bytes a model was trained and evaluated on. A {@linkcode DataRecord} names
 * the data (its URI), fingerprints it (SHA-256 of the bytes read), and gives its shape, so a
 * model can be traced back to its data and a sharded training can prove its shards saw the same.
 * @module
 */
import { createHash } from "node:crypto";
import { DataError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";

/** One data set a model was made from, as model.json records it under `data`. */
export interface DataRecord {
  /** Where it was read: a path as given, `azblob://...`, an `https://` blob URL, or `seed:`. */
  readonly uri: string;
  /** Lower-case hex SHA-256 of the bytes read (for the seed workload: of its values). */
  readonly sha256: string;
  /** Data rows (the header not counted). */
  readonly rows: number;
  /** Columns, the target included. */
  readonly columns: number;
  /** The blob's version id, when read from a versioned Blob container. */
  readonly version_id?: string;
  /** The blob's ETag, when read from Blob Storage. */
  readonly etag?: string;
}

/** model.json's `data`: the training data and, when a separate file was used, the eval data. */
export interface DataLineage {
  readonly train: DataRecord;
  readonly eval?: DataRecord;
  /** Without an eval file: how the evaluation rows were held out of `train`. */
  readonly held_out?: HeldOut;
}

/** A stratified split: the fraction held out for evaluation and the split's seed. */
export interface HeldOut {
  readonly test_size: number;
  readonly seed: number;
}

/** The URI recorded for the built-in seed workload. */
export const SEED_URI = "seed:make_classification";

/** SHA-256 of a file's bytes, read in bounded memory. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "not found" : (err as Error).message;
    throw new DataError(`cannot read ${path}: ${why}`, { cause: err });
  }
  try {
    const buf = new Uint8Array(1 << 20);
    for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
      hash.update(buf.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/** SHA-256 of a generated data set's values (features, then class indices, little-endian). */
export function datasetSha256(ds: Dataset): string {
  return createHash("sha256")
    .update(new Uint8Array(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength))
    .update(new Uint8Array(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength))
    .digest("hex");
}

/** The record of a data set read from `uri` whose bytes hash to `sha256`. */
export function dataRecord(
  uri: string,
  sha256: string,
  ds: Dataset,
  blob: { versionId?: string | undefined; etag?: string | undefined } = {},
): DataRecord {
  return {
    uri,
    sha256,
    rows: ds.nRows,
    columns: ds.nFeatures + 1,
    ...(blob.versionId ? { version_id: blob.versionId } : {}),
    ...(blob.etag ? { etag: blob.etag } : {}),
  };
}
