/**
 * Reading the rows drift is measured on: a CSV path today, and any other source (the blob
 * URIs of the data store) through a reader registered for its URI scheme. Strict reading stops
 * at the first cell that is not a number, naming file, line and column; lenient reading (the
 * `--quality` flag) keeps the row, counts the cell as missing (empty) or non-numeric, and leaves
 * NaN in its place, which every drift figure skips.
 * @module
 */
import { parse as parseCsv } from "csv-parse/sync";
import { readFeatureTable } from "../data/csv.ts";
import { DataError, UsageError } from "../errors.ts";

/** Rows in the model's feature order, with the cells that could not be read counted. */
export interface DriftTable {
  /** Row-major values; NaN where a cell was missing or not a number (lenient reading). */
  readonly x: Float64Array;
  readonly nRows: number;
  /** Per feature: empty cells. */
  readonly missing: Uint32Array;
  /** Per feature: cells that are not a finite number. */
  readonly nonNumeric: Uint32Array;
  /** The target column's labels, as text, when the rows have it. */
  readonly targetValues?: readonly string[] | undefined;
}

/** Options of a {@link TableReader}. */
export interface ReadTableOptions {
  /** The model's features, in its order. */
  readonly features: readonly string[];
  /** The model's target column: allowed, and returned when present. */
  readonly target: string;
  /** Count unreadable cells instead of failing. */
  readonly lenient: boolean;
}

/** Reads rows from a source named by a URI or path. */
export type TableReader = (uri: string, options: ReadTableOptions) => Promise<DriftTable>;

const readers = new Map<string, TableReader>();

/**
 * Registers the reader of `scheme://` URIs (e.g. `azblob`), for sources other than local CSV.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDriftTable, registerTableReader } from "./table_reader.ts";
 * // The data store registers "azblob" this way; here, a reader of a table held in memory.
 * registerTableReader("memory", (_uri, options) =>
 *   Promise.resolve({
 *     x: new Float64Array(options.features.length),
 *     nRows: 1,
 *     missing: new Uint32Array(options.features.length),
 *     nonNumeric: new Uint32Array(options.features.length),
 *   }));
 * const options = { features: ["f0", "f1"], target: "label", lenient: false };
 * const table = await readDriftTable("memory://recent", options);
 * assert.equal(table.nRows, 1);
 * ```
 */
export function registerTableReader(scheme: string, reader: TableReader): void {
  readers.set(scheme.toLowerCase(), reader);
}

/** The scheme of a URI (`azblob://...`), or undefined for a plain path. */
function schemeOf(uri: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * Reads the rows of `uri`: a CSV path (or `file://` URL), or a URI whose scheme has a reader.
 *
 * @throws {UsageError} for a URI scheme no reader handles
 * @throws {DataError} naming the file, line and column of a malformed file
 */
export async function readDriftTable(uri: string, options: ReadTableOptions): Promise<DriftTable> {
  const scheme = schemeOf(uri);
  if (scheme === undefined) return await readCsvTable(uri, options);
  if (scheme === "file") return await readCsvTable(new URL(uri).pathname, options);
  const reader = readers.get(scheme);
  if (!reader) {
    throw new UsageError(
      `${uri}: no reader for ${scheme}:// sources here; give a CSV path (data store URIs ` +
        `need their reader registered, see lib/drift/table_reader.ts)`,
    );
  }
  return await reader(uri, options);
}

/** Reads a CSV file strictly (the shared reader) or leniently (counting bad cells). */
export async function readCsvTable(path: string, options: ReadTableOptions): Promise<DriftTable> {
  const p = options.features.length;
  if (!options.lenient) {
    const t = await readFeatureTable(path, { features: options.features, target: options.target });
    return {
      x: t.x,
      nRows: t.nRows,
      missing: new Uint32Array(p),
      nonNumeric: new Uint32Array(p),
      targetValues: t.targetValues?.map(String),
    };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "not found" : String(err);
    throw new DataError(`cannot read ${path}: ${why}`, { cause: err });
  }
  return parseLenient(text, path, options);
}

/** Parses CSV text, counting missing and non-numeric cells instead of failing on them. */
export function parseLenient(text: string, source: string, options: ReadTableOptions): DriftTable {
  let records: string[][];
  try {
    records = parseCsv(text, {
      bom: true,
      record_delimiter: ["\r\n", "\n", "\r"],
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (err) {
    throw new DataError(`${source}: malformed CSV: ${(err as Error).message}`, { cause: err });
  }
  const header = records[0];
  if (header === undefined) throw new DataError(`${source}: is empty (expected a header row)`);
  const { features, target } = options;
  const p = features.length;
  const colOf = features.map((f) => header.indexOf(f));
  const missingCols = features.filter((_, j) => colOf[j]! < 0);
  if (missingCols.length > 0) {
    throw new DataError(
      `${source}: columns do not match the model: missing [${missingCols.join(", ")}]`,
    );
  }
  const targetCol = header.indexOf(target);
  const nRows = records.length - 1;
  if (nRows === 0) throw new DataError(`${source}: has a header but no rows`);
  const x = new Float64Array(nRows * p);
  const missing = new Uint32Array(p);
  const nonNumeric = new Uint32Array(p);
  const targets: string[] = [];
  for (let i = 0; i < nRows; i++) {
    const rec = records[i + 1]!;
    if (rec.length !== header.length) {
      throw new DataError(
        `${source}: row ${i + 1} has ${rec.length} fields, the header ${header.length}`,
      );
    }
    for (let j = 0; j < p; j++) {
      const cell = rec[colOf[j]!]!;
      if (cell.trim() === "") {
        missing[j]!++;
        x[i * p + j] = NaN;
        continue;
      }
      const v = Number(cell);
      if (!Number.isFinite(v) || /^\s*0[xob]/i.test(cell)) {
        nonNumeric[j]!++;
        x[i * p + j] = NaN;
        continue;
      }
      x[i * p + j] = v;
    }
    if (targetCol >= 0) targets.push(rec[targetCol]!);
  }
  return { x, nRows, missing, nonNumeric, targetValues: targetCol >= 0 ? targets : undefined };
}
