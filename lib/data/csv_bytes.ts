/**
 * The byte-level CSV record reader behind the file readers and batch scoring. Records are read
 * from UTF-8 bytes: a plain row of numbers (and one label) goes through a fast path that reads
 * every number straight from the bytes, no string per field (a WebAssembly kernel,
 * wasm_numbers.ts, reads each run of number cells; what it declines, fast_float.ts's
 * `readNumbers` reads: 0.65x the reader's CPU time of `readNumbers` alone, same doubles); any
 * other row (quotes, spaces, a bad or odd cell, a ragged row) is read again by the full RFC 4180
 * path, which gives exactly the fields, errors, lines and columns csv-parse with the reader's
 * options gives, and checks them as the collectors always have. A row's outcome never depends
 * on which path read it.
 * @module
 */
import { DataError } from "../errors.ts";
import type { ChunkedInput } from "./chunked_input.ts";
import { decimalStop, readNumbers } from "./fast_float.ts";
import { MAX_CELLS, numberKernel } from "./wasm_numbers.ts";

const COMMA = 0x2c;
/** Bytes the WebAssembly number kernel is given at a time (a copy that stays in the L2 cache). */
const WINDOW = 256 * 1024;
/** A window is taken again when a row starts this close to its end. */
const WINDOW_MARGIN = 4096;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const MAX_LISTED = 20;
const MAX_SHOWN = 40;

/** Plainer words for the csv-parse errors the reader's options leave possible. */
export const CSV_PROBLEMS: Partial<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: "a quoted field is not closed by the end of the file",
  CSV_INVALID_CLOSING_QUOTE:
    'text follows a closing quote (inside a quoted field, write a quote as "")',
  INVALID_OPENING_QUOTE:
    'a quote inside an unquoted field (quote the whole field and write inner quotes as "")',
};

/** A cell or name as shown in a message: JSON-quoted, cut after 40 characters. */
export function quote(text: string): string {
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
  return JSON.stringify(shown);
}

/** Names as shown in a message: at most 20, then how many in all. */
export function list(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(", ");
  return names.length > MAX_LISTED ? `[${shown}, ... (${names.length} in all)]` : `[${shown}]`;
}

/**
 * Reads a cell as a finite number: JavaScript number syntax, surrounding spaces allowed; blank
 * cells and hex, octal or binary literals are not numbers. Returns NaN when it is not one.
 */
export function toNumber(cell: string): number {
  const v = +cell;
  if (v - v !== 0) return NaN; // NaN or an infinity
  if (v === 0 && cell.trim() === "") return NaN;
  const second = cell.charCodeAt(1) | 0x20;
  if (second === 0x78 || second === 0x6f || second === 0x62) return NaN; // 0x, 0o, 0b
  return v;
}

/** The error for a cell that is not a finite number. */
export function cellError(
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

/** The error for a record whose field count is not the header's. */
export function widthError(source: string, width: number, got: number, line: number): DataError {
  return new DataError(
    `${source}:${line}: expected ${width} fields (as in the header), got ${got}`,
  );
}

/** The error for a blank class label. */
export function labelError(source: string, line: number, name: string, column: number) {
  return new DataError(
    `${source}:${line}: column ${quote(name)} (${column + 1}): empty class label`,
  );
}

/** The error for malformed CSV, worded and placed as the csv-parse path words and places it. */
export function malformedError(
  source: string,
  line: number,
  column: number,
  header: readonly string[] | undefined,
  problem: string,
): DataError {
  const name = header?.[column];
  const where = name === undefined
    ? ` column ${column + 1}:`
    : ` column ${quote(name)} (${column + 1}):`;
  return new DataError(`${source}:${line}:${where} malformed CSV: ${problem}`);
}

/** How a file's records become rows: which file column fills which feature, and the label. */
export interface RowLayout {
  /** Name of the input in error messages. */
  readonly source: string;
  /** The header, in file order. */
  readonly header: readonly string[];
  /** For each file column, the feature it fills (index into a row), or -1 for the label. */
  readonly columns: Int32Array;
  /** Features per row. */
  readonly nFeatures: number;
  /**
   * Whether a row's label is checked after its features (training data) rather than in file
   * order (feature tables): which error a row with two problems reports first.
   */
  readonly labelLast: boolean;
}

/** Rows read so far: features row-major, and each row's label as an id into a dictionary. */
export class RowBlock {
  /** Row-major feature values; `rows * nFeatures` of them are filled. */
  x: Float64Array;
  /** Label id of each row, or nothing when the layout has no label column. */
  labels: Int32Array;
  /** Rows filled. */
  rows = 0;
  /**
   * The values' buffer when it is resizable (the rows were guessed, with a bound): it grows and
   * shrinks in place, so a wrong guess costs no copy and leaves no unused capacity.
   */
  #resizable: ArrayBuffer | undefined;

  /**
   * `capacity` rows to start with; `limit`, when given, the most rows the input can hold, which
   * lets the values grow in place up to it (address space is reserved, memory only as used).
   */
  constructor(
    readonly nFeatures: number,
    capacity: number,
    readonly hasLabels: boolean,
    limit = 0,
  ) {
    const rows = Math.max(1, capacity);
    const width = Math.max(1, nFeatures);
    let resizable: ArrayBuffer | undefined;
    if (limit > rows) {
      try {
        resizable = new ArrayBuffer(width * rows * 8, { maxByteLength: width * limit * 8 });
      } catch {
        // The address space could not be reserved: a plain array that doubles.
      }
    }
    this.#resizable = resizable;
    this.x = resizable
      ? new Float64Array(resizable, 0, width * rows)
      : new Float64Array(width * rows);
    this.labels = new Int32Array(hasLabels ? rows : 0);
  }

  /**
   * Stores the values in `x` from now on (filled rows are not moved): a fixed region, such as
   * a share of a buffer other threads fill beside it. Growing past it copies them out.
   */
  useValues(x: Float64Array): void {
    this.#resizable = undefined;
    this.x = x;
  }

  /** Makes room for one more row (doubling, for input longer than its line count said). */
  grow(): void {
    const buffer = this.#resizable;
    if (buffer !== undefined && buffer.byteLength < buffer.maxByteLength) {
      buffer.resize(Math.min(buffer.maxByteLength, buffer.byteLength * 2));
      this.x = new Float64Array(buffer, 0, buffer.byteLength / 8);
    } else {
      this.#resizable = undefined;
      const bigger = new Float64Array(this.x.length * 2);
      bigger.set(this.x);
      this.x = bigger;
    }
    if (this.hasLabels) {
      const labels = new Int32Array(Math.max(1024, this.labels.length * 2));
      labels.set(this.labels);
      this.labels = labels;
    }
  }

  /** The filled values: a view when little is unused (the usual case), else a trimmed copy. */
  values(): Float64Array {
    const n = this.rows * this.nFeatures;
    const buffer = this.#resizable;
    if (buffer !== undefined) {
      buffer.resize(Math.max(1, n) * 8);
      return new Float64Array(buffer, 0, n);
    }
    if (n === this.x.length) return this.x;
    return this.x.length - n <= Math.max(1024, n >> 3) ? this.x.subarray(0, n) : this.x.slice(0, n);
  }
}

/** Distinct labels in order of first appearance; rows refer to them by id. */
export class LabelDictionary {
  /** Each label's text, by id. */
  readonly names: string[] = [];
  readonly #ids = new Map<string, number>();
  /** The UTF-8 bytes each name was last seen as, for lookups without decoding. */
  readonly #keys: Uint8Array[] = [];
  readonly #keyIds: number[] = [];
  readonly #decoder = new TextDecoder();

  /** The UTF-8 bytes of the labels looked up by bytes so far (at most 64), for the kernel. */
  get byteKeys(): readonly Uint8Array[] {
    return this.#keys;
  }

  /** The id of each of {@linkcode byteKeys}. */
  get byteKeyIds(): readonly number[] {
    return this.#keyIds;
  }

  /** The id of a label given as text, or -1 when it is blank. */
  idOf(label: string): number {
    let id = this.#ids.get(label);
    if (id === undefined) {
      if (label.trim() === "") return -1;
      id = this.names.length;
      this.names.push(label);
      this.#ids.set(label, id);
    }
    return id;
  }

  /** The id of the label in `buf[start, end)`, or -1 when it is blank. */
  idOfBytes(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    const keys = this.#keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key.length !== n) continue;
      let same = true;
      for (let b = 0; b < n; b++) {
        if (key[b] !== buf[start + b]) {
          same = false;
          break;
        }
      }
      if (same) return this.#keyIds[k]!;
    }
    const id = this.idOf(this.#decoder.decode(buf.subarray(start, end)));
    // A few byte keys cover the usual label column; past that, decoding is the lookup.
    if (id >= 0 && keys.length < 64) {
      keys.push(buf.slice(start, end));
      this.#keyIds.push(id);
    }
    return id;
  }
}

/**
 * Counts the line ends in `buf[start, end)`: LF, CRLF (once) and a lone CR. A CR that is the
 * last byte counts as a line end.
 */
export function countLineEnds(buf: Uint8Array, start: number, end: number): number {
  // indexOf is native: one call per line end beats a JavaScript loop over every byte.
  const part = buf.subarray(start, end);
  let lines = 0;
  for (let i = part.indexOf(LF); i !== -1; i = part.indexOf(LF, i + 1)) lines++;
  for (let i = part.indexOf(CR); i !== -1; i = part.indexOf(CR, i + 1)) {
    if (part[i + 1] !== LF) lines++;
  }
  return lines;
}

/**
 * A row error's message with its line moved by `by`: errors from a chunk read on its own name
 * lines counted from the chunk's start (`source:LINE: ...`), and the file's line is known only
 * once the chunks before it are read.
 */
export function shiftLine(message: string, source: string, by: number): string {
  if (!message.startsWith(`${source}:`)) return message;
  const rest = message.slice(source.length + 1);
  const line = /^(\d+):/.exec(rest)?.[1];
  if (line === undefined) return message;
  return `${source}:${Number(line) + by}${rest.slice(line.length)}`;
}

/**
 * The end of the last complete record in `buf[start, end)` when more bytes may follow: just past
 * its line end, outside quotes (quotes are counted from `start`, a record's start). -1 when
 * there is no such line end. A CR as the last byte may be the first half of a CRLF, so it is not
 * taken as a record's end.
 */
export function lastRecordEnd(buf: Uint8Array, start: number, end: number): number {
  const part = buf.subarray(start, end);
  if (part.indexOf(QUOTE) === -1) {
    const lf = part.lastIndexOf(LF);
    if (lf !== -1) return start + lf + 1;
    let cr = part.lastIndexOf(CR);
    if (cr === part.length - 1) cr = cr > 0 ? part.lastIndexOf(CR, cr - 1) : -1;
    return cr === -1 ? -1 : start + cr + 1;
  }
  let inQuotes = false;
  let last = -1;
  for (let i = 0; i < part.length; i++) {
    const b = part[i]!;
    if (b === QUOTE) inQuotes = !inQuotes;
    else if (!inQuotes) {
      if (b === LF) last = i + 1;
      else if (b === CR && i + 1 < part.length && part[i + 1] !== LF) last = i + 1;
    }
  }
  return last === -1 ? -1 : start + last;
}

/** What {@linkcode CsvRecordReader.readRecord} found. */
const enum Read {
  /** A record, in `fields`. */
  Record,
  /** The bytes end inside a record: read more, then call again from the same place. */
  NeedMore,
  /** Nothing left but line ends (consumed). */
  End,
}

/**
 * Reads records from bytes, keeping the position, the line and, once known, the layout. Feed it
 * a buffer that starts at a record (or line) start; it reads as far as whole records go.
 */
export class CsvRecordReader {
  /** Position of the next unread byte in the last buffer given. */
  pos = 0;
  /** Line number (1-based) at `pos`. */
  line = 1;
  /** Fields of the last record read by {@linkcode readRecord}. */
  fields: string[] = [];
  /** Line the last record read by {@linkcode readRecord} starts on. */
  recordLine = 1;
  #layout: RowLayout | undefined;
  /** For the layout's columns: how many number columns follow from each on (itself included). */
  #runs: Int32Array | undefined;
  readonly #decoder = new TextDecoder();

  constructor(readonly source: string) {}

  /** Sets the layout rows are read with (after the header). */
  set layout(layout: RowLayout) {
    this.#layout = layout;
    this.#runs = undefined;
  }

  /**
   * Reads the next record (skipping blank lines) from `buf[pos, end)` into `fields` with the
   * full RFC 4180 rules. `final`: no bytes follow `end`.
   * @throws {DataError} for malformed CSV, naming the record's line and the field's column.
   */
  readRecord(buf: Uint8Array, end: number, final: boolean): Read {
    let i = this.pos;
    let line = this.line;
    // Blank lines.
    while (i < end) {
      const b = buf[i]!;
      if (b === LF) i++;
      else if (b === CR) {
        if (i + 1 < end) i += buf[i + 1] === LF ? 2 : 1;
        else if (final) i++;
        else break;
      } else break;
      line++;
    }
    if (i >= end) {
      if (!final) {
        this.pos = i;
        this.line = line;
        return Read.NeedMore;
      }
      this.pos = i;
      this.line = line;
      return Read.End;
    }
    const start = line;
    const fields: string[] = [];
    const decoder = this.#decoder;
    for (;;) {
      // One field, starting at i.
      let field = "";
      let b = buf[i];
      let fieldEnd = i;
      if (b === QUOTE) {
        let from = i + 1;
        let closed = false;
        let nulAfter = false;
        while (!closed) {
          const part = buf.subarray(from, end);
          const q = part.indexOf(QUOTE);
          if (q === -1) {
            if (!final) return this.#needMore();
            throw this.#malformed(start, fields.length, "CSV_QUOTE_NOT_CLOSED");
          }
          const at = from + q;
          line += countLineEnds(buf, from, at);
          // A CR just before the quote that follows an LF-less chunk is counted by countLineEnds.
          field += decoder.decode(buf.subarray(from, at));
          if (at + 1 >= end && !final) return this.#needMore();
          const next = at + 1 < end ? buf[at + 1]! : -1;
          if (next === QUOTE) {
            field += '"';
            from = at + 2;
          } else if (next === -1 || next === COMMA || next === LF || next === CR) {
            closed = true;
            fieldEnd = at + 1;
          } else if (next === 0) {
            // csv-parse takes a NUL after a quote as the end of the quotes, then reads on.
            closed = true;
            nulAfter = true;
            fieldEnd = at + 1;
          } else {
            throw this.#malformed(start, fields.length, "CSV_INVALID_CLOSING_QUOTE");
          }
        }
        if (nulAfter) {
          // The rest of the field is unquoted text, after something: a quote is an error.
          let k = fieldEnd;
          while (k < end) {
            const c = buf[k]!;
            if (c === COMMA || c === LF || c === CR) break;
            if (c === QUOTE) throw this.#malformed(start, fields.length, "INVALID_OPENING_QUOTE");
            k++;
          }
          if (k >= end && !final) return this.#needMore();
          field += decoder.decode(buf.subarray(fieldEnd, k));
          fieldEnd = k;
        }
      } else {
        let k = i;
        while (k < end) {
          const c = buf[k]!;
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) throw this.#malformed(start, fields.length, "INVALID_OPENING_QUOTE");
          k++;
        }
        if (k >= end && !final) return this.#needMore();
        field = decoder.decode(buf.subarray(i, k));
        fieldEnd = k;
      }
      fields.push(field);
      b = fieldEnd < end ? buf[fieldEnd] : undefined;
      if (b === COMMA) {
        i = fieldEnd + 1;
        if (i >= end) {
          if (!final) return this.#needMore();
          fields.push("");
          i = end;
          break;
        }
        continue;
      }
      // A line end or the end of the input ends the record.
      i = fieldEnd;
      if (b === LF) i++;
      else if (b === CR) {
        if (i + 1 < end) i += buf[i + 1] === LF ? 2 : 1;
        else if (final) i++;
        else return this.#needMore();
      }
      if (b !== undefined) line++;
      break;
    }
    this.fields = fields;
    this.recordLine = start;
    this.pos = i;
    this.line = line;
    return Read.Record;
  }

  #needMore(): Read {
    return Read.NeedMore;
  }

  #malformed(line: number, column: number, code: string): DataError {
    return malformedError(
      this.source,
      line,
      column,
      this.#layout?.header,
      CSV_PROBLEMS[code] ?? code,
    );
  }

  /**
   * Reads the header: the first record. Returns its fields, null when the input has none, or
   * undefined when more bytes are needed.
   */
  readHeader(buf: Uint8Array, end: number, final: boolean): string[] | null | undefined {
    const got = this.readRecord(buf, end, final);
    if (got === Read.NeedMore) return undefined;
    if (got === Read.End) return null;
    return this.fields;
  }

  /**
   * Reads every whole record of `buf[pos, end)` into `block` (and labels into `dict`), leaving
   * `pos` at the first byte of an incomplete one when `final` is false.
   * @throws {DataError} for the first bad record, as the collectors word it.
   */
  readRows(
    buf: Uint8Array,
    end: number,
    final: boolean,
    block: RowBlock,
    dict: LabelDictionary,
  ): void {
    const layout = this.#layout!;
    const columns = layout.columns;
    const width = columns.length;
    const p = block.nFeatures;
    let i = this.pos;
    let line = this.line;
    // The WebAssembly kernel reads each run of number cells (wasm_numbers.ts): runs[c] is the
    // number of number columns from column c on. What it leaves, readNumbers reads as before.
    // The kernel reads a copy of a window of the bytes, taken again as the rows near its end.
    const kernel = width <= MAX_CELLS && i < end ? numberKernel() : undefined;
    const runs = this.#runs ??= numberRuns(columns);
    let windowEnd = i;
    let delta = 0;
    let cells: Float64Array | undefined;
    // Whole plain rows are read by the kernel's rows function, many a call; the first row it
    // declines is read below, as before.
    const wholeRows = kernel !== undefined && kernel.layout(columns, p);
    let keysKnown = -1;
    while (i < end) {
      if (kernel !== undefined && windowEnd < end && i + WINDOW_MARGIN >= windowEnd) {
        windowEnd = Math.min(end, i + WINDOW);
        delta = kernel.load(buf, i, windowEnd);
        cells = kernel.out;
      }
      if (wholeRows) {
        if (dict.byteKeys.length !== keysKnown) {
          kernel.keys(dict.byteKeys, dict.byteKeyIds);
          keysKnown = dict.byteKeys.length;
        }
        let room = Math.min(
          kernel.maxRows,
          Math.floor(block.x.length / p) - block.rows,
          block.hasLabels ? block.labels.length - block.rows : kernel.maxRows,
        );
        if (room <= 0) {
          block.grow();
          room = 1;
        }
        const got = kernel.rows(i + delta, room);
        if (got > 0) {
          const base = block.rows;
          block.x.set(cells!.subarray(0, got * p), base * p);
          if (block.hasLabels) block.labels.set(kernel.labels.subarray(0, got), base);
          block.rows = base + got;
          line += got;
          i = kernel.stop() - delta;
          continue;
        }
      }
      const first = buf[i]!;
      if (first === LF || first === CR) {
        // A blank line.
        if (first === LF) i++;
        else if (i + 1 < end) i += buf[i + 1] === LF ? 2 : 1;
        else if (final) i++;
        else break;
        line++;
        continue;
      }
      if (
        (block.rows + 1) * p > block.x.length ||
        block.rows >= block.labels.length && block.hasLabels
      ) {
        block.grow();
      }
      const x = block.x;
      const row = block.rows;
      const offset = row * p;
      let k = i;
      let plain = true;
      let incomplete = false;
      let c = 0;
      while (c < width) {
        if (columns[c]! >= 0) {
          if (kernel !== undefined && k < windowEnd) {
            const run = runs[c]!;
            const got = kernel.cells(k + delta, run);
            const stop = kernel.stop() - delta;
            // At the window's end (not the input's) a cell may go on: readNumbers reads the run.
            const inside = stop < windowEnd || windowEnd === end;
            if (inside) {
              for (let j = 0; j < got; j++) x[offset + columns[c + j]!] = cells![j]!;
              k = stop;
              c += got;
            }
            if (inside && got === run) {
              if (c === width) continue;
              // A label column follows.
              if (k < end && buf[k] === COMMA) {
                k++;
                continue;
              }
              plain = false;
              break;
            }
          }
          // This and the next number columns, in one call (see readNumbers).
          const next = readNumbers(buf, k, end, x, offset, columns, c);
          k = decimalStop;
          if (next < 0) {
            // Not a number (or an infinity), or no comma after it: the full path words it.
            plain = false;
            break;
          }
          c = next;
          continue;
        }
        let e = k;
        while (e < end) {
          const b = buf[e]!;
          if (b === COMMA || b === LF || b === CR || b === QUOTE) break;
          e++;
        }
        if (e < end && buf[e] === QUOTE) {
          plain = false;
          break;
        }
        const id = dict.idOfBytes(buf, k, e);
        if (id < 0) {
          plain = false;
          break;
        }
        block.labels[row] = id;
        k = e;
        if (++c < width) {
          if (k < end && buf[k] === COMMA) {
            k++;
            continue;
          }
          plain = false;
          break;
        }
      }
      if (plain) {
        // After the last column: a line end, or the end of the input.
        if (k < end) {
          const b = buf[k]!;
          if (b === LF) k++;
          else if (b === CR) {
            if (k + 1 < end) k += buf[k + 1] === LF ? 2 : 1;
            else if (final) k++;
            else incomplete = true;
          } else plain = false;
        } else if (!final) incomplete = true;
      }
      if (incomplete) break;
      if (plain) {
        block.rows = row + 1;
        i = k;
        line++;
        continue;
      }
      // The full path, from the start of the record.
      this.pos = i;
      this.line = line;
      const got = this.readRecord(buf, end, final);
      if (got === Read.NeedMore) return;
      if (got === Read.End) break;
      this.#checkFields(this.fields, this.recordLine, block, dict);
      i = this.pos;
      line = this.line;
    }
    this.pos = i;
    this.line = line;
  }

  /** Checks and stores one record's fields as a row, as the collectors always have. */
  #checkFields(fields: string[], line: number, block: RowBlock, dict: LabelDictionary): void {
    const layout = this.#layout!;
    storeFields(layout, fields, line, block, dict);
  }
}

/** For each column, the number of number columns (entries >= 0) from it on, itself included. */
function numberRuns(columns: Int32Array): Int32Array {
  const runs = new Int32Array(columns.length);
  for (let c = columns.length - 1; c >= 0; c--) {
    runs[c] = columns[c]! < 0 ? 0 : 1 + (c + 1 < columns.length ? runs[c + 1]! : 0);
  }
  return runs;
}

/**
 * Checks a record's fields against `layout` and stores them as the next row of `block`: the
 * field count, then each feature cell and the label, in the layout's order.
 * @throws {DataError} naming the line and column of the first problem.
 */
export function storeFields(
  layout: RowLayout,
  fields: readonly string[],
  line: number,
  block: RowBlock,
  dict: LabelDictionary,
): void {
  const { columns, header, source } = layout;
  if (fields.length !== columns.length) {
    throw widthError(source, columns.length, fields.length, line);
  }
  if (
    (block.rows + 1) * block.nFeatures > block.x.length ||
    block.hasLabels && block.rows >= block.labels.length
  ) {
    block.grow();
  }
  const offset = block.rows * block.nFeatures;
  let labelColumn = -1;
  for (let c = 0; c < columns.length; c++) {
    const j = columns[c]!;
    const cell = fields[c]!;
    if (j < 0) {
      if (layout.labelLast) {
        labelColumn = c;
        continue;
      }
      const id = dict.idOf(cell);
      if (id < 0) throw labelError(source, line, header[c]!, c);
      block.labels[block.rows] = id;
      continue;
    }
    const v = toNumber(cell);
    if (v !== v) throw cellError(source, line, header[c]!, c, cell);
    block.x[offset + j] = v;
  }
  if (labelColumn >= 0) {
    const id = dict.idOf(fields[labelColumn]!);
    if (id < 0) throw labelError(source, line, header[labelColumn]!, labelColumn);
    block.labels[block.rows] = id;
  }
  block.rows++;
}

/**
 * Reads the records of `input` into `block` until the file ends or, with a limit set, until
 * every byte before the limit has been read; returns the file offset the reader stopped at: the
 * limit itself when the range ends on a record's end, else the start of the record that goes on
 * past it.
 * @throws {DataError} for the first bad record.
 */
export function readInput(
  input: ChunkedInput,
  reader: CsvRecordReader,
  block: RowBlock,
  dict: LabelDictionary,
): number {
  for (;;) {
    reader.readRows(input.buf, input.end, input.final, block, dict);
    if (input.final || input.atLimit) return input.consumed + reader.pos;
    reader.pos = input.more(reader.pos);
  }
}
