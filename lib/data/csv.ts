/**
 * Reading CSV files into datasets and feature tables. Files are streamed in 1 MiB reads through
 * a byte-level reader (csv_bytes.ts) that reads plain numeric rows without making a string per
 * cell and every other row with the full RFC 4180 rules; the values go straight into a typed
 * array sized from the first read's rows per byte (estimateRecords). A file over 16 MiB is cut
 * into byte ranges read at once by the calling thread and Web Workers, into one shared buffer
 * (readRangesOnWorkers). Text (`parseDataset`, `parseFeatureTable`) goes through csv-parse, the
 * reference the byte reader is tested against. Errors are {@linkcode DataError}s naming file,
 * line and column.
 * @module
 */

import { CsvError, parse as parseStream } from "csv-parse/stream";
import type { InfoRecord, Options } from "csv-parse/stream";
import { parse as parseSync } from "csv-parse/sync";
import { DataError, InvalidInput, WorkerFailed } from "../errors.ts";
import { ChunkedInput } from "./chunked_input.ts";
import type { FromCsvWorker, ToCsvWorker } from "./csv_worker.ts";
import {
  countLineEnds,
  CSV_PROBLEMS,
  CsvRecordReader,
  LabelDictionary,
  list,
  malformedError,
  quote,
  readInput,
  RowBlock,
  type RowLayout,
  shiftLine,
  storeFields,
} from "./csv_bytes.ts";
import type { Dataset, Label } from "./dataset.ts";
import { kernelModule } from "./wasm_numbers.ts";

/** Options of {@linkcode readDataset}. */
export interface ReadDatasetOptions {
  /** Name of the class-label column. Default: the last column. */
  target?: string;
  /**
   * Web Workers that read a file over 16 MiB beside the calling thread, one byte range each
   * (the calling thread reads the first), into one shared buffer; 0 reads on the calling thread
   * alone. The result is the same either way; a worker that cannot start leaves its range to
   * the calling thread. Default: one fewer than the CPUs, at most 7. Each worker costs a V8 heap
   * of its own (~13 MB more peak memory for one, measured on a 1M-row file).
   */
  workers?: number;
}

/** Options of {@linkcode parseDataset}. */
export interface ParseDatasetOptions extends Omit<ReadDatasetOptions, "workers"> {
  /** Name of the input in error messages. Default `<input>`. */
  source?: string;
}

/** Options of {@linkcode readFeatureTable}. */
export interface ReadFeatureTableOptions {
  /** The model's feature names, in the model's order. */
  features: readonly string[];
  /** The model's target column: allowed in the file, and returned when present. */
  target?: string;
  /** As {@linkcode ReadDatasetOptions.workers}. */
  workers?: number;
}

/** Options of {@linkcode parseFeatureTable}. */
export interface ParseFeatureTableOptions extends Omit<ReadFeatureTableOptions, "workers"> {
  /** Name of the input in error messages. Default `<input>`. */
  source?: string;
}

/** Feature rows for scoring, with columns in the model's order. */
export interface FeatureTable {
  /** Row-major values, `x[row * features.length + j]` for the model's feature `j`. */
  readonly x: Float64Array;
  /** Number of rows. */
  readonly nRows: number;
  /** The file's header, in file order. */
  readonly header: readonly string[];
  /** The target column's labels, when the file has it. */
  readonly targetValues?: Label[] | undefined;
}

/**
 * What a reader makes of a file: the layout of its rows once the header is known, then the
 * result from the rows read.
 */
interface Collector<R> {
  /** Called before any record with an upper bound on the number of records, when known. */
  expect(records: number): void;
  /** Checks the header and says how records become rows. */
  header(names: string[], line: number): RowLayout;
  /** Storage for the rows, sized by `expect`, growing in place up to `limit` rows if given. */
  block(limit?: number): RowBlock;
  finish(block: RowBlock, labels: LabelDictionary): R;
}

/**
 * csv-parse options of the string path. Ragged rows are let through to be reported by the
 * collectors, whose messages say more than csv-parse's; blank lines are skipped.
 */
const CSV_OPTIONS = {
  bom: true,
  // Any mix of line ends, where csv-parse would otherwise keep the first one it meets.
  record_delimiter: ["\r\n", "\n", "\r"],
  relax_column_count: true,
  skip_empty_lines: true,
} as const satisfies Options;

const INTEGER = /^[+-]?\d+$/;
/** Bytes read from a file at a time on the calling thread. */
const READ_BYTES = 1 << 20;
/** Files larger than this are read on workers (when there are any). */
const PARALLEL_BYTES = 16 << 20;

/** The workers a file is read on by default: one fewer than the CPUs, at most 7. */
function defaultWorkers(): number {
  return Math.min(7, Math.max(0, (navigator.hardwareConcurrency ?? 1) - 1));
}

/**
 * Reads a CSV file with a header row into a dataset: the target column (by name, default the
 * last) holds class labels, every other column is a numeric feature.
 *
 * Labels are numbers when every one is an integer, else strings; `classes` is sorted and `y`
 * indexes it. Quoted fields, CRLF line ends, a UTF-8 BOM and blank lines are accepted.
 *
 * @throws {DataError} naming the file, line and column of the first problem.
 * @example
 * ```ts
 * import { readDataset } from "./csv.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "x1,x2,label\n1,2,dog\n3,4,cat\n");
 * const ds = await readDataset(path, { target: "label" });
 * console.log(ds.featureNames, ds.classes, ds.y); // ["x1", "x2"] ["cat", "dog"] [1, 0]
 * await Deno.remove(path);
 * ```
 */
export async function readDataset(
  path: string,
  { target, workers }: ReadDatasetOptions = {},
): Promise<Dataset> {
  return await readFile(path, new DatasetCollector(path, target), workers);
}

/** Parses CSV text like {@linkcode readDataset} does a file (for tests and small inputs). */
export function parseDataset(
  text: string,
  { target, source = "<input>" }: ParseDatasetOptions = {},
): Dataset {
  return parseText(text, source, new DatasetCollector(source, target));
}

/**
 * Reads a CSV file of feature rows for scoring with a trained model. Columns may come in any
 * order; the result has them in the order of `features`. The target column may be present.
 *
 * @throws {DataError} when the columns are not exactly the features (plus the optional target),
 *   listing the missing and extra ones, or naming the line and column of a bad cell.
 * @throws {InvalidInput} when `features` is empty or has duplicates.
 * @example
 * ```ts
 * import { readFeatureTable } from "./csv.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "f1,f0\n2,1\n4,3\n");
 * const t = await readFeatureTable(path, { features: ["f0", "f1"], target: "target" });
 * console.log(t.nRows, t.x, t.targetValues); // 2 [1, 2, 3, 4] undefined
 * await Deno.remove(path);
 * ```
 */
export async function readFeatureTable(
  path: string,
  { features, target, workers }: ReadFeatureTableOptions,
): Promise<FeatureTable> {
  return await readFile(path, new FeatureTableCollector(path, features, target), workers);
}

/** Parses CSV text like {@linkcode readFeatureTable} does a file. */
export function parseFeatureTable(
  text: string,
  { features, target, source = "<input>" }: ParseFeatureTableOptions,
): FeatureTable {
  return parseText(text, source, new FeatureTableCollector(source, features, target));
}

async function readFile<R>(
  path: string,
  collector: Collector<R>,
  workers: number | undefined,
): Promise<R> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "not found" : message(err);
    throw new DataError(`cannot read ${path}: ${why}`, { cause: err });
  }
  try {
    const stat = await file.stat();
    const size = stat.isFile ? stat.size : -1;
    const parallel = size > PARALLEL_BYTES ? Math.floor(workers ?? defaultWorkers()) : 0;
    return await readRecords(path, file, collector, parallel, size);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot read ${path}: ${message(err)}`, { cause: err });
  } finally {
    try {
      file.close();
    } catch {
      // Already closed by a stream.
    }
  }
}

/**
 * Reads the records of an open file with the byte-level reader, in bounded memory: on the
 * calling thread, or with `workers` Web Workers beside it, one byte range each.
 */
async function readRecords<R>(
  path: string,
  file: Deno.FsFile,
  collector: Collector<R>,
  workers: number,
  size: number,
): Promise<R> {
  const input = new ChunkedInput(file, READ_BYTES, path);
  input.fill();
  const { buf } = input;
  if (buf[0] === 0xff && buf[1] === 0xfe && input.end >= 2) {
    // A UTF-16LE byte-order mark: csv-parse decodes such files; the byte reader reads UTF-8.
    await file.seek(0, Deno.SeekMode.Start);
    return await readUtf16(path, file, collector);
  }
  const reader = new CsvRecordReader(path);
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) reader.pos = 3;
  let names = reader.readHeader(input.buf, input.end, input.final);
  while (names === undefined) {
    reader.pos = input.more(reader.pos);
    names = reader.readHeader(input.buf, input.end, input.final);
  }
  const dict = new LabelDictionary();
  if (names === null) return collector.finish(emptyBlock(), dict);
  const layout = collector.header(names, reader.recordLine);
  reader.layout = layout;
  collector.expect(estimateRecords(input, reader.pos, size));
  const block = collector.block(
    input.final ? 0 : recordLimit(input, reader.pos, size, layout.columns.length),
  );
  if (workers > 0 && !input.final) {
    await readRangesOnWorkers(path, input, reader, layout, block, dict, workers, size);
  } else {
    readInput(input, reader, block, dict);
  }
  return collector.finish(block, dict);
}

/**
 * How many records (the header included) to make room for, from the first buffer: exactly an
 * upper bound when it holds the whole input, else its rows per byte scaled to the file's size
 * with a margin (a low guess costs one doubling of the row block, a high one a trimmed copy).
 * Guessing replaces a pass over the file that counted its lines.
 */
function estimateRecords(input: ChunkedInput, pos: number, size: number): number {
  const lines = countLineEnds(input.buf, pos, input.end);
  if (input.final) return lines + 2;
  if (size < 0) return 1024;
  const rest = size - (input.consumed + pos);
  const perByte = (lines + 1) / Math.max(1, input.end - pos);
  return Math.ceil(rest * perByte * 1.03) + 1026;
}

/**
 * The most rows the rest of a file of `size` bytes can hold from `pos` of the first buffer: a
 * stored row has `width` non-empty cells, `width - 1` commas and a line end (but the last).
 */
function recordLimit(input: ChunkedInput, pos: number, size: number, width: number): number {
  if (size < 0) return 0;
  const rest = size - (input.consumed + pos);
  return Math.floor(rest / (2 * width - 1)) + 2;
}

/** A range's row error, its line counted from the range's start. */
class RangeRowError extends Error {}

/** What a range read on a worker gives: its rows, or the error it failed with. */
type RangeRows = Extract<FromCsvWorker, { kind: "rows" }> | { readonly error: Error };

/** Bytes looked at past a nominal cut for the line end a range starts after. */
const CUT_SEARCH = 64 << 10;

/**
 * Where to cut the rest of a file of `size` bytes from `from` into `ranges` byte ranges: just
 * after the first line end at or past each equal share (found with a small read there).
 */
function cutPoints(path: string, from: number, size: number, ranges: number): number[] {
  const starts = [from];
  const file = Deno.openSync(path, { read: true });
  try {
    const probe = new Uint8Array(CUT_SEARCH);
    for (let r = 1; r < ranges; r++) {
      const target = from + Math.floor(((size - from) * r) / ranges) - 1;
      file.seekSync(target, Deno.SeekMode.Start);
      const n = file.readSync(probe) ?? 0;
      const lf = probe.subarray(0, n).indexOf(0x0a);
      if (lf < 0) continue;
      const at = target + lf + 1;
      if (at > starts.at(-1)! && at < size) starts.push(at);
    }
  } finally {
    file.close();
  }
  return starts;
}

/**
 * Reads the rest of the input in byte ranges, the calling thread the first and a Web Worker each
 * other one, into one shared buffer: each range fills its own share, sized from the first read's
 * rows per byte with a margin, and the shares are closed up in place at the end (a range that
 * outgrows its share has its rows copied instead). A range is cut just after a line end, which
 * is a record's end unless a quoted field spans it: each range's reader reports where it
 * stopped, and from the first range that did not stop exactly at the next one's start, the
 * calling thread reads on itself, so quotes never change the result. The first error in file
 * order is thrown; a worker that fails leaves its range to the calling thread.
 */
async function readRangesOnWorkers(
  path: string,
  input: ChunkedInput,
  reader: CsvRecordReader,
  layout: RowLayout,
  block: RowBlock,
  dict: LabelDictionary,
  workers: number,
  size: number,
): Promise<void> {
  const from = input.consumed + reader.pos;
  const starts = cutPoints(path, from, size, workers + 1);
  if (starts.length < 2 || starts[1]! < input.consumed + input.end) {
    readInput(input, reader, block, dict);
    return;
  }
  // Each range's share of the buffer: its bytes at the first read's rows per byte, plus 2%.
  const p = block.nFeatures;
  const perByte = (countLineEnds(input.buf, reader.pos, input.end) + 1) /
    Math.max(1, input.end - reader.pos);
  const offsets = [0];
  for (let r = 0; r < starts.length; r++) {
    const bytes = (starts[r + 1] ?? size) - starts[r]!;
    offsets.push(offsets[r]! + Math.ceil(bytes * perByte * 1.02) + 256);
  }
  let shared: SharedArrayBuffer;
  try {
    shared = new SharedArrayBuffer(offsets.at(-1)! * p * 8);
  } catch {
    // No room for it: the calling thread reads the file alone, in its own array.
    readInput(input, reader, block, dict);
    return;
  }
  block.useValues(new Float64Array(shared, 0, offsets[1]! * p));
  const url = new URL("./csv_worker.ts", import.meta.url);
  const pool: Worker[] = [];
  const results: Promise<RangeRows>[] = [];
  /** The workers that have answered (and so end by themselves). */
  const answered = new Set<Worker>();
  try {
    for (let r = 1; r < starts.length; r++) {
      let worker: Worker;
      try {
        worker = new Worker(url, { type: "module", name: `fluxops-csv-${r}` });
      } catch (err) {
        results.push(Promise.resolve({
          error: new WorkerFailed(`cannot start CSV worker ${r}: ${message(err)}`, { cause: err }),
        }));
        break;
      }
      pool.push(worker);
      results.push(
        new Promise<RangeRows>((resolve) => {
          worker.onmessage = ({ data }: MessageEvent<FromCsvWorker>) => {
            answered.add(worker);
            if (data.kind === "rows") resolve(data);
            else {
              resolve({
                error: data.code === "data_error"
                  ? new RangeRowError(data.message)
                  : new WorkerFailed(`CSV worker failed: ${data.name}: ${data.message}`),
              });
            }
          };
          worker.onerror = (event: ErrorEvent) => {
            event.preventDefault();
            resolve({ error: new WorkerFailed(`CSV worker ${r} failed: ${event.message}`) });
          };
          worker.onmessageerror = () => {
            resolve({
              error: new WorkerFailed(`CSV worker ${r} sent a message that could not be read`),
            });
          };
        }),
      );
      const range: ToCsvWorker = {
        kind: "range",
        seq: r,
        layout,
        path,
        start: starts[r]!,
        end: r + 1 < starts.length ? starts[r + 1]! : -1,
        kernel: kernelModule(),
        shared: {
          buffer: shared,
          offset: offsets[r]! * p,
          rows: offsets[r + 1]! - offsets[r]!,
        },
      };
      worker.postMessage(range);
    }
    input.limit = starts[1]!;
    const stop = readInput(input, reader, block, dict);
    let resume = stop === starts[1] ? -1 : stop;
    let line = reader.line;
    // The calling thread's rows stayed in its share unless they outgrew it.
    const inPlace = block.x.buffer === shared;
    if (inPlace) block.useValues(new Float64Array(shared));
    for (let r = 1; r < starts.length && resume < 0; r++) {
      const result = await results[r - 1]!;
      if ("error" in result) {
        const { error } = result;
        // The range's first line is the file's line `line`.
        if (error instanceof RangeRowError) {
          throw new DataError(shiftLine(error.message, reader.source, line - 1));
        }
        // The worker failed: its range and the rest are read here.
        resume = starts[r]!;
        break;
      }
      const { rows, labels, names } = result;
      const at = block.rows * p;
      if (result.x === undefined && inPlace && block.x.buffer === shared) {
        // Close up the gap the shares before left: within the buffer, no new pages.
        if (at !== offsets[r]! * p) {
          block.x.copyWithin(at, offsets[r]! * p, (offsets[r]! + rows) * p);
        }
      } else {
        if (block.x.buffer === shared && at + rows * p > offsets[r + 1]! * p) {
          // The rows would overwrite later shares still to be closed up: from here on the
          // values go to an array of their own.
          block.useValues(block.x.slice(0, offsets.at(-1)! * p));
        }
        const x = result.x ?? new Float64Array(shared, offsets[r]! * p * 8, rows * p);
        while ((block.rows + rows) * p > block.x.length) block.grow();
        block.x.set(x.subarray(0, rows * p), at);
      }
      if (block.hasLabels) {
        while (block.rows + rows > block.labels.length) block.grow();
        const ids = Int32Array.from(names, (name) => dict.idOf(name));
        for (let i = 0; i < rows; i++) block.labels[block.rows + i] = ids[labels[i]!]!;
      }
      block.rows += rows;
      line += result.lines;
      if (r + 1 < starts.length && result.stop !== starts[r + 1]) resume = result.stop;
    }
    if (resume >= 0) {
      // A record went on past a cut (a quoted line end) or a worker failed: the rest is read
      // here, once every worker has stopped writing to the buffer.
      await Promise.all(results);
      input.restart(resume);
      reader.pos = 0;
      reader.line = line;
      readInput(input, reader, block, dict);
    }
  } finally {
    // A worker that has answered closes itself; terminating it as it ends could cut short what
    // its isolate writes on the way out (a coverage profile, under deno test --coverage).
    for (const worker of pool) if (!answered.has(worker)) worker.terminate();
  }
}

function emptyBlock(): RowBlock {
  return new RowBlock(1, 1, false);
}

/** Reads a UTF-16LE file through csv-parse, as the reader always has. */
async function readUtf16<R>(path: string, file: Deno.FsFile, collector: Collector<R>) {
  const sink = new FieldSink(collector);
  const feeder = new RecordFeeder(sink);
  const parser = parseStream({ ...CSV_OPTIONS, on_record: feeder.onRecord });
  try {
    for await (const _ of file.readable.pipeThrough(parser)) { /* nothing is emitted */ }
  } catch (err) {
    throw feeder.error(path, err);
  }
  return sink.finish();
}

/** Counts the lines of text (LF, CRLF or CR ends; a record is at most one line). */
function countTextLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  for (let i = text.indexOf("\r"); i !== -1; i = text.indexOf("\r", i + 1)) {
    if (text.charCodeAt(i + 1) !== 0x0a) lines++;
  }
  return lines;
}

function parseText<R>(text: string, source: string, collector: Collector<R>): R {
  collector.expect(countTextLines(text));
  const sink = new FieldSink(collector);
  const feeder = new RecordFeeder(sink);
  try {
    parseSync(text, { ...CSV_OPTIONS, on_record: feeder.onRecord });
  } catch (err) {
    throw feeder.error(source, err);
  }
  return sink.finish();
}

/** Takes csv-parse's records (the header first) to a collector, row by row. */
class FieldSink<R> {
  #layout: RowLayout | undefined;
  #block = emptyBlock();
  readonly #dict = new LabelDictionary();

  constructor(readonly collector: Collector<R>) {}

  record(fields: string[], line: number): void {
    if (this.#layout === undefined) {
      this.#layout = this.collector.header(fields, line);
      this.#block = this.collector.block();
      return;
    }
    storeFields(this.#layout, fields, line, this.#block, this.#dict);
  }

  finish(): R {
    return this.collector.finish(this.#block, this.#dict);
  }
}

/**
 * Hands each record to the sink with the line it starts on, and drops it so csv-parse
 * buffers nothing. csv-parse reports the line a record ends on and counts a CRLF inside a
 * quoted field as two lines; records that span lines are rare, so only they are examined.
 */
class RecordFeeder<R> {
  /** How many lines csv-parse has over-counted so far. */
  drift = 0;
  #lastLines = 0;
  #lastEmpty = 0;
  #header: string[] | undefined;

  constructor(readonly sink: FieldSink<R>) {}

  readonly onRecord = (record: string[], info: InfoRecord): null => {
    const spanned = info.lines - this.#lastLines - (info.empty_lines - this.#lastEmpty);
    this.#lastLines = info.lines;
    this.#lastEmpty = info.empty_lines;
    let breaks = 0;
    if (spanned > 1) {
      for (const field of record) {
        const crlf = count(field, "\r\n");
        this.drift += crlf;
        breaks += count(field, "\r") + count(field, "\n") - crlf;
      }
    }
    this.#header ??= record;
    this.sink.record(record, info.lines - this.drift - breaks);
    return null;
  };

  /** Maps anything thrown while parsing to a DataError naming the source, line and column. */
  error(source: string, err: unknown): DataError {
    if (err instanceof DataError) return err;
    if (!(err instanceof CsvError)) {
      return new DataError(`cannot read ${source}: ${message(err)}`, { cause: err });
    }
    // csv-parse's own line is where it stopped, which for an unclosed quote is the end of the
    // file: name the line the bad record starts on instead.
    const context = err as CsvError & { empty_lines?: unknown; column?: unknown };
    const skipped = typeof context.empty_lines === "number"
      ? context.empty_lines - this.#lastEmpty
      : 0;
    const line = this.#lastLines - this.drift + 1 + skipped;
    const c = context.column;
    const problem = CSV_PROBLEMS[err.code] ?? err.message;
    if (typeof c !== "number") {
      return new DataError(`${source}:${line}: malformed CSV: ${problem}`, { cause: err });
    }
    return malformedError(source, line, c, this.#header, problem);
  }
}

function count(text: string, part: string): number {
  let n = 0;
  for (let i = text.indexOf(part); i !== -1; i = text.indexOf(part, i + part.length)) n++;
  return n;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks a header row: at least one column, no empty and no duplicate names. */
function checkHeader(source: string, names: readonly string[], line: number): void {
  const seen = new Map<string, number>();
  names.forEach((name, c) => {
    if (name.trim() === "") {
      throw new DataError(`${source}:${line}: column ${c + 1} has an empty name`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataError(
        `${source}:${line}: duplicate column name ${quote(name)} (columns ${first + 1} and ${
          c + 1
        })`,
      );
    }
    seen.set(name, c);
  });
}

/** The error for a file with no header, or no rows after it. */
export function emptyError(source: string, header: readonly string[] | undefined): DataError {
  return new DataError(
    header === undefined
      ? `${source}: empty file, expected a header row`
      : `${source}: no data rows after the header`,
  );
}

/** Labels as given, or as numbers when every one is an integer. */
function toLabels(raw: readonly string[]): Label[] {
  const numeric = raw.every((s) => INTEGER.test(s) && Number.isSafeInteger(Number(s)));
  return numeric ? raw.map(Number) : [...raw];
}

/** Orders strings by Unicode code point (plain `<` orders by UTF-16 code unit). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (D800-DFFF) encode code points above FFFF: move them past E000-FFFF.
      if (ca >= 0xd800) ca += ca >= 0xe000 ? -0x800 : 0x2000;
      if (cb >= 0xd800) cb += cb >= 0xe000 ? -0x800 : 0x2000;
      return ca - cb;
    }
  }
  return a.length - b.length;
}

class DatasetCollector implements Collector<Dataset> {
  #header: string[] | undefined;
  #target = "";
  #featureNames: string[] = [];
  #expected = 1024;

  constructor(readonly source: string, readonly targetOption: string | undefined) {}

  expect(records: number): void {
    this.#expected = Math.max(1, records - 1); // the header is one of them
  }

  header(names: string[], line: number): RowLayout {
    checkHeader(this.source, names, line);
    const target = this.targetOption ?? names[names.length - 1]!;
    const targetCol = names.indexOf(target);
    if (targetCol === -1) {
      throw new DataError(
        `${this.source}:${line}: no target column ${quote(target)}; columns are ${list(names)}`,
      );
    }
    if (names.length < 2) {
      throw new DataError(
        `${this.source}:${line}: no feature columns besides the target ${quote(target)}`,
      );
    }
    this.#header = names;
    this.#target = target;
    const columns = new Int32Array(names.length);
    let j = 0;
    for (let c = 0; c < names.length; c++) columns[c] = c === targetCol ? -1 : j++;
    this.#featureNames = names.filter((_, c) => c !== targetCol);
    return {
      source: this.source,
      header: names,
      columns,
      nFeatures: this.#featureNames.length,
      labelLast: true,
    };
  }

  block(limit = 0): RowBlock {
    return new RowBlock(this.#featureNames.length, this.#expected, true, limit);
  }

  finish(block: RowBlock, dict: LabelDictionary): Dataset {
    const nRows = block.rows;
    if (this.#header === undefined || nRows === 0) throw emptyError(this.source, this.#header);
    const labels = toLabels(dict.names);
    // Integer labels written differently ("1", "01") are one class.
    const classes = [...new Set(labels)].sort((a, b) =>
      typeof a === "number" && typeof b === "number"
        ? a - b
        : compareCodePoints(String(a), String(b))
    );
    if (classes.length < 2) {
      throw new DataError(
        `${this.source}: target ${quote(this.#target)} has a single class ` +
          `(${JSON.stringify(classes[0])}); at least two are needed`,
      );
    }
    const index = new Map<Label, number>(classes.map((c, i) => [c, i]));
    const classOfId = Int32Array.from(labels, (l) => index.get(l)!);
    const y = new Int32Array(nRows);
    const ids = block.labels;
    for (let r = 0; r < nRows; r++) y[r] = classOfId[ids[r]!]!;
    return {
      featureNames: this.#featureNames,
      target: this.#target,
      nRows,
      nFeatures: this.#featureNames.length,
      x: block.values(),
      y,
      classes,
    };
  }
}

class FeatureTableCollector implements Collector<FeatureTable> {
  #header: string[] | undefined;
  #hasTarget = false;
  #expected = 1024;

  constructor(
    readonly source: string,
    readonly features: readonly string[],
    readonly target: string | undefined,
  ) {
    checkFeatureNames(features, target);
  }

  expect(records: number): void {
    this.#expected = Math.max(1, records - 1);
  }

  header(names: string[], line: number): RowLayout {
    const layout = featureTableLayout(this.source, names, line, this.features, this.target);
    this.#header = names;
    this.#hasTarget = layout.columns.includes(-1);
    return layout;
  }

  block(limit = 0): RowBlock {
    return new RowBlock(this.features.length, this.#expected, this.#hasTarget, limit);
  }

  finish(block: RowBlock, dict: LabelDictionary): FeatureTable {
    const nRows = block.rows;
    if (this.#header === undefined || nRows === 0) throw emptyError(this.source, this.#header);
    let targetValues: Label[] | undefined;
    if (this.#hasTarget) {
      const ids = block.labels;
      const names = dict.names;
      const raw = new Array<string>(nRows);
      for (let r = 0; r < nRows; r++) raw[r] = names[ids[r]!]!;
      targetValues = toLabels(raw);
    }
    return { x: block.values(), nRows, header: this.#header, targetValues };
  }
}

/**
 * Checks a model's feature list (and target) for a feature table.
 * @throws {InvalidInput} when `features` is empty, has duplicates or holds the target.
 */
export function checkFeatureNames(features: readonly string[], target: string | undefined): void {
  if (features.length === 0) throw new InvalidInput("features: expected at least one name");
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f)) throw new InvalidInput(`features: duplicate name ${quote(f)}`);
    seen.add(f);
  }
  if (target !== undefined && seen.has(target)) {
    throw new InvalidInput(`target ${quote(target)} is also listed in features`);
  }
}

/**
 * The layout of a feature table's rows from its header: each column is one of `features` or the
 * `target`; rows hold the features in the order of `features`.
 * @throws {DataError} for a bad header, or columns that are not exactly the features (plus the
 *   optional target), listing the missing and extra ones.
 */
export function featureTableLayout(
  source: string,
  names: string[],
  line: number,
  features: readonly string[],
  target: string | undefined,
): RowLayout {
  checkHeader(source, names, line);
  const index = new Map(features.map((f, j) => [f, j]));
  const present = new Set(names);
  const missing = features.filter((f) => !present.has(f));
  const extra = names.filter((n) => !index.has(n) && n !== target);
  if (missing.length > 0 || extra.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing ${list(missing)}`);
    if (extra.length > 0) parts.push(`extra ${list(extra)}`);
    throw new DataError(`${source}: columns do not match the model: ${parts.join("; ")}`);
  }
  return {
    source,
    header: names,
    columns: Int32Array.from(names, (n) => index.get(n) ?? -1),
    nFeatures: features.length,
    labelLast: false,
  };
}
