/**
 * The CSV reader's plain-cell number parser in WebAssembly: one call reads a run of consecutive
 * comma-separated number cells of a row into float64, bit for bit the doubles `Number(text)`
 * gives. The JavaScript parser (fast_float.ts's `readNumbers`) is too long for V8 to inline, so
 * a call per row costs ~52-57 ns per cell; this kernel does the same work in straight-line
 * WebAssembly with 64-bit integer arithmetic.
 *
 * It handles a cell of the form `[+-]digits[.digits][(e|E)[+-]digits]` with 1 to 19 digits
 * after any leading zeros (which add nothing to the mantissa) as fast_float.ts does, in the same order: a zero mantissa gives ±0;
 * Clinger's fast path (mantissa below 2^53, power of ten within 10^±22, one correctly rounded
 * multiplication or division); otherwise Eisel-Lemire with the same 128-bit power-of-five table
 * (fast_float.ts's `powerOfFiveTable`, copied into the kernel's memory), the 64x64-bit products
 * from 32-bit halves, and the same rounding, subnormal and exact-tie steps as `eiselLemire`.
 * (Where fast_float.ts first tries double-double arithmetic, for 16 to 19 digits and 10^±22,
 * the kernel goes straight to Eisel-Lemire: both give the correctly rounded double or decline.)
 *
 * Whatever it cannot decide it leaves to the JavaScript path, which reads that cell and the rest
 * of the row exactly as before: a cell of another form or more than 19 digits, a product whose
 * low bits leave the rounding open, an overflow to infinity, or a cell not followed by a comma
 * where one must follow. So a row's values, and every error, line and column, stay as they were.
 *
 * Bytes are read from a copy of the chunk in the kernel's memory, with a zero byte after it
 * (no number continues with one, so the kernel needs no end check).
 * @module
 */
import { Code, F64, I32, I64, moduleBytes, Op, uleb, VOID } from "../forest/wasm_asm.ts";
import { LARGEST_POWER_OF_TEN, powerOfFiveTable, SMALLEST_POWER_OF_TEN } from "./fast_float.ts";

const PAGE = 65536;
/** Where the kernel writes the index of the byte it stopped at (int32). */
const STOP = 0;
/** 10^0 .. 10^22 (float64). */
const P10 = 8;
/** The power-of-five table: for each q, the upper then the lower 64 bits of 5^q. */
const TABLE = 256;
/** The values read (float64), one per cell. */
const OUT = 16384;
/** The most cells one call reads. */
export const MAX_CELLS = 8192;
/** The rows function's layout: the file's column count, the features a row has, the labels known. */
const WIDTH = 192;
const FEATURES = 196;
const KEY_COUNT = 200;
/** For each file column, the feature it fills, or -1 for the label (int32). */
const COLUMNS = OUT + 8 * MAX_CELLS;
/** The most file columns the rows function reads. */
export const MAX_COLUMNS = 1024;
/** Each row's label id (int32), as the rows function read them. */
const LABELS = COLUMNS + 4 * MAX_COLUMNS;
/** The most rows one call of the rows function reads. */
const MAX_ROWS = 4096;
/** The labels known, a slot each: byte length (int32), id (int32), then the bytes. */
const KEYS = LABELS + 4 * MAX_ROWS;
const KEY_SLOT = 64;
/** The most labels the rows function knows, and the longest. */
const MAX_KEYS = 64;
const MAX_KEY_BYTES = KEY_SLOT - 8;
/** Where the chunk's copy starts. */
const DATA = 2 * PAGE;

/** The kernel: {@linkcode NumberKernel.load} a chunk, then {@linkcode NumberKernel.cells}. */
export interface NumberKernel {
  /**
   * Copies `buf[start, end)` into the kernel's memory (a zero byte after it) and returns the
   * amount to add to an index of `buf` to get its address there.
   */
  load(buf: Uint8Array, start: number, end: number): number;
  /**
   * Reads up to `n` (at most {@linkcode MAX_CELLS}) number cells from address `at`, a comma
   * between each two, into {@linkcode NumberKernel.out}; returns how many it read. After `n`
   * cells, {@linkcode NumberKernel.stop} is just past the last one; after fewer, it is the start
   * of the cell it left to the caller.
   */
  readonly cells: (at: number, n: number) => number;
  /** The address {@linkcode NumberKernel.cells} stopped at. */
  stop(): number;
  /** The values the last {@linkcode NumberKernel.cells} read (a view: fetch it after `load`). */
  out: Float64Array;
  /**
   * Sets the row layout {@linkcode NumberKernel.rows} reads: for each file column the feature it
   * fills or -1 for the label, and the features a row has. False when it has too many columns.
   */
  layout(columns: Int32Array, features: number): boolean;
  /** Tells {@linkcode NumberKernel.rows} the labels known: their UTF-8 bytes and ids. */
  keys(keys: readonly Uint8Array[], ids: readonly number[]): void;
  /**
   * Reads up to `n` whole plain rows from address `at` (see {@linkcode rowsCode}) into
   * {@linkcode NumberKernel.out} (row-major, the layout's features a row) and their label ids
   * into {@linkcode NumberKernel.labels}; returns how many. {@linkcode NumberKernel.stop} is
   * then the start of the first row not read.
   */
  readonly rows: (at: number, n: number) => number;
  /** The most rows {@linkcode NumberKernel.rows} reads in one call for the layout set. */
  maxRows: number;
  /** The label ids the last {@linkcode NumberKernel.rows} read (a view: fetch it after `load`). */
  labels: Int32Array;
}

/** Local variables of the kernel, by name. */
const L = {
  p: 0,
  n: 1,
  cnt: 2,
  c: 3,
  neg: 4,
  nd: 5,
  cellStart: 6,
  mark: 7,
  exp: 8,
  expNeg: 9,
  scale: 10,
  lz: 11,
  upper: 12,
  power2: 13,
  shift: 14,
  d: 15,
  half: 16,
  entry: 17,
  w: 18,
  hi: 19,
  lo: 20,
  a: 21,
  b: 22,
  t1: 23,
  t2: 24,
  t3: 25,
  t4: 26,
  mid: 27,
  mant: 28,
  m: 29,
  hi2: 30,
  v: 31,
  /** Leading zero digits (they add nothing to `w`, so they do not count toward its 19). */
  zeros: 32,
} as const;
const I32_LOCALS = 16; // cnt .. entry
/** The rows function's own locals, after the cell parser's. */
const R = {
  row: 33,
  col: 34,
  feat: 35,
  rowStart: 36,
  out: 37,
  ks: 38,
  ka: 39,
  ls: 40,
  len: 41,
  b: 42,
} as const;
const ROW_LOCALS = 10;
const I64_LOCALS = 13; // w .. hi2
const F64_LOCALS = 1; // v
const ZERO_LOCALS = 1; // zeros

/** Structured control flow with named labels (branch depths computed). */
class Emitter {
  readonly code = new Code();
  readonly #labels: string[] = [];
  #open(op: number, label: string, body: () => void): void {
    this.code.op(op, VOID);
    this.#labels.push(label);
    body();
    this.#labels.pop();
    this.code.op(Op.end);
  }
  block(label: string, body: () => void): void {
    this.#open(Op.block, label, body);
  }
  loop(label: string, body: () => void): void {
    this.#open(Op.loop, label, body);
  }
  /** `if` on the i32 on the stack. */
  when(then: () => void, otherwise?: () => void): void {
    this.code.op(Op.if, VOID);
    this.#labels.push("");
    then();
    if (otherwise !== undefined) {
      this.code.op(Op.else);
      otherwise();
    }
    this.#labels.pop();
    this.code.op(Op.end);
  }
  #depth(label: string): number[] {
    const at = this.#labels.lastIndexOf(label);
    if (at < 0) throw new Error(`no label ${label}`);
    return uleb(this.#labels.length - 1 - at);
  }
  br(label: string): void {
    this.code.op(Op.br, ...this.#depth(label));
  }
  brIf(label: string): void {
    this.code.op(Op.brIf, ...this.#depth(label));
  }
}

const M32 = 0xffffffffn;

/** hi:lo = a × b (unsigned 64 x 64 -> 128 bits) from four 32 x 32-bit products. */
function mul128(e: Emitter, a: number, b: number, hi: number, lo: number | undefined): void {
  const c = e.code;
  c.get(a).i64(M32).op(Op.i64And).get(b).i64(M32).op(Op.i64And).op(Op.i64Mul).set(L.t1);
  c.get(a).i64(M32).op(Op.i64And).get(b).i64(32n).op(Op.i64ShrU).op(Op.i64Mul).set(L.t2);
  c.get(a).i64(32n).op(Op.i64ShrU).get(b).i64(M32).op(Op.i64And).op(Op.i64Mul).set(L.t3);
  c.get(a).i64(32n).op(Op.i64ShrU).get(b).i64(32n).op(Op.i64ShrU).op(Op.i64Mul).set(L.t4);
  // mid < 3·2^32: the middle words and the carry out of the low one.
  c.get(L.t1).i64(32n).op(Op.i64ShrU)
    .get(L.t2).i64(M32).op(Op.i64And).op(Op.i64Add)
    .get(L.t3).i64(M32).op(Op.i64And).op(Op.i64Add)
    .set(L.mid);
  if (lo !== undefined) {
    c.get(L.mid).i64(32n).op(Op.i64Shl).get(L.t1).i64(M32).op(Op.i64And).op(Op.i64Or).set(lo);
  }
  c.get(L.t4)
    .get(L.t2).i64(32n).op(Op.i64ShrU).op(Op.i64Add)
    .get(L.t3).i64(32n).op(Op.i64ShrU).op(Op.i64Add)
    .get(L.mid).i64(32n).op(Op.i64ShrU).op(Op.i64Add)
    .set(hi);
}

/** Digits into `w` (and their count into `nd`) while `c` is one. */
function digits(e: Emitter): void {
  const c = e.code;
  e.block("digitsDone", () => {
    e.loop("digit", () => {
      c.get(L.c).i32(0x30).op(Op.i32Sub).tee(L.d).i32(10).op(Op.i32GeU);
      e.brIf("digitsDone");
      c.get(L.w).i64(10n).op(Op.i64Mul).get(L.d).op(Op.i64ExtendI32U).op(Op.i64Add).tee(L.w);
      // A zero digit with nothing but zeros before it (w wraps past 19 digits, but never then).
      c.op(Op.i64Eqz).get(L.nd).get(L.zeros).op(Op.i32Eq).op(Op.i32And);
      c.get(L.zeros).op(Op.i32Add).set(L.zeros);
      c.get(L.nd).i32(1).op(Op.i32Add).set(L.nd);
      next(c);
      e.br("digit");
    });
  });
}

/**
 * Eight digits at a time while eight follow (one little-endian 64-bit load, checked for eight
 * ASCII digits and combined with three multiplications, as fast_float.ts does with two 32-bit
 * words): w = w·10^8 + their value. A load reaching past the window holds its zero byte, so it is
 * never taken for digits.
 */
function eightDigits(e: Emitter): void {
  const c = e.code;
  e.block("eightDone", () => {
    e.loop("eight", () => {
      c.get(L.p).loadI64(0).set(L.m);
      c.get(L.m).i64(0xf0f0f0f0f0f0f0f0n).op(Op.i64And);
      c.get(L.m).i64(0x0606060606060606n).op(Op.i64Add).i64(0xf0f0f0f0f0f0f0f0n).op(Op.i64And)
        .i64(4n).op(Op.i64ShrU);
      c.op(Op.i64Or).i64(0x3333333333333333n).op(Op.i64Eq).op(Op.i32Eqz);
      e.brIf("eightDone");
      c.get(L.m).i64(0x3030303030303030n).op(Op.i64Sub).set(L.m);
      // With nothing but zeros before them, this chunk's leading zero digits (its low bytes).
      c.get(L.nd).get(L.zeros).op(Op.i32Eq);
      e.when(() => {
        c.get(L.m).op(Op.i64Ctz).op(Op.i32WrapI64).i32(3).op(Op.i32ShrU).get(L.zeros)
          .op(Op.i32Add).set(L.zeros);
      });
      c.get(L.m).i64(10n).op(Op.i64Mul).get(L.m).i64(8n).op(Op.i64ShrU).op(Op.i64Add).set(L.m);
      c.get(L.m).i64(0x000000ff000000ffn).op(Op.i64And).i64(0x000f424000000064n).op(Op.i64Mul);
      c.get(L.m).i64(16n).op(Op.i64ShrU).i64(0x000000ff000000ffn).op(Op.i64And)
        .i64(0x0000271000000001n).op(Op.i64Mul).op(Op.i64Add).i64(32n).op(Op.i64ShrU).set(L.m);
      c.get(L.w).i64(100000000n).op(Op.i64Mul).get(L.m).op(Op.i64Add).set(L.w);
      c.get(L.nd).i32(8).op(Op.i32Add).set(L.nd);
      c.get(L.p).i32(8).op(Op.i32Add).set(L.p);
      e.br("eight");
    });
  });
  c.get(L.p).loadU8().set(L.c);
}

/** p++, c = the byte at p. */
function next(c: Code): void {
  c.get(L.p).i32(1).op(Op.i32Add).tee(L.p).loadU8().set(L.c);
}

/** An optional sign at `c`: `negative` = 1 after a minus, else 0; a sign is stepped over. */
function sign(e: Emitter, negative: number): void {
  const c = e.code;
  c.i32(0).set(negative);
  c.get(L.c).i32(0x2d).op(Op.i32Eq);
  e.when(() => {
    c.i32(1).set(negative);
    next(c);
  }, () => {
    c.get(L.c).i32(0x2b).op(Op.i32Eq);
    e.when(() => next(c));
  });
}

/**
 * Reads the number cell at `p` into `v` (its sign applied), leaving `c` the byte after it, or
 * branches to "fail" when the kernel cannot decide (`cellStart` is the cell's start).
 */
function numberCell(e: Emitter): void {
  const c = e.code;
  // Sign.
  c.get(L.p).tee(L.cellStart).loadU8().set(L.c);
  sign(e, L.neg);
  // Digits, then a point and more digits.
  c.i64(0n).set(L.w).i32(0).set(L.nd).i32(0).set(L.scale).i32(0).set(L.zeros);
  digits(e);
  c.get(L.c).i32(0x2e).op(Op.i32Eq);
  e.when(() => {
    c.get(L.p).i32(1).op(Op.i32Add).tee(L.p).set(L.mark);
    eightDigits(e);
    digits(e);
    c.get(L.mark).get(L.p).op(Op.i32Sub).set(L.scale);
  });
  c.get(L.nd).op(Op.i32Eqz);
  e.brIf("fail");
  c.get(L.nd).get(L.zeros).op(Op.i32Sub).i32(19).op(Op.i32GtS);
  e.brIf("fail");
  // Exponent.
  c.get(L.c).i32(0x20).op(Op.i32Or).i32(0x65).op(Op.i32Eq);
  e.when(() => {
    next(c);
    sign(e, L.expNeg);
    c.get(L.p).set(L.mark).i32(0).set(L.exp);
    e.block("expDone", () => {
      e.loop("expDigit", () => {
        c.get(L.c).i32(0x30).op(Op.i32Sub).tee(L.d).i32(10).op(Op.i32GeU);
        e.brIf("expDone");
        c.get(L.exp).i32(100000).op(Op.i32LtS);
        e.when(() => {
          c.get(L.exp).i32(10).op(Op.i32Mul).get(L.d).op(Op.i32Add).set(L.exp);
        });
        next(c);
        e.br("expDigit");
      });
    });
    c.get(L.p).get(L.mark).op(Op.i32Eq);
    e.brIf("fail");
    c.i32(0).get(L.exp).op(Op.i32Sub).get(L.exp).get(L.expNeg).op(Op.select);
    c.get(L.scale).op(Op.i32Add).set(L.scale);
  });
  e.block("value", () => value(e));
  c.get(L.neg);
  e.when(() => c.get(L.v).op(Op.f64Neg).set(L.v));
}

/** The kernel's `cells(at, n) -> count`. */
function kernelCode(): Code {
  const e = new Emitter();
  const c = e.code;
  e.loop("cells", () => {
    e.block("fail", () => {
      numberCell(e);
      // Store it; after n cells, done; else a comma must follow.
      c.get(L.cnt).i32(3).op(Op.i32Shl).get(L.v).storeF64(OUT);
      c.get(L.cnt).i32(1).op(Op.i32Add).get(L.n).op(Op.i32Eq);
      e.when(() => {
        c.i32(0).get(L.p).storeI32(STOP).get(L.n).op(Op.return);
      });
      // (Without the comma the caller reads this cell again, and finds the row not plain.)
      c.get(L.c).i32(0x2c).op(Op.i32Ne);
      e.brIf("fail");
      c.get(L.cnt).i32(1).op(Op.i32Add).set(L.cnt);
      c.get(L.p).i32(1).op(Op.i32Add).set(L.p);
      e.br("cells");
    });
    // Left to the caller: this cell and the rest.
    c.i32(0).get(L.cellStart).storeI32(STOP).get(L.cnt).op(Op.return);
  });
  c.get(L.cnt);
  return c;
}

/**
 * The kernel's `rows(at, n) -> count`: reads whole rows while each is plain: every feature cell
 * a number {@linkcode numberCell} decides, the label cell's bytes one of the labels known (no
 * quote, no zero byte), a comma after each cell but the last and LF or CRLF after the last.
 * Values go to OUT (row after row, each cell at its feature), label ids to LABELS. The first row
 * that is not plain (or the zero byte after the window) ends the call: STOP is its start, and the
 * caller reads it as before, so what the kernel declines reads exactly as it always has.
 */
function rowsCode(): Code {
  const e = new Emitter();
  const c = e.code;
  e.block("fail", () => {
    e.loop("row", () => {
      c.get(R.row).get(L.n).op(Op.i32Eq);
      e.when(() => {
        c.i32(0).get(L.p).storeI32(STOP).get(R.row).op(Op.return);
      });
      c.get(L.p).set(R.rowStart);
      c.get(R.row).i32(0).loadI32(FEATURES).op(Op.i32Mul).i32(3).op(Op.i32Shl).set(R.out);
      c.i32(0).set(R.col);
      e.loop("column", () => {
        c.get(R.col).i32(2).op(Op.i32Shl).loadI32(COLUMNS).tee(R.feat).i32(0).op(Op.i32GeS);
        e.when(() => {
          numberCell(e);
          c.get(R.out).get(R.feat).i32(3).op(Op.i32Shl).op(Op.i32Add).get(L.v).storeF64(OUT);
        }, () => {
          // The label: up to a comma or a line end; a quote or the zero byte is not plain.
          c.get(L.p).tee(R.ls).loadU8().set(L.c);
          e.block("labelEnd", () => {
            e.loop("labelByte", () => {
              c.get(L.c).i32(0x2c).op(Op.i32Eq);
              c.get(L.c).i32(0x0a).op(Op.i32Eq).op(Op.i32Or);
              c.get(L.c).i32(0x0d).op(Op.i32Eq).op(Op.i32Or);
              c.get(L.c).i32(0x22).op(Op.i32Eq).op(Op.i32Or);
              c.get(L.c).op(Op.i32Eqz).op(Op.i32Or);
              e.brIf("labelEnd");
              next(c);
              e.br("labelByte");
            });
          });
          c.get(L.c).i32(0x22).op(Op.i32Eq).get(L.c).op(Op.i32Eqz).op(Op.i32Or);
          e.brIf("fail");
          c.get(L.p).get(R.ls).op(Op.i32Sub).set(R.len);
          c.i32(0).set(R.ks);
          e.block("found", () => {
            e.loop("key", () => {
              c.get(R.ks).i32(0).loadI32(KEY_COUNT).op(Op.i32GeS);
              e.brIf("fail");
              c.get(R.ks).i32(6).op(Op.i32Shl).i32(KEYS).op(Op.i32Add).tee(R.ka).loadI32();
              c.get(R.len).op(Op.i32Eq);
              e.when(() => {
                c.i32(0).set(R.b);
                e.block("differ", () => {
                  e.loop("byte", () => {
                    c.get(R.b).get(R.len).op(Op.i32Eq);
                    e.brIf("found");
                    c.get(R.ka).get(R.b).op(Op.i32Add).loadU8(8);
                    c.get(R.ls).get(R.b).op(Op.i32Add).loadU8().op(Op.i32Ne);
                    e.brIf("differ");
                    c.get(R.b).i32(1).op(Op.i32Add).set(R.b);
                    e.br("byte");
                  });
                });
              });
              c.get(R.ks).i32(1).op(Op.i32Add).set(R.ks);
              e.br("key");
            });
          });
          c.get(R.row).i32(2).op(Op.i32Shl).get(R.ka).loadI32(4).storeI32(LABELS);
        });
        c.get(R.col).i32(1).op(Op.i32Add).tee(R.col).i32(0).loadI32(WIDTH).op(Op.i32Eq);
        e.when(() => {
          // The row's end: LF or CRLF.
          c.get(L.c).i32(0x0a).op(Op.i32Eq);
          e.when(() => {
            c.get(L.p).i32(1).op(Op.i32Add).set(L.p);
          }, () => {
            c.get(L.c).i32(0x0d).op(Op.i32Ne);
            c.get(L.p).loadU8(1).i32(0x0a).op(Op.i32Ne).op(Op.i32Or);
            e.brIf("fail");
            c.get(L.p).i32(2).op(Op.i32Add).set(L.p);
          });
          c.get(R.row).i32(1).op(Op.i32Add).set(R.row);
          e.br("row");
        });
        c.get(L.c).i32(0x2c).op(Op.i32Ne);
        e.brIf("fail");
        c.get(L.p).i32(1).op(Op.i32Add).set(L.p);
        e.br("column");
      });
    });
  });
  c.i32(0).get(R.rowStart).storeI32(STOP).get(R.row);
  return c;
}

/** v = w × 10^scale (w, scale as read), or a branch to "fail" when the kernel cannot decide. */
function value(e: Emitter): void {
  const c = e.code;
  c.get(L.w).op(Op.i64Eqz);
  e.when(() => {
    c.f64(0).set(L.v);
    e.br("value");
  });
  // Clinger: w < 2^53 and |scale| <= 22.
  c.get(L.w).i64(1n << 53n).op(Op.i64LtU);
  c.get(L.scale).i32(-22).op(Op.i32GeS).op(Op.i32And);
  c.get(L.scale).i32(22).op(Op.i32LeS).op(Op.i32And);
  e.when(() => {
    c.get(L.scale).i32(0).op(Op.i32LtS);
    e.when(() => {
      c.get(L.w).op(Op.f64ConvertI64U);
      c.i32(0).get(L.scale).op(Op.i32Sub).i32(3).op(Op.i32Shl).loadF64(P10);
      c.op(Op.f64Div).set(L.v);
    }, () => {
      c.get(L.w).op(Op.f64ConvertI64U);
      c.get(L.scale).i32(3).op(Op.i32Shl).loadF64(P10);
      c.op(Op.f64Mul).set(L.v);
    });
    e.br("value");
  });
  // Outside the table: 0, or an infinity (left to the caller).
  c.get(L.scale).i32(SMALLEST_POWER_OF_TEN).op(Op.i32LtS);
  e.when(() => {
    c.f64(0).set(L.v);
    e.br("value");
  });
  c.get(L.scale).i32(LARGEST_POWER_OF_TEN).op(Op.i32GtS);
  e.brIf("fail");
  // Eisel-Lemire, as fast_float.ts's eiselLemire().
  c.get(L.w).op(Op.i64Clz).tee(L.m).op(Op.i32WrapI64).set(L.lz);
  c.get(L.w).get(L.m).op(Op.i64Shl).set(L.a);
  c.get(L.scale).i32(-SMALLEST_POWER_OF_TEN).op(Op.i32Add).i32(4).op(Op.i32Shl).set(L.entry);
  c.get(L.entry).loadI64(TABLE).set(L.b);
  mul128(e, L.a, L.b, L.hi, L.lo);
  c.get(L.hi).i64(0x1ffn).op(Op.i64And).i64(0x1ffn).op(Op.i64Eq);
  e.when(() => {
    // The lower half of the table entry could carry into the low bits of the upper half.
    c.get(L.entry).loadI64(TABLE + 8).set(L.b);
    mul128(e, L.a, L.b, L.hi2, undefined);
    c.get(L.lo).get(L.hi2).op(Op.i64Add).tee(L.lo).get(L.hi2).op(Op.i64LtU);
    e.when(() => c.get(L.hi).i64(1n).op(Op.i64Add).set(L.hi));
    c.get(L.lo).i64(-1n).op(Op.i64Eq);
    c.get(L.scale).i32(-27).op(Op.i32LtS).get(L.scale).i32(55).op(Op.i32GtS).op(Op.i32Or);
    c.op(Op.i32And);
    e.brIf("fail");
  });
  c.get(L.hi).i64(63n).op(Op.i64ShrU).op(Op.i32WrapI64).tee(L.upper).i32(9).op(Op.i32Add)
    .set(L.shift);
  // The upper 53 of the product's leading 54 bits, and the one below them.
  c.get(L.hi).get(L.shift).i32(1).op(Op.i32Add).op(Op.i64ExtendI32U).op(Op.i64ShrU).set(L.mant);
  c.get(L.hi).get(L.shift).op(Op.i64ExtendI32U).op(Op.i64ShrU).op(Op.i32WrapI64).i32(1)
    .op(Op.i32And).set(L.half);
  c.get(L.scale).i32(217706).op(Op.i32Mul).i32(16).op(Op.i32ShrS).i32(63).op(Op.i32Add)
    .get(L.upper).op(Op.i32Add).get(L.lz).op(Op.i32Sub).i32(1023).op(Op.i32Add).set(L.power2);
  c.get(L.power2).i32(0).op(Op.i32LeS);
  e.when(() => {
    // Subnormal or zero: the 53 bits shifted right by 1 - power2, rounded half up.
    c.i32(1).get(L.power2).op(Op.i32Sub).tee(L.d).i32(64).op(Op.i32GeS);
    e.when(() => c.f64(0).set(L.v), () => {
      c.get(L.mant).get(L.d).i32(1).op(Op.i32Sub).op(Op.i64ExtendI32U).op(Op.i64ShrU).tee(L.m);
      c.get(L.m).i64(1n).op(Op.i64And).op(Op.i64Add).i64(1n).op(Op.i64ShrU);
      c.op(Op.f64ConvertI64U).f64(2 ** -1074).op(Op.f64Mul).set(L.v);
    });
    e.br("value");
  });
  // A possible exact tie: round it to even.
  c.get(L.half).get(L.lo).i64(1n).op(Op.i64LeU).op(Op.i32And);
  c.get(L.scale).i32(-4).op(Op.i32GeS).op(Op.i32And);
  c.get(L.scale).i32(23).op(Op.i32LeS).op(Op.i32And);
  c.get(L.mant).i64(1n).op(Op.i64And).op(Op.i64Eqz).op(Op.i32And);
  e.when(() => {
    c.get(L.hi).i64(1n).get(L.shift).op(Op.i64ExtendI32U).op(Op.i64Shl).i64(1n).op(Op.i64Sub);
    c.op(Op.i64And).op(Op.i64Eqz);
    e.when(() => c.i32(0).set(L.half));
  });
  c.get(L.mant).get(L.half).op(Op.i64ExtendI32U).op(Op.i64Add).tee(L.mant).i64(1n << 53n)
    .op(Op.i64GeU);
  e.when(() => {
    c.i64(1n << 52n).set(L.mant).get(L.power2).i32(1).op(Op.i32Add).set(L.power2);
  });
  c.get(L.power2).i32(2047).op(Op.i32GeS);
  e.brIf("fail");
  c.get(L.power2).op(Op.i64ExtendI32U).i64(52n).op(Op.i64Shl);
  c.get(L.mant).i64((1n << 52n) - 1n).op(Op.i64And).op(Op.i64Or).op(Op.f64ReinterpretI64)
    .set(L.v);
}

/** The kernel module's bytes: `cells` and `rows`. */
function kernelBytes(): Uint8Array<ArrayBuffer> {
  const locals = [
    ...Array<number>(I32_LOCALS).fill(I32),
    ...Array<number>(I64_LOCALS).fill(I64),
    ...Array<number>(F64_LOCALS).fill(F64),
    ...Array<number>(ZERO_LOCALS).fill(I32),
  ];
  return moduleBytes(DATA / PAGE + 1, [{
    name: "cells",
    params: [I32, I32],
    locals,
    results: [I32],
    code: kernelCode(),
  }, {
    name: "rows",
    params: [I32, I32],
    locals: [...locals, ...Array<number>(ROW_LOCALS).fill(I32)],
    results: [I32],
    code: rowsCode(),
  }]);
}

/** Builds the kernel and its memory, or undefined where WebAssembly is not available. */
function build(): NumberKernel | undefined {
  if (typeof WebAssembly === "undefined") return undefined;
  const memory = new WebAssembly.Memory({ initial: DATA / PAGE + 1 });
  compiled ??= new WebAssembly.Module(kernelBytes());
  const instance = new WebAssembly.Instance(compiled, { m: { mem: memory } });
  const cells = instance.exports.cells as (at: number, n: number) => number;
  const rows = instance.exports.rows as (at: number, n: number) => number;
  const tableWords = powerOfFiveTable();
  const init = () => {
    const f64 = new Float64Array(memory.buffer);
    for (let i = 0; i <= 22; i++) f64[P10 / 8 + i] = Number(`1e${i}`);
    const u64 = new BigUint64Array(memory.buffer);
    for (let k = 0; k * 4 < tableWords.length; k++) {
      const word = (w: number) => BigInt(tableWords[k * 4 + w]!);
      u64[TABLE / 8 + 2 * k] = (word(0) << 32n) | word(1);
      u64[TABLE / 8 + 2 * k + 1] = (word(2) << 32n) | word(3);
    }
  };
  init();
  let u8 = new Uint8Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  const kernel: NumberKernel = {
    load(buf, start, end) {
      const need = DATA + (end - start) + 16;
      if (need > memory.buffer.byteLength) {
        memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
        u8 = new Uint8Array(memory.buffer);
        i32 = new Int32Array(memory.buffer);
        kernel.out = new Float64Array(memory.buffer, OUT, MAX_CELLS);
        kernel.labels = new Int32Array(memory.buffer, LABELS, MAX_ROWS);
      }
      u8.set(buf.subarray(start, end), DATA);
      u8[DATA + end - start] = 0;
      return DATA - start;
    },
    cells,
    stop: () => i32[STOP / 4]!,
    out: new Float64Array(memory.buffer, OUT, MAX_CELLS),
    layout(columns, features) {
      if (columns.length > MAX_COLUMNS || features < 1) return false;
      i32[WIDTH / 4] = columns.length;
      i32[FEATURES / 4] = features;
      i32.set(columns, COLUMNS / 4);
      kernel.maxRows = Math.min(MAX_ROWS, Math.floor(MAX_CELLS / features));
      return true;
    },
    keys(keys, ids) {
      let n = 0;
      for (let k = 0; k < keys.length && n < MAX_KEYS; k++) {
        const key = keys[k]!;
        if (key.length > MAX_KEY_BYTES) continue;
        const slot = KEYS + n * KEY_SLOT;
        i32[slot / 4] = key.length;
        i32[slot / 4 + 1] = ids[k]!;
        u8.set(key, slot + 8);
        n++;
      }
      i32[KEY_COUNT / 4] = n;
    },
    rows,
    maxRows: 0,
    labels: new Int32Array(memory.buffer, LABELS, MAX_ROWS),
  };
  return kernel;
}

let kernel: NumberKernel | undefined | null = null;
/** The compiled module, shared with the CSV workers (see {@linkcode kernelModule}). */
let compiled: WebAssembly.Module | undefined;

/**
 * The kernel's compiled module, for a worker to {@linkcode adoptKernelModule}: posted to a
 * worker, a module shares its machine code, so the worker starts with code the calling thread
 * has already optimized instead of compiling (and tiering up) its own.
 */
export function kernelModule(): WebAssembly.Module | undefined {
  return numberKernel() === undefined ? undefined : compiled;
}

/** Uses `module` (from {@linkcode kernelModule} on another thread) for the kernel built here. */
export function adoptKernelModule(module: WebAssembly.Module): void {
  if (kernel === null) compiled = module;
}
let enabled = true;

/**
 * Turns the kernel off (the JavaScript path reads every cell) or on again: for measuring one
 * against the other in one process, and for tests that compare them.
 */
export function useNumberKernel(on: boolean): void {
  enabled = on;
}

/**
 * The kernel, built on first use (a few milliseconds, plus the power-of-five table), or
 * undefined where WebAssembly is not available (the JavaScript path reads every cell then).
 */
export function numberKernel(): NumberKernel | undefined {
  if (!enabled) return undefined;
  if (kernel === null) kernel = build();
  return kernel;
}
