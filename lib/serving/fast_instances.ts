/**
 * The prediction bodies nearly every client sends, `{"features":[...]}`, `{"features":{...}}` and
 * `{"instances":[[...],...]}`, read straight from the request bytes into a `Float64Array`, with
 * no string, no `JSON.parse` and no intermediate arrays or objects. Anything else (another shape,
 * a bad value, escapes in a key, a number JSON cannot hold) is left to `JSON.parse` and
 * {@link parseInstances}, which accept the same bodies and name what is wrong: this reader only
 * ever answers for a body that those would accept, with the same numbers.
 * @module
 */
import type { Instances } from "./instances.ts";

/** What {@link readInstances} needs of the model. */
export interface FastInstancesOptions {
  /** The model's feature names, in order. */
  readonly features: readonly string[];
  /** Most rows accepted in one request. */
  readonly maxInstances: number;
  /** Name lookup (see featureIndex in instances.ts). */
  readonly index: ReadonlyMap<string, number>;
}

// The reader's state: one body at a time (the handler is synchronous while it reads).
let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;

/** Powers of ten a double holds exactly: m * 10^e and m / 10^e then round once, correctly. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Past this, a decimal mantissa is no longer exact in a double. */
const EXACT = 2 ** 53;
/** A value that is no finite number: the body goes to the full parser. */
const FAIL = NaN;

function skipWs(): void {
  while (pos < end) {
    const c = buf[pos]!;
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
    pos++;
  }
}

/** Consumes `c` (after white space); false when the next character is another. */
function expect(c: number): boolean {
  skipWs();
  if (buf[pos] !== c) return false;
  pos++;
  return true;
}

const LATIN1 = new TextDecoder("latin1");
/** The body as text, one character per byte, made when a number first needs it. */
let text: string | undefined;

/**
 * A number with more digits than a double holds exactly (17-digit shortest round-trip text is
 * common) or a large exponent: converted from its text, as JSON.parse does.
 */
function slowNumber(start: number): number {
  text ??= LATIN1.decode(buf);
  return Number(text.slice(start, pos));
}

/**
 * A JSON number at `pos`, exactly as `JSON.parse` reads it; NaN when there is none (or it is not
 * finite, which JSON.parse would give as Infinity and the full parser refuses by name).
 */
function readNumber(): number {
  skipWs();
  const start = pos;
  let c = buf[pos]!;
  const neg = c === 45;
  if (neg) c = buf[++pos]!;
  let m = 0;
  let scale = 0;
  if (c === 48) {
    c = buf[++pos]!;
  } else if (c >= 49 && c <= 57) {
    do {
      m = m * 10 + (c - 48);
      c = buf[++pos]!;
    } while (c >= 48 && c <= 57);
  } else {
    return FAIL;
  }
  if (c === 46) {
    c = buf[++pos]!;
    if (!(c >= 48 && c <= 57)) return FAIL;
    do {
      m = m * 10 + (c - 48);
      scale++;
      c = buf[++pos]!;
    } while (c >= 48 && c <= 57);
  }
  let exp = 0;
  if (c === 101 || c === 69) {
    c = buf[++pos]!;
    const eneg = c === 45;
    if (eneg || c === 43) c = buf[++pos]!;
    if (!(c >= 48 && c <= 57)) return FAIL;
    do {
      if (exp < 100_000) exp = exp * 10 + (c - 48);
      c = buf[++pos]!;
    } while (c >= 48 && c <= 57);
    if (eneg) exp = -exp;
  }
  if (pos > end) return FAIL;
  const e10 = exp - scale;
  let v: number;
  if (m < EXACT && e10 >= -22 && e10 <= 22) {
    v = e10 >= 0 ? m * POW10[e10]! : m / POW10[-e10]!;
    if (neg) v = -v;
  } else {
    v = slowNumber(start);
  }
  return Number.isFinite(v) ? v : FAIL;
}

/** `[n, n, ...]` of exactly `p` numbers into `x` at `offset`; false for anything else. */
function readRow(x: Float64Array, offset: number, p: number): boolean {
  if (!expect(91)) return false;
  for (let j = 0; j < p; j++) {
    if (j > 0 && !expect(44)) return false;
    const v = readNumber();
    if (v !== v) return false;
    x[offset + j] = v;
  }
  return expect(93);
}

/** A key of plain ASCII (no escapes) at `pos`, as a string; undefined for anything else. */
function readKey(): string | undefined {
  if (!expect(34)) return undefined;
  const start = pos;
  while (pos < end) {
    const c = buf[pos]!;
    if (c === 34) break;
    if (c === 92 || c < 32 || c > 126) return undefined;
    pos++;
  }
  if (pos >= end) return undefined;
  let s = "";
  for (let i = start; i < pos; i++) s += String.fromCharCode(buf[i]!);
  pos++;
  return s;
}

/** `{"name": n, ...}` naming every feature exactly once, into `x` at `offset`. */
function readNamedRow(x: Float64Array, offset: number, o: FastInstancesOptions): boolean {
  if (!expect(123)) return false;
  const p = o.features.length;
  // Which features were given: a repeated or missing one goes to the full parser.
  SEEN.fill(0, 0, p);
  for (let j = 0; j < p; j++) {
    if (j > 0 && !expect(44)) return false;
    const key = readKey();
    const col = key === undefined ? undefined : o.index.get(key);
    if (col === undefined || !expect(58)) return false;
    if (SEEN[col] === 1) return false;
    SEEN[col] = 1;
    const v = readNumber();
    if (v !== v) return false;
    x[offset + col] = v;
  }
  return expect(125);
}

/** Most features the reader takes; a wider model's bodies go to the full parser. */
const MAX_FEATURES = 4096;
const SEEN = new Uint8Array(MAX_FEATURES);

/** True when only white space is left. */
function atEnd(): boolean {
  skipWs();
  return pos === end;
}

/** Counts the rows of `[[...],[...]]` ahead (a first pass: the matrix is allocated once). */
function countRows(): number {
  let depth = 0;
  let rows = 0;
  for (let i = pos; i < end; i++) {
    const c = buf[i]!;
    if (c === 91) {
      if (++depth === 2) rows++;
    } else if (c === 93) {
      if (--depth === 0) return rows;
    } else if (c === 34 || c === 123) {
      return -1;
    }
  }
  return -1;
}

/**
 * Reads `{"features": row}` (a row of numbers in feature order, or an object of numbers by
 * name) or `{"instances": [[...], ...]}` from the body's bytes. Returns undefined when the body
 * is anything else: the caller then parses it in full (`JSON.parse` and `parseInstances`), which
 * gives the same rows for every body this accepts and a precise error for the rest.
 *
 * @example
 * ```ts
 * const body = new TextEncoder().encode('{"features":[0.5,1.2]}');
 * const rows = readInstances(body, { features: ["a", "b"], maxInstances: 10, index });
 * // rows: { x: Float64Array [0.5, 1.2], nRows: 1, single: true }
 * ```
 */
export function readInstances(
  body: Uint8Array,
  o: FastInstancesOptions,
): Instances | undefined {
  buf = body;
  pos = 0;
  end = body.length;
  text = undefined;
  try {
    return read(o);
  } finally {
    buf = EMPTY;
    text = undefined;
  }
}

const EMPTY = new Uint8Array(0);

function read(o: FastInstancesOptions): Instances | undefined {
  const p = o.features.length;
  if (p > MAX_FEATURES || !expect(123)) return undefined;
  const key = readKey();
  if (!expect(58)) return undefined;
  if (key === "features") {
    skipWs();
    const x = new Float64Array(p);
    const ok = buf[pos] === 123 ? readNamedRow(x, 0, o) : readRow(x, 0, p);
    if (!ok || !expect(125) || !atEnd()) return undefined;
    return { x, nRows: 1, single: true };
  }
  if (key !== "instances") return undefined;
  skipWs();
  const n = countRows();
  // Too many rows is refused by the full parser, after it has checked the rest of the body.
  if (n < 1 || n > o.maxInstances) return undefined;
  if (!expect(91)) return undefined;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    if (i > 0 && !expect(44)) return undefined;
    if (!readRow(x, i * p, p)) return undefined;
  }
  if (!expect(93) || !expect(125) || !atEnd()) return undefined;
  return { x, nRows: n, single: false };
}
