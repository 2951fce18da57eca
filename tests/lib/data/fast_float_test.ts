import assert from "node:assert/strict";
import { parseDataset } from "../../../lib/data/csv.ts";
import {
  decimalStop,
  eiselLemire,
  LARGEST_POWER_OF_TEN,
  parseDecimal,
  powerOfFiveTable,
  powersOfFive,
  readNumbers,
  SMALLEST_POWER_OF_TEN,
} from "../../../lib/data/fast_float.ts";
import { numberKernel } from "../../../lib/data/wasm_numbers.ts";

/**
 * How many random texts each property test reads; FLUXOPS_FLOAT_RUNS scales it (the report's
 * figures ran 10x the default).
 */
const RUNS = Number(Deno.env.get("FLUXOPS_FLOAT_RUNS") ?? "1") || 1;

const encoder = new TextEncoder();
const pair = new Float64Array(2);
const pairBits = new BigUint64Array(pair.buffer);

/** A seeded xorshift generator of uint32s (reproducible, not cryptographic). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** A double with uniformly random bits (finite), from two uint32s. */
function randomDouble(next: () => number): number {
  const bits = new BigUint64Array(1);
  const value = new Float64Array(bits.buffer);
  do bits[0] = (BigInt(next()) << 32n) | BigInt(next()); while (!Number.isFinite(value[0]!));
  return value[0]!;
}

/** The WebAssembly kernel (wasm_numbers.ts): every text is checked on it too. */
const kernel = numberKernel();
/** How many texts the kernel read itself (the rest it left to the JavaScript path). */
const kernelRead = { count: 0, all: 0 };

/**
 * Fails unless parseDecimal() reads all of `text` to Number(text)'s double, bit for bit, and
 * the WebAssembly kernel either reads all of it to that double too or leaves it to the caller.
 */
function same(text: string): void {
  const bytes = encoder.encode(text);
  pair[0] = parseDecimal(bytes, 0, bytes.length);
  pair[1] = Number(text);
  if (pairBits[0] !== pairBits[1] || decimalStop !== bytes.length) {
    assert.fail(
      `${text}: read ${pair[0]} (bits ${pairBits[0]!.toString(16)}, stopped at ${decimalStop}), ` +
        `Number() ${pair[1]} (bits ${pairBits[1]!.toString(16)})`,
    );
  }
  if (kernel === undefined) return;
  const delta = kernel.load(bytes, 0, bytes.length);
  const got = kernel.cells(delta, 1);
  kernelRead.all++;
  if (got === 0) {
    if (kernel.stop() !== delta) assert.fail(`${text}: the kernel declined but moved its stop`);
    return;
  }
  kernelRead.count++;
  pair[0] = kernel.out[0]!;
  if (pairBits[0] !== pairBits[1] || kernel.stop() - delta !== bytes.length) {
    assert.fail(
      `${text}: the kernel read ${pair[0]} (bits ${pairBits[0]!.toString(16)}, stopped at ` +
        `${kernel.stop() - delta}), Number() ${pair[1]} (bits ${pairBits[1]!.toString(16)})`,
    );
  }
}

/** The text Python's repr() gives a float: shortest digits, exponent form below 1e-4 or from 1e16. */
function pythonRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expText] = x.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${mant}e${exp < 0 ? "-" : "+"}${e}`;
  }
  const text = String(x);
  return text.includes(".") ? text : `${text}.0`;
}

/** The exact decimal expansion of a finite double (every digit: up to ~770 of them). */
function exactDecimal(x: number): string {
  const bits = new BigUint64Array(new Float64Array([Math.abs(x)]).buffer)[0]!;
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  return decimalOf(m, e, x < 0);
}

/** m × 2^e written in decimal, exactly. */
function decimalOf(m: bigint, e: number, negative: boolean): string {
  const sign = negative ? "-" : "";
  if (e >= 0) return `${sign}${m << BigInt(e)}`;
  const digits = (m * 5n ** BigInt(-e)).toString().padStart(-e + 1, "0");
  return `${sign}${digits.slice(0, digits.length + e)}.${digits.slice(digits.length + e)}`;
}

/** The exact decimal of the point halfway between `x` (positive, finite) and the next double. */
function halfwayAbove(x: number): string {
  const bits = new BigUint64Array(new Float64Array([x]).buffer)[0]!;
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  return decimalOf(2n * m + 1n, e - 1, false);
}

Deno.test("parseDecimal() reads String(x) of doubles with random bits to x exactly", () => {
  const next = rng(1);
  for (let i = 0; i < 200_000 * RUNS; i++) {
    const x = randomDouble(next);
    same(String(x));
    same(String(-x));
  }
});

Deno.test("parseDecimal() reads Python repr() texts, 17 significant digits and exponent forms", () => {
  const next = rng(2);
  for (let i = 0; i < 60_000 * RUNS; i++) {
    const x = randomDouble(next);
    same(pythonRepr(x));
    same(x.toPrecision(17));
    same(x.toPrecision(1 + (next() % 21)));
    same(x.toExponential(next() % 25));
    same(x.toExponential().toUpperCase());
  }
});

Deno.test("parseDecimal() reads CSV-like values (normal data, 15 to 18 digits, fixed point)", () => {
  const next = rng(3);
  for (let i = 0; i < 200_000 * RUNS; i++) {
    // Roughly normal values as make_classification writes them, and fixed-point texts.
    const x = ((next() / 2 ** 32 - 0.5) * 8) * 10 ** ((next() % 9) - 4);
    same(String(x));
    same(x.toFixed(next() % 21));
  }
});

Deno.test("parseDecimal() reads texts of more than 19 digits (a truncated mantissa) exactly", () => {
  const next = rng(4);
  for (let i = 0; i < 60_000 * RUNS; i++) {
    let digits = String(1 + (next() % 9));
    const length = 19 + (next() % 40);
    for (let k = 0; k < length; k++) digits += next() % 10;
    const dot = next() % (digits.length + 1);
    same(`${digits.slice(0, dot)}.${digits.slice(dot)}`);
    same(`0.${"0".repeat(next() % 30)}${digits}`);
    same(`${digits}e${(next() % 700) - 380}`);
    same(`-${digits.slice(0, dot)}.${digits.slice(dot)}e${(next() % 80) - 40}`);
  }
});

Deno.test("parseDecimal() rounds texts at, just below and just above halfway points correctly", () => {
  const next = rng(5);
  for (let i = 0; i < 6_000 * RUNS; i++) {
    // Doubles of every magnitude, subnormals and values near 2^53 included.
    const pick = next() % 4;
    const x = pick === 0
      ? Math.abs(randomDouble(next))
      : pick === 1
      ? (next() % 2 ** 20) * 2 ** -1074
      : pick === 2
      ? 2 ** 53 + (next() % 1000) * 2
      : (1 + next() / 2 ** 32) * 10 ** ((next() % 40) - 20);
    if (!(x < Number.MAX_VALUE)) continue;
    const half = halfwayAbove(x); // exactly halfway: ties to even
    same(half);
    const cut = half.indexOf(".") === -1 ? half.length : half.indexOf(".");
    const significant = half.replace(".", "").replace(/^0+/, "").length;
    // The same point truncated (just below) and nudged up by a digit (just above).
    for (const keep of [17, 19, 20, 25, 40]) {
      if (keep >= significant) continue;
      const lead = half.length - half.replace(/^[0.]+/, "").length;
      const end = Math.max(lead + keep + (cut < lead + keep ? 1 : 0), cut + 1);
      const below = half.slice(0, end);
      same(below);
      same(`${below}${below.includes(".") ? "" : "."}9`);
      same(`${below}${below.includes(".") ? "" : "."}0000001`);
    }
    same(exactDecimal(x));
  }
});

/** Texts with their value (Number() of the text, compared bit for bit) and where reading stops. */
const EDGES: string[] = [
  "0",
  "-0",
  "+0",
  "-0.000e-999",
  "0e999",
  "000123.4500",
  "-000.0001",
  "+.5",
  "5.",
  ".5e1",
  "1e308",
  "1.7976931348623157e308",
  "1.7976931348623158e308", // rounds down to the largest double
  "1.7976931348623159e308", // overflows
  "1e309",
  "-1e400",
  "1e99999999",
  "4.9406564584124654e-324", // the least subnormal
  "2.4703282292062328e-324", // just above half of it: rounds up
  "2.4703282292062327e-324", // just below: 0
  "2.2250738585072011e-308", // the largest subnormal's neighbourhood
  "2.2250738585072014e-308", // the least normal
  "1e-320",
  "1e-400",
  "-1e-99999999",
  "9007199254740993", // 2^53 + 1: a tie, rounds to even
  "9007199254740995",
  "9007199254740993.0000000001",
  "18014398509481985",
  "123456789012345678",
  "1234567890123456789",
  "12345678901234567890",
  "0.30000000000000004",
  "0.1",
  "1e23",
  "8.98846567431158e307",
  "179769313486231580793728971405301e276",
  "2.2250738585072012e-308",
  "7.2057594037927933e16",
  "0.000000000000000000000000000000000000000000001e45",
];

for (const text of EDGES) {
  Deno.test(`parseDecimal() reads ${text} as Number() does, bit for bit`, () => {
    same(text);
    same(`-${text.replace(/^[+-]/, "")}`);
  });
}

/** [text, where reading stops] for bytes that are not (all) a number. */
const NOT_NUMBERS: [string, number][] = [
  ["", 0],
  [".", 1],
  ["-", 1],
  ["+", 1],
  ["-.", 2],
  ["e5", 0],
  ["1e", 2],
  ["1e+", 3],
  ["1.5e-", 5],
  ["Infinity", 0],
  ["NaN", 0],
  [" 1", 0],
];
for (const [text, stop] of NOT_NUMBERS) {
  Deno.test(`parseDecimal() gives NaN for ${JSON.stringify(text)}, stopping at ${stop}`, () => {
    const bytes = encoder.encode(text);
    assert.ok(Number.isNaN(parseDecimal(bytes, 0, bytes.length)));
    assert.equal(decimalStop, stop);
  });
}

Deno.test("parseDecimal() stops at the first byte that cannot continue the number, or at end", () => {
  const bytes = encoder.encode("x,-12.5e1,0.30733298365410255\n9");
  assert.equal(parseDecimal(bytes, 2, bytes.length), -125);
  assert.equal(decimalStop, 9);
  assert.equal(parseDecimal(bytes, 2, 5), -12);
  assert.equal(decimalStop, 5);
  assert.equal(parseDecimal(bytes, 10, bytes.length), 0.30733298365410255);
  assert.equal(decimalStop, 29);
  // Eight-digit reads never look past `end`.
  assert.equal(parseDecimal(bytes, 10, 20), 0.30733298);
  assert.equal(decimalStop, 20);
  assert.equal(parseDecimal(bytes, 1, 5), NaN);
  assert.equal(parseDecimal(bytes, 6, 7), 5);
});

Deno.test("parseDecimal() reads the same numbers from a subarray at any offset", () => {
  const text = "1.2345678901234567,0.30733298365410255,-2.983782696953203e-7";
  for (let pad = 0; pad < 9; pad++) {
    const bytes = encoder.encode(`${"#".repeat(pad)}${text}`).subarray(pad);
    const values: number[] = [];
    for (let i = 0; i < bytes.length; i = decimalStop + 1) {
      values.push(parseDecimal(bytes, i, bytes.length));
    }
    assert.deepEqual(values, text.split(",").map(Number));
  }
});

Deno.test("parseDecimal() reads a view of a resizable buffer again after the buffer grows", () => {
  const buffer = new ArrayBuffer(8, { maxByteLength: 64 });
  const bytes = new Uint8Array(buffer); // tracks the buffer's length
  bytes.set(encoder.encode("1.5,2.25"));
  assert.equal(parseDecimal(bytes, 0, bytes.length), 1.5);
  buffer.resize(40);
  bytes.set(encoder.encode("0.30733298365410255,-0.9510913060037043"));
  assert.equal(parseDecimal(bytes, 0, bytes.length), 0.30733298365410255);
  assert.equal(parseDecimal(bytes, 20, bytes.length), -0.9510913060037043);
});

/** [row, columns (-1: not a number column), from column, returns, stops at, values stored] */
const ROWS: [string, number[], number, number, number, number[]][] = [
  ["1.5,2,-3e2\n", [0, 1, 2], 0, 3, 10, [1.5, 2, -300]],
  ["1.5,2,x,4\n", [0, 1, -1, 2], 0, 2, 6, [1.5, 2]],
  ["x,0.30733298365410255,7", [-1, 1, 0], 1, 3, 23, [7, 0.30733298365410255]],
  ["1.5,abc,3\n", [0, 1, 2], 0, -2, 4, [1.5]],
  ["1.5,1e400,3\n", [0, 1, 2], 0, -2, 9, [1.5]],
  ["1.5 ,2\n", [0, 1], 0, -2, 3, [1.5]],
  ["1.5,2", [0, 1, 2], 0, -3, 5, [1.5, 2]],
];
for (const [row, columns, from, returns, stop, values] of ROWS) {
  Deno.test(`readNumbers() reads ${JSON.stringify(row)} from column ${from} to ${returns}`, () => {
    const bytes = encoder.encode(row);
    const out = new Float64Array(columns.length).fill(-1);
    assert.equal(
      readNumbers(bytes, from === 0 ? 0 : 2, bytes.length, out, 0, Int32Array.from(columns), from),
      returns,
    );
    assert.equal(decimalStop, stop);
    assert.deepEqual(Array.from(out.subarray(0, values.length)), values);
  });
}

Deno.test("the power-of-five table is the truncated (q >= 0) or rounded-up (q < 0) 5^q", () => {
  const POWERS_OF_FIVE = powerOfFiveTable();
  assert.equal(powerOfFiveTable(), POWERS_OF_FIVE, "built once");
  assert.deepEqual(powersOfFive(), POWERS_OF_FIVE);
  for (let q = SMALLEST_POWER_OF_TEN; q <= LARGEST_POWER_OF_TEN; q++) {
    const k = (q - SMALLEST_POWER_OF_TEN) * 4;
    let t = 0n;
    for (let w = 0; w < 4; w++) t = (t << 32n) | BigInt(POWERS_OF_FIVE[k + w]!);
    assert.ok(t >> 127n === 1n, `q=${q}: top bit set`);
    if (q >= 0) {
      // t·2^s <= 5^q < (t + 1)·2^s for the shift s that puts 5^q's top bit at 127.
      const p = 5n ** BigInt(q);
      const s = BigInt(p.toString(2).length - 128);
      if (s <= 0n) assert.equal(t, p << -s, `q=${q}`);
      else assert.ok(t << s <= p && p < (t + 1n) << s, `q=${q}`);
    } else {
      // t is 2^b / 5^-q rounded up (within one unit), for the b that normalises it.
      const p = 5n ** BigInt(-q);
      const b = BigInt(127 + p.toString(2).length);
      const exact = (1n << b) / p;
      assert.ok(t - exact >= 0n && t - exact <= 1n, `q=${q}: ${t - exact}`);
    }
  }
});

Deno.test("eiselLemire() gives w × 10^q correctly rounded for words of any size", () => {
  const next = rng(6);
  let undecided = 0;
  const n = 50_000 * RUNS;
  for (let i = 0; i < n; i++) {
    const wh = next() >>> (next() % 33);
    const wl = next();
    if (wh === 0 && wl === 0) continue;
    // q within the table, as parseDecimal() calls it (outside, the answer is 0 or infinity).
    const q = SMALLEST_POWER_OF_TEN + (next() % (LARGEST_POWER_OF_TEN - SMALLEST_POWER_OF_TEN + 1));
    const v = eiselLemire(wh, wl, q);
    const text = `${(BigInt(wh) << 32n) | BigInt(wl)}e${q}`;
    if (Number.isNaN(v)) {
      undecided++; // parseDecimal() falls back to Number()
      continue;
    }
    pair[0] = v;
    pair[1] = Number(text);
    assert.equal(pairBits[0], pairBits[1], text);
  }
  assert.ok(undecided < n / 100, `undecided ${undecided} of ${n}`);
});

Deno.test("the CSV reader rejects a cell that overflows to infinity, naming it", () => {
  assert.throws(
    () => parseDataset("a,b,t\n1,1e400,x\n", { source: "data.csv" }),
    (err: Error) => err.message === 'data.csv:2: column "b" (2): expected a number, got "1e400"',
  );
});

Deno.test("the CSV reader reads long and exponent cells to Number()'s doubles", () => {
  const cells = [
    "12345678901234567890123",
    "-0.30733298365410255",
    "2.4703282292062328e-324",
    "1.7976931348623157e308",
    "9007199254740993",
    "-0",
  ];
  const header = cells.map((_, i) => `c${i}`).join(",");
  const ds = parseDataset(`${header},t\n${cells.join(",")},x\n${cells.join(",")},y\n`);
  assert.deepEqual(Array.from(ds.x), [...cells, ...cells].map(Number));
  assert.ok(Object.is(ds.x[5], -0));
});

Deno.test("the WebAssembly kernel read most of the texts above itself, bit for bit", () => {
  // (Run after the property tests: the rest were longer than 19 digits, overflows or ties.)
  if (kernel === undefined) throw new Error("WebAssembly is not available");
  console.log(`the kernel read ${kernelRead.count} of ${kernelRead.all} texts`);
  assert.ok(kernelRead.all > 1_000_000 * RUNS, `${kernelRead.all} texts`);
  assert.ok(kernelRead.count > kernelRead.all * 0.6, `${kernelRead.count} of ${kernelRead.all}`);
});
