/**
 * Reading decimal numbers straight from UTF-8 bytes, without making a string, to the same
 * float64 that JavaScript's `Number(text)` gives: the CSV reader's fast path.
 *
 * A mantissa below 2^53 (up to 15 significant digits always, 16 or 17 often) with a decimal
 * exponent within ±22 takes Clinger's fast path: the digits are an exact double, so is the power
 * of ten, and one correctly rounded multiplication or division is the answer. Larger mantissas
 * (up to 18 digits: `String(number)` writes at most 17) are held exactly as a double-double,
 * scaled by the power of ten in double-double arithmetic (error below 2^-47 of the result's last
 * place) and rounded; when widening that value by 2^-38 to 2^-37 of a last place either way could
 * change its rounding, the answer could go either way (an exact tie is one), and the number is
 * left to the caller's exact path (`Number` on the text), as are more than 18 digits and larger
 * exponents. The caller always has that exact path: this one only makes it rarer.
 * @module
 */

/** 10^0 .. 10^22, every one an exact double. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Veltkamp's split constant for doubles: 2^27 + 1. */
const SPLITTER = 134217729;
/** High and low halves (Veltkamp) of each power of ten, for exact products. */
const POW10_HI = POW10.map((p) => SPLITTER * p - (SPLITTER * p - p));
const POW10_LO = POW10.map((p, i) => p - POW10_HI[i]!);

/** Where the last {@linkcode scanDecimal} stopped: the index of the first byte not read. */
export let decimalEnd = 0;

/**
 * Reads `[+-]digits[.digits][(e|E)[+-]digits]` from `buf` at `start` (stopping at `end` or the
 * first byte that cannot continue it; {@linkcode decimalEnd} is set to that index) and returns
 * its value. Returns NaN when the text is not of that form or its value needs the exact path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decimalEnd, scanDecimal } from "./decimal.ts";
 * const bytes = new TextEncoder().encode("0.1,-2.5e3\n");
 * assert.equal(scanDecimal(bytes, 0, bytes.length), 0.1);
 * assert.equal(decimalEnd, 3);
 * assert.equal(scanDecimal(bytes, 4, bytes.length), -2500);
 * ```
 */
export function scanDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let c = i < end ? buf[i]! : 0;
  let negative = false;
  if (c === 0x2d || c === 0x2b) {
    negative = c === 0x2d;
    i++;
  }
  // First find where the digits are, then read them: the reading needs no checks, and goes
  // two digits at a time (a shorter chain of dependent multiply-adds).
  const intStart = i;
  while (i < end && ((buf[i]! - 0x30) >>> 0) < 10) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < end && buf[i] === 0x2e) {
    fracStart = ++i;
    while (i < end && ((buf[i]! - 0x30) >>> 0) < 10) i++;
    fracEnd = i;
  }
  let scale = fracStart - fracEnd;
  if (i < end && (buf[i]! | 0x20) === 0x65) {
    i++;
    let expNegative = false;
    c = i < end ? buf[i]! : 0;
    if (c === 0x2d || c === 0x2b) {
      expNegative = c === 0x2d;
      i++;
    }
    const expStart = i;
    let exp = 0;
    while (i < end && ((buf[i]! - 0x30) >>> 0) < 10) {
      if (exp < 100000) exp = exp * 10 + (buf[i]! - 0x30);
      i++;
    }
    decimalEnd = i;
    if (i === expStart) return NaN;
    scale += expNegative ? -exp : exp;
  } else {
    decimalEnd = i;
  }
  if (intEnd === intStart && fracEnd === fracStart) return NaN;
  // The significant digits: the integer part after its leading zeros, then the fraction (after
  // its own leading zeros when the integer part is all zeros).
  let s1 = intStart;
  while (s1 < intEnd && buf[s1] === 0x30) s1++;
  let s2 = fracStart;
  if (s1 === intEnd) { while (s2 < fracEnd && buf[s2] === 0x30) s2++; }
  const n1 = intEnd - s1;
  const n = n1 + fracEnd - s2;
  if (n === 0) return negative ? -0 : 0;
  if (n > 18 || scale < -22 || scale > 22) return NaN;
  let v: number;
  if (n <= 15) {
    const w = n <= 9 ? take(buf, s1, n1, s2, 0, n) : take(buf, s1, n1, s2, 0, 9) *
        POW10[n - 9]! + take(buf, s1, n1, s2, 9, n - 9); // below 10^15: exact
    v = scale >= 0 ? w * POW10[scale]! : w / POW10[-scale]!;
  } else {
    // The first 15 digits and the rest (1 to 3 digits). Below 2^53 the whole mantissa is an
    // exact double (the sum cannot round), and Clinger's single operation still applies.
    const loDigits = n - 15;
    const hi = take(buf, s1, n1, s2, 0, 9) * 1e6 + take(buf, s1, n1, s2, 9, 6);
    const lo = take(buf, s1, n1, s2, 15, loDigits);
    const w = hi * POW10[loDigits]! + lo;
    if (w < 9007199254740992) v = scale >= 0 ? w * POW10[scale]! : w / POW10[-scale]!;
    else v = longMantissa(hi, lo, loDigits, scale);
  }
  return negative ? -v : v;
}

/**
 * `count` (at most 9) digits from position `from` of the digit sequence made of `n1` digits at
 * `s1` followed by the digits at `s2`, as an integer.
 */
function take(
  buf: Uint8Array,
  s1: number,
  n1: number,
  s2: number,
  from: number,
  count: number,
): number {
  if (from >= n1) return digits(buf, s2 + from - n1, count);
  const first = n1 - from < count ? n1 - from : count;
  const v = digits(buf, s1 + from, first);
  return first === count ? v : v * POW10[count - first]! + digits(buf, s2, count - first);
}

/** `count` (at most 9) digit bytes at `p` as an integer, two at a time. */
function digits(buf: Uint8Array, p: number, count: number): number {
  const end = p + count;
  let v = 0;
  if (count & 1) v = buf[p++]! - 0x30;
  for (; p < end; p += 2) v = v * 100 + (buf[p]! * 10 + buf[p + 1]! - 528);
  return v;
}

/**
 * `(hi * 10^loDigits + lo) * 10^scale` correctly rounded, or NaN when the double-double estimate
 * is too close to a rounding boundary to tell. For integers `hi` below 2^50 and `lo` below
 * `10^loDigits` (`loDigits` <= 9) whose `hi * 10^loDigits + lo` is below 2^64 (19 digits), and
 * `|scale| <= 22`: scanDecimal() gives 15 digits and 1 to 3; fast_float.ts's parseDecimal() up to
 * 15 and up to 9.
 */
export function longMantissa(hi: number, lo: number, loDigits: number, scale: number): number {
  // W = hi * 10^loDigits + lo, exactly, as wh + wl (W < 2^64: each rounding error below 2^11).
  const p = POW10[loDigits]!;
  const m = hi * p;
  let t = SPLITTER * hi;
  const hh = t - (t - hi);
  const hl = hi - hh;
  const ph = POW10_HI[loDigits]!;
  const pl = POW10_LO[loDigits]!;
  const mErr = ((hh * ph - m) + hh * pl + hl * ph) + hl * pl;
  const s = m + lo;
  const bv = s - m;
  const sErr = (m - (s - bv)) + (lo - bv);
  const e = mErr + sErr; // both are integers below 2^11: exact
  const wh = s + e;
  const wl = e - (wh - s);
  let sum: number;
  let tail: number;
  if (scale >= 0) {
    const d = POW10[scale]!;
    const q = wh * d;
    t = SPLITTER * wh;
    const ah = t - (t - wh);
    const al = wh - ah;
    const dh = POW10_HI[scale]!;
    const dl = POW10_LO[scale]!;
    const qErr = ((ah * dh - q) + ah * dl + al * dh) + al * dl;
    const low = qErr + wl * d;
    sum = q + low;
    tail = low - (sum - q);
  } else {
    const d = POW10[-scale]!;
    const dh = POW10_HI[-scale]!;
    const dl = POW10_LO[-scale]!;
    const q1 = wh / d;
    const r1 = q1 * d;
    t = SPLITTER * q1;
    const ah = t - (t - q1);
    const al = q1 - ah;
    const rErr = ((ah * dh - r1) + ah * dl + al * dh) + al * dl;
    const rest = ((wh - r1) - rErr) + wl;
    const q2 = rest / d;
    sum = q1 + q2;
    tail = q2 - (sum - q1);
  }
  // The exact value is within 2^-47 units in the last place of sum + tail, and rounding is
  // monotonic: if both ends of a wider interval (2^-38 to 2^-37 of a last place) round to the
  // same double, so does the exact value; if not, it is too close to call here.
  const eps = (sum < 0 ? -sum : sum) * 8.077935669463161e-28; // 2^-90
  if (sum + (tail + eps) !== sum || sum + (tail - eps) !== sum) return NaN;
  return sum;
}
