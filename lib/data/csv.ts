/**
 * Reading CSV files into datasets and feature tables, streamed through csv-parse so a file is
 * never held in memory whole: a first pass counts the lines, so the values go straight into a
 * typed array of the right size, stored once (no doubling, no final copy). Errors are
 * {@linkcode DataError}s naming file, line and column.
 * @module
 */

import { CsvError, parse as parseStream } from "csv-parse/stream";
import type { InfoRecord, Options } from "csv-parse/stream";
import { parse as parseSync } from "csv-parse/sync";
import { DataError, InvalidInput } from "../errors.ts";
import type { Dataset, Label } from "./dataset.ts";

/** Options of {@linkcode readDataset}. */
export interface ReadDatasetOptions {
  /** Name of the class-label column. Default: the last column. */
  target?: string;
}

/** Options of {@linkcode parseDataset}. */
export interface ParseDatasetOptions extends ReadDatasetOptions {
  /** Name of the input in error messages. Default `<input>`. */
  source?: string;
}

/** Options of {@linkcode readFeatureTable}. */
export interface ReadFeatureTableOptions {
  /** The model's feature names, in the model's order. */
  features: readonly string[];
  /** The model's target column: allowed in the file, and returned when present. */
  target?: string;
}

/** Options of {@linkcode parseFeatureTable}. */
export interface ParseFeatureTableOptions extends ReadFeatureTableOptions {
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

/** Receives each record (the header first) with the line it starts on. */
interface Collector<R> {
  /** Called before any record with an upper bound on the number of records, when known. */
  expect(records: number): void;
  record(fields: string[], line: number): void;
  finish(): R;
}

/**
 * csv-parse options of both the streaming and the string path. Ragged rows are let through to
 * be reported by the collectors, whose messages say more than csv-parse's; blank lines are skipped.
 */
const CSV_OPTIONS = {
  bom: true,
  // Any mix of line ends, where csv-parse would otherwise keep the first one it meets.
  record_delimiter: ["\r\n", "\n", "\r"],
  relax_column_count: true,
  skip_empty_lines: true,
} as const satisfies Options;

/** Plainer words for the csv-parse errors the options above leave possible. */
const CSV_PROBLEMS: Partial<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: "a quoted field is not closed by the end of the file",
  CSV_INVALID_CLOSING_QUOTE:
    'text follows a closing quote (inside a quoted field, write a quote as "")',
  INVALID_OPENING_QUOTE:
    'a quote inside an unquoted field (quote the whole field and write inner quotes as "")',
};

const INTEGER = /^[+-]?\d+$/;
const MAX_LISTED = 20;
const MAX_SHOWN = 40;

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
  { target }: ReadDatasetOptions = {},
): Promise<Dataset> {
  return await readFile(path, new DatasetCollector(path, target));
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
  { features, target }: ReadFeatureTableOptions,
): Promise<FeatureTable> {
  return await readFile(path, new FeatureTableCollector(path, features, target));
}

/** Parses CSV text like {@linkcode readFeatureTable} does a file. */
export function parseFeatureTable(
  text: string,
  { features, target, source = "<input>" }: ParseFeatureTableOptions,
): FeatureTable {
  return parseText(text, source, new FeatureTableCollector(source, features, target));
}

async function readFile<R>(path: string, collector: Collector<R>): Promise<R> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "not found" : message(err);
    throw new DataError(`cannot read ${path}: ${why}`, { cause: err });
  }
  // csv-parse works on bytes and decodes UTF-8 itself, so chunks go to it undecoded. Records go
  // to the collector as they are parsed; nothing comes out of the stream but its end or error.
  const feeder = new RecordFeeder(collector);
  const parser = parseStream({ ...CSV_OPTIONS, on_record: feeder.onRecord });
  try {
    if ((await file.stat()).isFile) collector.expect(await countLines(file));
    for await (const _ of file.readable.pipeThrough(parser)) { /* nothing is emitted */ }
  } catch (err) {
    throw feeder.error(path, err);
  } finally {
    try {
      file.close();
    } catch {
      // The stream closed it.
    }
  }
  return collector.finish();
}

/**
 * Counts the lines of a file (LF, CRLF or CR ends; a record is at most one line) in one pass
 * of bounded memory, then rewinds it.
 */
async function countLines(file: Deno.FsFile): Promise<number> {
  const buf = new Uint8Array(1 << 20);
  let lines = 1;
  let lastWasCr = false;
  for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
    const chunk = buf.subarray(0, n);
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    for (let i = chunk.indexOf(0x0d); i !== -1; i = chunk.indexOf(0x0d, i + 1)) {
      if (chunk[i + 1] !== 0x0a) lines++; // the CR of a CRLF is counted with its LF
    }
    // A CRLF split across reads: its CR, last of the previous read, was counted already.
    if (lastWasCr && chunk[0] === 0x0a) lines--;
    lastWasCr = chunk[n - 1] === 0x0d;
  }
  await file.seek(0, Deno.SeekMode.Start);
  return lines;
}

/** Counts lines in text as {@linkcode countLines} does in a file. */
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
  const feeder = new RecordFeeder(collector);
  try {
    parseSync(text, { ...CSV_OPTIONS, on_record: feeder.onRecord });
  } catch (err) {
    throw feeder.error(source, err);
  }
  return collector.finish();
}

/**
 * Hands each record to the collector with the line it starts on, and drops it so csv-parse
 * buffers nothing. csv-parse reports the line a record ends on and counts a CRLF inside a
 * quoted field as two lines; records that span lines are rare, so only they are examined.
 */
class RecordFeeder<R> {
  /** How many lines csv-parse has over-counted so far. */
  drift = 0;
  #lastLines = 0;
  #lastEmpty = 0;
  #header: string[] | undefined;

  constructor(readonly collector: Collector<R>) {}

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
    this.collector.record(record, info.lines - this.drift - breaks);
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
    const name = typeof c === "number" ? this.#header?.[c] : undefined;
    const column = typeof c !== "number"
      ? ""
      : name === undefined
      ? ` column ${c + 1}:`
      : ` column ${quote(name)} (${c + 1}):`;
    const problem = CSV_PROBLEMS[err.code] ?? err.message;
    return new DataError(`${source}:${line}:${column} malformed CSV: ${problem}`, { cause: err });
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

function quote(text: string): string {
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
  return JSON.stringify(shown);
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(", ");
  return names.length > MAX_LISTED ? `[${shown}, ... (${names.length} in all)]` : `[${shown}]`;
}

/**
 * Reads a cell as a finite number: JavaScript number syntax, surrounding spaces allowed; blank
 * cells and hex, octal or binary literals are not numbers. Returns NaN when it is not one.
 */
function toNumber(cell: string): number {
  const v = +cell;
  if (v - v !== 0) return NaN; // NaN or an infinity
  if (v === 0 && cell.trim() === "") return NaN;
  const second = cell.charCodeAt(1) | 0x20;
  if (second === 0x78 || second === 0x6f || second === 0x62) return NaN; // 0x, 0o, 0b
  return v;
}

function cellError(
  source: string,
  line: number,
  name: string,
  column: number,
  cell: string,
): DataError {
  const text = cell.trim();
  const problem = text === ""
    ? "expected a number, got an empty cell"
    : /^[+-]?(Infinity|NaN)$/.test(text)
    ? `expected a finite number, got ${quote(cell)}`
    : `expected a number, got ${quote(cell)}`;
  return new DataError(`${source}:${line}: column ${quote(name)} (${column + 1}): ${problem}`);
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

function checkWidth(source: string, fields: readonly string[], width: number, line: number): void {
  if (fields.length !== width) {
    throw new DataError(
      `${source}:${line}: expected ${width} fields (as in the header), ` +
        `got ${fields.length}`,
    );
  }
}

function emptyError(source: string, header: readonly string[] | undefined): DataError {
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

/**
 * A row-major matrix of `width` columns, sized for the expected rows; past them (input whose
 * size was unknown) it doubles its capacity.
 */
class GrowingMatrix {
  x: Float64Array;
  rows = 0;
  constructor(readonly width: number, expectedRows = 1024) {
    this.x = new Float64Array(Math.max(1, width) * Math.max(1, expectedRows));
  }
  /** Makes room for one more row and returns its offset. */
  addRow(): number {
    const offset = this.rows * this.width;
    if (offset + this.width > this.x.length) {
      const bigger = new Float64Array(this.x.length * 2);
      bigger.set(this.x);
      this.x = bigger;
    }
    this.rows++;
    return offset;
  }
  /** The filled part: a view when little is unused (the usual case), else a trimmed copy. */
  values(): Float64Array {
    const n = this.rows * this.width;
    if (n === this.x.length) return this.x;
    return this.x.length - n <= Math.max(1024, n >> 3) ? this.x.subarray(0, n) : this.x.slice(0, n);
  }
}

class DatasetCollector implements Collector<Dataset> {
  #header: string[] | undefined;
  #target = "";
  #targetCol = -1;
  #featureCols = new Int32Array(0);
  #featureNames: string[] = [];
  #matrix = new GrowingMatrix(0);
  #labelIds = new Map<string, number>();
  #expected = 1024;
  #rowLabels = new Int32Array(0);

  constructor(readonly source: string, readonly targetOption: string | undefined) {}

  expect(records: number): void {
    this.#expected = Math.max(1, records - 1); // the header is one of them
  }

  record(fields: string[], line: number): void {
    if (this.#header === undefined) {
      this.#readHeader(fields, line);
      return;
    }
    const width = this.#header.length;
    checkWidth(this.source, fields, width, line);
    const m = this.#matrix;
    const row = m.rows;
    const offset = m.addRow();
    const x = m.x;
    const cols = this.#featureCols;
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]!;
      const cell = fields[c]!;
      const v = toNumber(cell);
      if (v !== v) throw cellError(this.source, line, this.#header[c]!, c, cell);
      x[offset + j] = v;
    }
    const label = fields[this.#targetCol]!;
    let id = this.#labelIds.get(label);
    if (id === undefined) {
      if (label.trim() === "") {
        throw new DataError(
          `${this.source}:${line}: column ${quote(this.#target)} ` +
            `(${this.#targetCol + 1}): empty class label`,
        );
      }
      id = this.#labelIds.size;
      this.#labelIds.set(label, id);
    }
    if (row === this.#rowLabels.length) {
      const bigger = new Int32Array(Math.max(1024, row * 2));
      bigger.set(this.#rowLabels);
      this.#rowLabels = bigger;
    }
    this.#rowLabels[row] = id;
  }

  #readHeader(names: string[], line: number): void {
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
    this.#targetCol = targetCol;
    const cols = names.map((_, c) => c).filter((c) => c !== targetCol);
    this.#featureCols = Int32Array.from(cols);
    this.#featureNames = cols.map((c) => names[c]!);
    this.#matrix = new GrowingMatrix(cols.length, this.#expected);
    this.#rowLabels = new Int32Array(this.#expected);
  }

  finish(): Dataset {
    const nRows = this.#matrix.rows;
    if (this.#header === undefined || nRows === 0) throw emptyError(this.source, this.#header);
    const raw = [...this.#labelIds.keys()];
    const labels = toLabels(raw);
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
    for (let r = 0; r < nRows; r++) y[r] = classOfId[this.#rowLabels[r]!]!;
    return {
      featureNames: this.#featureNames,
      target: this.#target,
      nRows,
      nFeatures: this.#featureNames.length,
      x: this.#matrix.values(),
      y,
      classes,
    };
  }
}

class FeatureTableCollector implements Collector<FeatureTable> {
  #header: string[] | undefined;
  /** For each file column, the model feature it holds, or -1 for the target column. */
  #featureOf = new Int32Array(0);
  #targetCol = -1;
  #targets: string[] = [];
  #matrix: GrowingMatrix;

  constructor(
    readonly source: string,
    readonly features: readonly string[],
    readonly target: string | undefined,
  ) {
    if (features.length === 0) throw new InvalidInput("features: expected at least one name");
    const seen = new Set<string>();
    for (const f of features) {
      if (seen.has(f)) throw new InvalidInput(`features: duplicate name ${quote(f)}`);
      seen.add(f);
    }
    if (target !== undefined && seen.has(target)) {
      throw new InvalidInput(`target ${quote(target)} is also listed in features`);
    }
    this.#matrix = new GrowingMatrix(features.length);
  }

  expect(records: number): void {
    this.#matrix = new GrowingMatrix(this.features.length, Math.max(1, records - 1));
  }

  record(fields: string[], line: number): void {
    if (this.#header === undefined) {
      this.#readHeader(fields, line);
      return;
    }
    const header = this.#header;
    checkWidth(this.source, fields, header.length, line);
    const m = this.#matrix;
    const offset = m.addRow();
    const x = m.x;
    const featureOf = this.#featureOf;
    for (let c = 0; c < featureOf.length; c++) {
      const j = featureOf[c]!;
      const cell = fields[c]!;
      if (j === -1) {
        if (cell.trim() === "") {
          throw new DataError(
            `${this.source}:${line}: column ${quote(header[c]!)} (${c + 1}): ` +
              "empty class label",
          );
        }
        this.#targets.push(cell);
        continue;
      }
      const v = toNumber(cell);
      if (v !== v) throw cellError(this.source, line, header[c]!, c, cell);
      x[offset + j] = v;
    }
  }

  #readHeader(names: string[], line: number): void {
    checkHeader(this.source, names, line);
    const index = new Map(this.features.map((f, j) => [f, j]));
    const present = new Set(names);
    const missing = this.features.filter((f) => !present.has(f));
    const extra = names.filter((n) => !index.has(n) && n !== this.target);
    if (missing.length > 0 || extra.length > 0) {
      const parts = [];
      if (missing.length > 0) parts.push(`missing ${list(missing)}`);
      if (extra.length > 0) parts.push(`extra ${list(extra)}`);
      throw new DataError(`${this.source}: columns do not match the model: ${parts.join("; ")}`);
    }
    this.#header = names;
    this.#featureOf = Int32Array.from(names, (n) => index.get(n) ?? -1);
    this.#targetCol = this.target === undefined ? -1 : names.indexOf(this.target);
  }

  finish(): FeatureTable {
    const nRows = this.#matrix.rows;
    if (this.#header === undefined || nRows === 0) throw emptyError(this.source, this.#header);
    return {
      x: this.#matrix.values(),
      nRows,
      header: this.#header,
      targetValues: this.#targetCol === -1 ? undefined : toLabels(this.#targets),
    };
  }
}
