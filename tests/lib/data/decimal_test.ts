import assert from "node:assert/strict";
import { decimalEnd, scanDecimal } from "../../../lib/data/decimal.ts";

const encoder = new TextEncoder();

/** scanDecimal() on the whole text: the value and where it stopped. */
function scan(text: string): { value: number; end: number } {
  const bytes = encoder.encode(text);
  const value = scanDecimal(bytes, 0, bytes.length);
  return { value, end: decimalEnd };
}

/** A seeded generator of doubles in [0, 1) (an LCG: reproducible, not cryptographic). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/**
 * Asserts that scanDecimal() reads `text` to exactly Number(text), or declines (NaN) and leaves
 * it to the exact path. Returns whether it declined.
 */
function agrees(text: string): boolean {
  const { value } = scan(text);
  if (Number.isNaN(value)) return true;
  assert.ok(Object.is(value, Number(text)), `${text}: ${value} / ${Number(text)}`);
  return false;
}

Deno.test("scanDecimal() reads String(number) of random doubles to the same double, declining almost none", () => {
  const next = random(1);
  let declined = 0;
  for (let i = 0; i < 200_000; i++) {
    const v = (next() - 0.5) * 10 ** Math.floor(next() * 8 - 3);
    if (agrees(String(v))) declined++;
  }
  // Shortest round-trip texts have 17 digits at most; only the tiniest values (many leading
  // zeros: a scale past 10^-22) and exact ties are left to the exact path.
  assert.ok(declined < 200, `declined ${declined}`);
});

Deno.test("scanDecimal() gives Number()'s double for long mantissas or declines", () => {
  const next = random(2);
  let declined = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    let digits = String(1 + Math.floor(next() * 9));
    const length = 15 + Math.floor(next() * 4);
    for (let k = 0; k < length; k++) digits += Math.floor(next() * 10);
    const dot = Math.floor(next() * digits.length);
    if (agrees(`${digits.slice(0, dot)}.${digits.slice(dot)}`)) declined++;
    if (agrees(`${digits}e${Math.floor(next() * 44) - 40}`)) declined++;
  }
  assert.ok(declined < n, `declined ${declined} of ${2 * n}`);
});

Deno.test("scanDecimal() gives Number()'s double for short and fixed-point texts", () => {
  const next = random(3);
  for (let i = 0; i < 100_000; i++) {
    const v = (next() - 0.5) * 10 ** Math.floor(next() * 12 - 4);
    agrees(v.toFixed(Math.floor(next() * 12)));
    agrees(String(Math.fround(v)));
    agrees(v.toExponential(Math.floor(next() * 16)));
  }
});

/** [text, value (NaN: declined), where it stops] */
const CASES: [string, number, number][] = [
  ["0", 0, 1],
  ["-0", -0, 2],
  ["-0.000", -0, 6],
  ["+.5", 0.5, 3],
  ["5.", 5, 2],
  ["007.25", 7.25, 6],
  ["1e3", 1000, 3],
  ["1E-3", 0.001, 4],
  ["2.5e+2", 250, 6],
  ["0.1", 0.1, 3],
  ["9007199254740993", NaN, 16], // 2^53 + 1: a tie, left to the exact path
  ["9007199254740994.9", 9007199254740994, 18],
  ["1.5,2", 1.5, 3],
  ["3\n", 3, 1],
  ["12 ", 12, 2],
  ["", NaN, 0],
  [".", NaN, 1],
  ["-", NaN, 1],
  ["+", NaN, 1],
  ["e5", NaN, 2],
  ["1e", NaN, 2],
  ["1e+", NaN, 3],
  ["1e400", NaN, 5],
  ["1e-400", NaN, 6],
  ["12345678901234567890", NaN, 20],
  ["Infinity", NaN, 0],
  ["0x1F", 0, 1],
];
for (const [text, value, end] of CASES) {
  Deno.test(`scanDecimal() reads ${JSON.stringify(text)} as ${value}, stopping at ${end}`, () => {
    const got = scan(text);
    assert.ok(Object.is(got.value, value) || (Number.isNaN(value) && Number.isNaN(got.value)));
    assert.equal(got.end, end);
  });
}

Deno.test("scanDecimal() reads a number in the middle of a buffer, up to the end given", () => {
  const bytes = encoder.encode("x,-12.5e1,9");
  assert.equal(scanDecimal(bytes, 2, bytes.length), -125);
  assert.equal(decimalEnd, 9);
  assert.equal(scanDecimal(bytes, 2, 5), -12);
  assert.equal(decimalEnd, 5);
});
