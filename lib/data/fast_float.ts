/**
 * Decimal text to float64 straight from UTF-8 bytes, bit for bit the double JavaScript's
 * `Number(text)` gives (correct rounding, ties to even): the CSV reader's number parser.
 *
 * Reading: up to 19 digits (leading zeros included) are read into exact integers, the
 * fraction eight digits at a time where eight follow (two little-endian 32-bit words checked for
 * eight ASCII digits and combined with `Math.imul`, as SIMD-within-a-register parsers do). Longer
 * texts go through a general reader that skips leading zeros and keeps the first 19 significant
 * digits, marking the mantissa truncated when a non-zero digit is dropped. Then, in order:
 *
 * - **Clinger's fast path**: a mantissa below 2^53 and a power of ten within 10^±22 are both exact
 *   doubles, and one correctly rounded multiplication or division is the answer.
 * - **Double-double** (decimal.ts's `longMantissa`, for 16 to 19 digits and 10^±22): the exact
 *   mantissa times or over the power of ten to within 2^-47 of a last place, accepted only when
 *   that interval cannot straddle a rounding boundary. Measured faster here than the 128-bit
 *   product below for `String(number)` texts of 17 digits.
 * - **Eisel-Lemire** (Lemire, "Number Parsing at a Gigabyte per Second", 2021) for every other
 *   exponent: the mantissa, shifted to 64 significant bits, times a 128-bit truncation of 5^q
 *   (a table built on first use from exact integers), keeping the upper 64 bits of the product
 *   (and the next 64 when the first product's low bits leave the rounding open); 54 bits of it
 *   and the binary exponent `floor(q * log2(10))` give the double, exact ties recognised as in
 *   the paper. The 64x64-bit products are four 32x32-bit ones, each `Math.imul` for the low word
 *   and a float64 product for the high word (its rounding error, below 2^11, cannot change the
 *   high word once the low word is taken off). A truncated mantissa is tried as `w` and `w + 1`;
 *   both must give the same double.
 * - Otherwise (neither can decide: near-halfway texts of more than 19 digits, a product whose
 *   low bits are all ones) `Number` on the text: the exact answer, only slower.
 *
 * @module
 */

import { longMantissa } from "./decimal.ts";

/** 10^0 .. 10^22, every one an exact double. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** 2^32. */
const TWO32 = 4294967296;
/** 2^-32. */
const TWO_M32 = 1 / TWO32;
/** Smallest and largest decimal exponents with a table entry; outside them the answer is 0 or ∞. */
export const SMALLEST_POWER_OF_TEN = -342;
/** See {@linkcode SMALLEST_POWER_OF_TEN}. */
export const LARGEST_POWER_OF_TEN = 308;

/**
 * The Eisel-Lemire table, built on first use: for each q in [-342, 308], 5^q as a 128-bit
 * integer with its top bit set: for q >= 0 the leading 128 bits of 5^q (truncated); for q < 0
 * the leading 128 bits of 2^b / 5^-q for a large enough b, plus one before truncation (rounded
 * up, as the algorithm requires). Four 32-bit words per entry, most significant first.
 */
export function powerOfFiveTable(): Float64Array {
  return table ??= powersOfFive();
}
/** Most CSV files never need the table (about 10 ms to build): it is built on first use. */
let table: Float64Array | undefined;

/** The number of bits of a positive BigInt. */
function bitLength(v: bigint): number {
  const hex = v.toString(16);
  return hex.length * 4 - Math.clz32(parseInt(hex[0]!, 16)) + 28;
}

/** Builds the table {@linkcode powerOfFiveTable} returns, from exact integers (BigInt). */
export function powersOfFive(): Float64Array {
  const count = LARGEST_POWER_OF_TEN - SMALLEST_POWER_OF_TEN + 1;
  const table = new Float64Array(count * 4);
  const mask32 = 0xffffffffn;
  const put = (q: number, v: bigint) => {
    const k = (q - SMALLEST_POWER_OF_TEN) * 4;
    for (let w = 0; w < 4; w++) table[k + w] = Number((v >> BigInt(96 - 32 * w)) & mask32);
  };
  let p = 1n;
  for (let q = 0; q <= LARGEST_POWER_OF_TEN; q++) {
    const bits = bitLength(p);
    put(q, bits <= 128 ? p << BigInt(128 - bits) : p >> BigInt(bits - 128));
    p *= 5n;
  }
  p = 5n;
  for (let q = -1; q >= SMALLEST_POWER_OF_TEN; q--) {
    // z: the bit length of 5^-q (never a power of two), so 2^(z-1) < 5^-q < 2^z.
    const z = BigInt(bitLength(p));
    let c: bigint;
    if (q >= -27) {
      // 5^-q < 2^64: 2^(z+127) / 5^-q lies in (2^127, 2^128) already.
      c = (1n << (z + 127n)) / p + 1n;
    } else {
      c = (1n << (2n * z + 128n)) / p + 1n;
      // Down to 128 bits in one shift (a loop of one-bit shifts made ~9 MiB of garbage and
      // raised each reading worker's peak RSS by as much).
      const bits = bitLength(c);
      if (bits > 128) c >>= BigInt(bits - 128);
    }
    put(q, c);
    p *= 5n;
  }
  return table;
}

/** 2^(e - 1075) for biased binary exponents e = 1 .. 2046 (index e): a normal double's scale. */
const POW2 = Float64Array.from({ length: 2047 }, (_, e) => e === 0 ? 0 : 2 ** (e - 1075));
/** 2^-1074, the least subnormal. */
const SUBNORMAL_UNIT = 2 ** -1074;

/** Where the last {@linkcode parseDecimal} stopped: the index of the first byte not read. */
export let decimalStop = 0;

/**
 * The 128-bit product of the last mul64(), least significant word first (a typed array: a
 * module variable would box every double stored in it).
 */
const R = new Float64Array(4);

/** (ah·2^32 + al) × (bh·2^32 + bl) into r3..r0, every argument a uint32 held as a number. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  let lo = Math.imul(al, bl) >>> 0;
  const c0 = lo;
  let c1 = Math.floor((al * bl - lo) * TWO_M32 + 0.5);
  lo = Math.imul(al, bh) >>> 0;
  let c2 = Math.floor((al * bh - lo) * TWO_M32 + 0.5);
  c1 += lo;
  lo = Math.imul(ah, bl) >>> 0;
  c2 += Math.floor((ah * bl - lo) * TWO_M32 + 0.5);
  c1 += lo;
  lo = Math.imul(ah, bh) >>> 0;
  let c3 = Math.floor((ah * bh - lo) * TWO_M32 + 0.5);
  c2 += lo;
  // Carries: c1 < 3·2^32, c2 < 4·2^32, all exact in float64.
  let carry = Math.floor(c1 * TWO_M32);
  c1 -= carry * TWO32;
  c2 += carry;
  carry = Math.floor(c2 * TWO_M32);
  c2 -= carry * TWO32;
  c3 += carry;
  R[3] = c3;
  R[2] = c2;
  R[1] = c1;
  R[0] = c0;
}

/**
 * w × 10^q correctly rounded, for w = wh·2^32 + wl (not zero, below 2^64) and q within the
 * table, or NaN when the 128-bit product cannot decide the rounding.
 */
export function eiselLemire(wh: number, wl: number, q: number): number {
  let lz: number;
  if (wh !== 0) {
    lz = Math.clz32(wh);
    if (lz !== 0) {
      wh = ((wh << lz) | (wl >>> (32 - lz))) >>> 0;
      wl = (wl << lz) >>> 0;
    }
  } else {
    lz = 32 + Math.clz32(wl);
    wh = (wl << (lz - 32)) >>> 0;
    wl = 0;
  }
  const k = (q - SMALLEST_POWER_OF_TEN) * 4;
  const T = table ?? powerOfFiveTable();
  mul64(wh, wl, T[k]!, T[k + 1]!);
  let h3 = R[3]!, h2 = R[2]!, h1 = R[1]!, h0 = R[0]!;
  if ((h2 & 0x1ff) === 0x1ff) {
    // The low bits of the upper half are all ones: the lower half of the table entry could
    // carry into them. Add the upper 64 bits of w × (its lower 64 bits).
    mul64(wh, wl, T[k + 2]!, T[k + 3]!);
    h0 += R[2]!;
    let carry = h0 >= TWO32 ? 1 : 0;
    h0 -= carry * TWO32;
    h1 += R[3]! + carry;
    carry = h1 >= TWO32 ? 1 : 0;
    h1 -= carry * TWO32;
    h2 += carry;
    carry = h2 >= TWO32 ? 1 : 0;
    h2 -= carry * TWO32;
    h3 += carry;
    if (h1 === 0xffffffff && h0 === 0xffffffff && (q < -27 || q > 55)) return NaN;
  }
  const upper = h3 >>> 31;
  const shift = upper + 9;
  // The leading 54 bits of the product (bit 53 set) are too many for float64: the upper 53 as
  // `mantissa`, exact, and the one below it as `half`.
  let mantissa = h3 * (upper === 0 ? 4194304 : 2097152) + (h2 >>> (shift + 1)); // 2^(31 - shift)
  let half = (h2 >>> shift) & 1;
  let power2 = ((217706 * q) >> 16) + 63 + upper - lz + 1023;
  if (power2 <= 0) {
    // Subnormal (or zero): shift the 54 bits right by 1 - power2, then round half up.
    const s = 1 - power2;
    if (s >= 64) return 0;
    const m = Math.floor(mantissa / 2 ** (s - 1));
    return ((m + (m % 2)) / 2) * SUBNORMAL_UNIT;
  }
  if (half === 1 && h1 === 0 && h0 <= 1 && q >= -4 && q <= 23 && mantissa % 2 === 0) {
    // Possibly an exact tie (the product had no bits below the 54): round it to even.
    if ((h2 & ((1 << shift) - 1)) === 0) half = 0;
  }
  mantissa += half;
  if (mantissa >= 9007199254740992) {
    mantissa = 4503599627370496;
    power2++;
  }
  if (power2 >= 2047) return Infinity;
  return mantissa * POW2[power2]!;
}

/**
 * Reads `[+-]digits[.digits][(e|E)[+-]digits]` (at least one digit before or after the point)
 * from `buf` at `start`, stopping at `end` or the first byte that cannot continue it
 * ({@linkcode decimalStop} is set to that index), and returns exactly `Number(text)` of what it
 * read, ±Infinity for overflow included. NaN when the bytes are not of that form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decimalStop, parseDecimal } from "./fast_float.ts";
 * const bytes = new TextEncoder().encode("0.30733298365410255,-2.5e3\n");
 * assert.equal(parseDecimal(bytes, 0, bytes.length), 0.30733298365410255);
 * assert.equal(decimalStop, 19);
 * assert.equal(parseDecimal(bytes, 20, bytes.length), -2500);
 * ```
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  readNumbers(buf, start, end, SCRATCH, 0, ONE_COLUMN, 0);
  return SCRATCH[0]!;
}

/** Where {@linkcode parseDecimal} has {@linkcode readNumbers} put its one number. */
const SCRATCH = new Float64Array(1);
const ONE_COLUMN = new Int32Array(1);

/**
 * Reads the numbers of a row's consecutive number columns, from column `column` on: the number
 * at `start` goes to `out[offset + columns[column]]`, and while a comma follows and the next
 * column is a number column too, the next one (a number as {@linkcode parseDecimal} reads it,
 * infinities and NaN stored too). Returns the next column: `columns.length` after the row's last
 * column, else one whose entry is negative, read up to and past the comma before it; or a
 * negative number when a cell is not a finite number, or one not in the last column is not
 * followed by a comma (the caller reads such a row with its full path). {@linkcode decimalStop} is where it stopped. One call per row rather than per cell:
 * V8 does not inline the parser (its bytecode is too long); per row, the reader took 0.96x the
 * CPU time of per cell.
 */
export function readNumbers(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Float64Array,
  offset: number,
  columns: Int32Array,
  column: number,
): number {
  if (buf !== viewOf || buf.length !== viewLength) {
    // (A view of a resizable buffer can change length: the DataView is made again then.)
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
    viewLength = buf.length;
  }
  const dv = view;
  const width = columns.length;
  let i = start;
  let col = column;
  for (;;) {
    const cellStart = i;
    let v: number;
    cell: {
      let c = i < end ? buf[i]! : 0;
      let negative = false;
      if (c === 0x2d || c === 0x2b) {
        negative = c === 0x2d;
        c = ++i < end ? buf[i]! : 0;
      }
      // Every digit, leading zeros included: the latest (up to nine) in int32 `x` (`k` of
      // them), the ones before in `head` (`hd` of them, at most 15: an exact double). Eight
      // digits at a time where eight follow. More than 19 digits take the general path.
      let x = 0;
      let k = 0;
      let head = 0;
      let hd = 0;
      const intStart = i;
      let d = c - 0x30;
      while (d >>> 0 < 10) {
        if (k === 9) {
          if (hd + 9 > 15) {
            v = parseGeneral(buf, cellStart, end);
            i = decimalStop;
            break cell;
          }
          head = head * 1e9 + x;
          hd += 9;
          x = 0;
          k = 0;
        }
        x = x * 10 + d;
        k++;
        d = ++i < end ? buf[i]! - 0x30 : -1;
      }
      let n = i - intStart;
      let scale = 0;
      if (d === 0x2e - 0x30) {
        const fracStart = ++i;
        while (i + 8 <= end) {
          const lo = dv.getUint32(i, true);
          const hi = dv.getUint32(i + 4, true);
          if (
            ((lo & 0xf0f0f0f0) | (((lo + 0x06060606) & 0xf0f0f0f0) >>> 4)) !== 0x33333333 ||
            ((hi & 0xf0f0f0f0) | (((hi + 0x06060606) & 0xf0f0f0f0) >>> 4)) !== 0x33333333
          ) break;
          const eight = four(lo) * 10000 + four(hi);
          if (k <= 1) {
            x = x * 100000000 + eight;
            k += 8;
          } else {
            if (hd + k > 15) {
              v = parseGeneral(buf, cellStart, end);
              i = decimalStop;
              break cell;
            }
            head = head * POW10[k]! + x;
            hd += k;
            x = eight;
            k = 8;
          }
          i += 8;
        }
        d = i < end ? buf[i]! - 0x30 : -1;
        while (d >>> 0 < 10) {
          if (k === 9) {
            if (hd + 9 > 15) {
              v = parseGeneral(buf, cellStart, end);
              i = decimalStop;
              break cell;
            }
            head = head * 1e9 + x;
            hd += 9;
            x = 0;
            k = 0;
          }
          x = x * 10 + d;
          k++;
          d = ++i < end ? buf[i]! - 0x30 : -1;
        }
        scale = fracStart - i;
        n -= scale;
      }
      if (n === 0 || n > 19) {
        v = parseGeneral(buf, cellStart, end);
        i = decimalStop;
        break cell;
      }
      if (d === 0x65 - 0x30 || d === 0x45 - 0x30) {
        c = ++i < end ? buf[i]! : 0;
        let expNegative = false;
        if (c === 0x2d || c === 0x2b) {
          expNegative = c === 0x2d;
          c = ++i < end ? buf[i]! : 0;
        }
        const expStart = i;
        let exp = 0;
        d = c - 0x30;
        while (d >>> 0 < 10) {
          if (exp < 100000) exp = exp * 10 + d;
          d = ++i < end ? buf[i]! - 0x30 : -1;
        }
        if (i === expStart) {
          v = NaN;
          break cell;
        }
        scale += expNegative ? -exp : exp;
      }
      // w = head * 10^k + x, exact in float64 when below 2^53.
      const p = POW10[k]!;
      const w = head * p + x;
      if (w < 9007199254740992) {
        if (w === 0) {
          v = negative ? -0 : 0;
          break cell;
        }
        if (scale >= -22 && scale <= 22) {
          v = scale < 0 ? w / POW10[-scale]! : w * POW10[scale]!;
          v = negative ? -v : v;
          break cell;
        }
        v = decided(Math.floor(w * TWO_M32), w >>> 0, scale, false);
      } else {
        if (scale >= -22 && scale <= 22) {
          // Double-double arithmetic decides almost every such number (see decimal.ts).
          v = longMantissa(head, x, k, scale);
          if (v === v) {
            v = negative ? -v : v;
            break cell;
          }
        }
        // The same w exactly as two 32-bit words: head < 2^50 times p < 2^30, plus x < 2^30.
        const hh = Math.floor(head * TWO_M32);
        const hl = head - hh * TWO32;
        const ml = Math.imul(hl, p) >>> 0;
        const mh = Math.floor((hl * p - ml) * TWO_M32 + 0.5) + hh * p;
        let wl = ml + x;
        const carry = wl >= TWO32 ? 1 : 0;
        wl -= carry * TWO32;
        v = decided(mh + carry, wl, scale, false);
      }
      if (v !== v) {
        v = parseGeneral(buf, cellStart, end);
        i = decimalStop;
      } else if (negative) v = -v;
    }
    out[offset + columns[col]!] = v;
    if (v - v !== 0) {
      decimalStop = i;
      return -1 - col;
    }
    if (++col === width) {
      decimalStop = i;
      return col;
    }
    if (i >= end || buf[i] !== 0x2c) {
      decimalStop = i;
      return -1 - col;
    }
    i++;
    if (columns[col]! < 0) {
      decimalStop = i;
      return col;
    }
  }
}

/** The value of four ASCII digits read as a little-endian uint32 (first digit lowest). */
function four(word: number): number {
  let t = (word - 0x30303030) | 0;
  t = (Math.imul(t, 10) + (t >>> 8)) & 0x00ff00ff;
  return (Math.imul(t, 100) + (t >>> 16)) & 0xffff;
}

/** The buffer {@linkcode view} reads (the last one given). */
let viewOf: Uint8Array | undefined;
/** `viewOf`'s length when {@linkcode view} was made. */
let viewLength = 0;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

/** {@linkcode parseDecimal} for any number of digits: significant digits counted one by one. */
function parseGeneral(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = i < end ? buf[i]! : 0;
  let negative = false;
  if (c === 0x2d || c === 0x2b) {
    negative = c === 0x2d;
    c = ++i < end ? buf[i]! : 0;
  }
  // a: the first 15 significant digits; b: up to 4 more; nd: significant digits taken (a leading
  // zero is not one); scale: the power of ten of b's last digit (or a's).
  let a = 0;
  let b = 0;
  let nd = 0;
  let scale = 0;
  let truncated = false;
  const digitsStart = i;
  let d = c - 0x30;
  while (d >>> 0 < 10) {
    if (nd < 15) {
      a = a * 10 + d;
      if (a !== 0) nd++;
    } else if (nd < 19) {
      b = b * 10 + d;
      nd++;
    } else {
      scale++;
      if (d !== 0) truncated = true;
    }
    d = ++i < end ? buf[i]! - 0x30 : -1;
  }
  let digits = i - digitsStart;
  if (d === 0x2e - 0x30) {
    const fracStart = ++i;
    d = i < end ? buf[i]! - 0x30 : -1;
    while (d >>> 0 < 10) {
      if (nd < 15) {
        a = a * 10 + d;
        if (a !== 0) nd++;
        scale--;
      } else if (nd < 19) {
        b = b * 10 + d;
        nd++;
        scale--;
      } else if (d !== 0) truncated = true;
      d = ++i < end ? buf[i]! - 0x30 : -1;
    }
    digits += i - fracStart;
  }
  if (digits === 0) {
    decimalStop = i;
    return NaN;
  }
  if (((d + 0x30) | 0x20) === 0x65) {
    c = ++i < end ? buf[i]! : 0;
    let expNegative = false;
    if (c === 0x2d || c === 0x2b) {
      expNegative = c === 0x2d;
      c = ++i < end ? buf[i]! : 0;
    }
    const expStart = i;
    let exp = 0;
    d = c - 0x30;
    while (d >>> 0 < 10) {
      if (exp < 100000) exp = exp * 10 + d;
      d = ++i < end ? buf[i]! - 0x30 : -1;
    }
    decimalStop = i;
    if (i === expStart) return NaN;
    scale += expNegative ? -exp : exp;
  } else {
    decimalStop = i;
  }
  if (nd === 0) return negative ? -0 : 0;
  let v: number;
  if (nd <= 15) {
    if (scale >= -22 && scale <= 22) {
      v = scale < 0 ? a / POW10[-scale]! : a * POW10[scale]!;
      return negative ? -v : v;
    }
    v = decided(Math.floor(a * TWO_M32), a >>> 0, scale, false);
  } else {
    const p = POW10[nd - 15]!;
    const w = a * p + b;
    if (w < 9007199254740992 && !truncated && scale >= -22 && scale <= 22) {
      v = scale < 0 ? w / POW10[-scale]! : w * POW10[scale]!;
      return negative ? -v : v;
    }
    // w = a·p + b exactly as two 32-bit words (a < 2^50, p <= 10^4: every piece below 2^53).
    const ah = Math.floor(a * TWO_M32);
    const lo = (a - ah * TWO32) * p + b;
    const wl = lo >>> 0;
    v = decided(ah * p + (lo - wl) * TWO_M32, wl, scale, truncated);
  }
  if (v !== v) v = Number(String.fromCharCode.apply(null, Array.from(buf.subarray(start, i))));
  else if (negative) v = -v;
  return v;
}

/**
 * w × 10^q for w = wh·2^32 + wl (not zero) correctly rounded, or NaN when it takes the exact
 * path: Eisel-Lemire cannot decide, or (a truncated w) w and w + 1 round differently.
 */
function decided(wh: number, wl: number, q: number, truncated: boolean): number {
  // At most 19 digits (w + 1 <= 10^19): below 10^-324 rounds to 0, above 10^308 overflows.
  if (q < SMALLEST_POWER_OF_TEN) return 0;
  if (q > LARGEST_POWER_OF_TEN) return Infinity;
  const v = eiselLemire(wh, wl, q);
  if (!truncated || v !== v) return v;
  const up = wl === 0xffffffff ? eiselLemire(wh + 1, 0, q) : eiselLemire(wh, wl + 1, q);
  return up === v ? v : NaN;
}
