import assert from "node:assert/strict";
import { join } from "node:path";
import { readDataset } from "../../../lib/data/csv.ts";
import { numberKernel, useNumberKernel } from "../../../lib/data/wasm_numbers.ts";
import { withTempDir } from "../../support/fixtures.ts";

const encoder = new TextEncoder();
const kernel = numberKernel();
if (kernel === undefined) throw new Error("WebAssembly is not available: the kernel is not tested");
const k = kernel;
const pair = new Float64Array(2);
const bits = new BigUint64Array(pair.buffer);

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

/** Reads `text` with the kernel, asking for `n` cells: the count, the values and the stop. */
function read(text: string, n: number): { got: number; values: number[]; stop: number } {
  const bytes = encoder.encode(text);
  const delta = k.load(bytes, 0, bytes.length);
  const got = k.cells(delta, n);
  return { got, values: Array.from(k.out.subarray(0, got)), stop: k.stop() - delta };
}

/** Fails unless the kernel reads `text` (one cell) to Number(text) bit for bit, or declines it. */
function sameOrDeclined(text: string): boolean {
  const { got, values, stop } = read(text, 1);
  if (got === 0) {
    assert.equal(stop, 0, text);
    return false;
  }
  pair[0] = values[0]!;
  pair[1] = Number(text);
  if (bits[0] !== bits[1] || stop !== text.length) {
    assert.fail(`${text}: the kernel read ${pair[0]} (stop ${stop}), Number() ${pair[1]}`);
  }
  return true;
}

Deno.test("the kernel reads texts of 1 to 19 digits at every exponent as Number() does", () => {
  const next = rng(7);
  let read = 0;
  const n = 300_000;
  for (let i = 0; i < n; i++) {
    const length = 1 + (next() % 19);
    let digits = "";
    for (let j = 0; j < length; j++) digits += next() % 10;
    const q = (next() % 700) - 360;
    const dot = next() % (length + 1);
    if (sameOrDeclined(`${digits}e${q}`)) read++;
    if (sameOrDeclined(`-${digits.slice(0, dot)}.${digits.slice(dot)}E+${q & 31}`)) read++;
  }
  // Only overflows, too many digits and undecidable products are left to the caller.
  assert.ok(read > 2 * n * 0.9, `the kernel read ${read} of ${2 * n}`);
});

Deno.test("the kernel rounds exact ties to even (integers between 2^53 and 2^64, halves)", () => {
  for (
    const w of [2n ** 53n + 1n, 2n ** 53n + 3n, 2n ** 54n + 2n, 2n ** 54n + 6n, 2n ** 63n + 1024n]
  ) {
    for (let d = -3n; d <= 3n; d++) assert.ok(sameOrDeclined(String(w + d)));
  }
  for (const text of ["9007199254740993", "9007199254740995", "4503599627370496.5", "0.5e1"]) {
    assert.ok(sameOrDeclined(text), text);
  }
});

Deno.test("the kernel reads subnormals, the least and greatest doubles, and ±0", () => {
  for (
    const text of [
      "5e-324",
      "2e-324",
      "3e-324",
      "2.4703282292062328e-324",
      "2.2250738585072011e-308",
      "2.2250738585072014e-308",
      "1.7976931348623157e308",
      "0",
      "-0",
      "0e999999",
      "-0.000",
      "1e-400",
      "-1e-400",
    ]
  ) assert.ok(sameOrDeclined(text), text);
});

Deno.test("the kernel reads leading zeros before up to 19 significant digits as Number() does", () => {
  for (
    const text of [
      "-0.00021611283423572658",
      "-0.0019498438033032234",
      "0.000000000000000000001234567890123456789",
      "00000000000000000000000000001",
      "000000001234567890123456789e-10",
      "-0.00000000",
    ]
  ) assert.ok(sameOrDeclined(text), text);
  // Twenty significant digits after the zeros are still left to the caller.
  assert.equal(read("0.00012345678901234567890", 1).got, 0);
  assert.equal(read("12345678901234567890", 1).got, 0);
});

const cases: readonly [string, number, number, number[], number][] = [
  // text, cells asked, cells read, values, stop
  ["1,2,3", 3, 3, [1, 2, 3], 5],
  ["1,2,3", 2, 2, [1, 2], 3],
  ["1,2,3\n", 3, 3, [1, 2, 3], 5],
  ["1,x,3", 3, 1, [1], 2],
  ["1,2;3", 3, 1, [1], 2],
  ["1,2-3", 3, 1, [1], 2],
  ["1e,2", 2, 0, [], 0],
  ["1e400,2", 2, 0, [], 0],
  [".,2", 2, 0, [], 0],
  ["12345678901234567890,2", 2, 0, [], 0],
  ["+.5,-5.,1E-2", 3, 3, [0.5, -5, 0.01], 12],
  [" 1,2", 2, 0, [], 0],
  ["1 ,2", 2, 0, [], 0],
  ["1,", 2, 1, [1], 2],
  ["", 1, 0, [], 0],
];
for (const [text, n, got, values, stop] of cases) {
  Deno.test(`the kernel reads ${got} of ${n} cells of ${JSON.stringify(text)}, stopping at ${stop}`, () => {
    assert.deepEqual(read(text, n), { got, values, stop });
  });
}

/** Reads whole rows of `text` with the kernel's rows function: the count, values, labels, stop. */
function readRows(
  text: string,
  columns: number[],
  features: number,
  keys: string[],
  n: number,
): { rows: number; values: number[]; labels: number[]; stop: number } {
  const bytes = encoder.encode(text);
  const delta = k.load(bytes, 0, bytes.length);
  assert.ok(k.layout(Int32Array.from(columns), features));
  k.keys(keys.map((key) => encoder.encode(key)), keys.map((_, id) => id));
  const rows = k.rows(delta, n);
  return {
    rows,
    values: Array.from(k.out.subarray(0, rows * features)),
    labels: columns.includes(-1) ? Array.from(k.labels.subarray(0, rows)) : [],
    stop: k.stop() - delta,
  };
}

const rowCases: readonly [string, string, number[], number, number, number[], number[], number][] =
  [
    // what, text, columns, rows asked, rows read, values, label ids, stop
    ["two rows, LF", "1,2,a\n3,4,b\n", [0, 1, -1], 9, 2, [1, 2, 3, 4], [0, 1], 12],
    ["CRLF", "1,2,a\r\n3,4,a\n", [0, 1, -1], 9, 2, [1, 2, 3, 4], [0, 0], 13],
    ["as many as asked", "1,2,a\n3,4,a\n", [0, 1, -1], 1, 1, [1, 2], [0], 6],
    ["a label first, features reordered", "b,2,1\n", [-1, 1, 0], 9, 1, [1, 2], [1], 6],
    ["no label column", "1,2\n", [0, 1], 9, 1, [1, 2], [], 4],
    ["up to an unknown label", "1,2,a\n1,2,c\n", [0, 1, -1], 9, 1, [1, 2], [0], 6],
    ["up to a quoted label", '1,2,a\n1,2,"a"\n', [0, 1, -1], 9, 1, [1, 2], [0], 6],
    ["up to a blank line", "1,2,a\n\n3,4,a\n", [0, 1, -1], 9, 1, [1, 2], [0], 6],
    ["not a lone CR", "1,2,a\r3,4,a\n", [0, 1, -1], 9, 0, [], [], 0],
    ["not a row without its line end", "1,2,a", [0, 1, -1], 9, 0, [], [], 0],
    ["not a row with a cell too many", "1,2,a,\n", [0, 1, -1], 9, 0, [], [], 0],
    ["not a row with a cell too few", "1,2\n", [0, 1, -1], 9, 0, [], [], 0],
    ["not a row with a space", "1, 2,a\n", [0, 1, -1], 9, 0, [], [], 0],
    ["not a row with an empty label", "1,2,\n", [0, 1, -1], 9, 0, [], [], 0],
  ];
for (const [what, text, columns, n, rows, values, labels, stop] of rowCases) {
  Deno.test(`the kernel's rows function reads ${what}: ${rows} of ${JSON.stringify(text)}`, () => {
    const features = columns.filter((c) => c >= 0).length;
    assert.deepEqual(readRows(text, columns, features, ["a", "b"], n), {
      rows,
      values,
      labels,
      stop,
    });
  });
}

/** A cell as data files have them, or one the kernel must leave to the JavaScript path. */
function randomCell(next: () => number): string {
  const x = ((next() / 2 ** 32 - 0.5) * 8) * 10 ** ((next() % 9) - 4);
  switch (next() % 16) {
    case 0:
      return x.toFixed(next() % 21);
    case 1:
      return x.toExponential(next() % 20);
    case 2:
      return `${x.toPrecision(17)}123456789`; // more than 19 digits
    case 3:
      return ["1e400", "-1e999", "x", "", " 1", "1 ", "0x10", '"2"', "-", ".", "1e", "NaN"][
        next() % 12
      ]!;
    default:
      return String(x);
  }
}

/** What reading the file gives: its values and labels bit for bit, or the error's message. */
async function outcome(path: string): Promise<string> {
  try {
    const ds = await readDataset(path);
    const bits = new BigUint64Array(ds.x.buffer, ds.x.byteOffset, ds.x.length);
    return `${ds.nRows} rows ${bits.join(" ")} | ${ds.y.join(" ")} | ${ds.classes.join(" ")}`;
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

Deno.test("readDataset() gives the same values, rows, errors, lines and columns with the kernel as without", async () => {
  const next = rng(11);
  let errors = 0;
  await withTempDir(async (dir) => {
    for (let f = 0; f < 120; f++) {
      // Files 3 and 4: rows of 6 to 11 kB, longer than the margin the kernel's window is taken
      // again at, so cells are cut at a window's end.
      const wide = f === 3 || f === 4;
      const width = f === 3 ? 600 : f === 4 ? 30 : 1 + (next() % 6);
      const labelAt = f === 4 ? 0 : next() % (width + 1);
      const header = Array.from({ length: width + 1 }, (_, c) => (c === labelAt ? "y" : `f${c}`));
      const rows = [header.join(",")];
      // A few files longer than one read.
      const nRows = f < 3 ? 40_000 : wide ? 500 : 1 + (next() % 60);
      const clean = wide || next() % 3 !== 0;
      for (let r = 0; r < nRows; r++) {
        const cells = header.map((_, c) =>
          c === labelAt
            ? String(next() % 3)
            : clean && next() % 50 !== 0
            ? String(((next() / 2 ** 32 - 0.5) * 8) * 10 ** ((next() % 9) - 4))
            : randomCell(next)
        );
        // File 4: a last cell of ~6 kB (an exponent with leading zeros): most window ends fall
        // inside it.
        if (f === 4) cells[width] = `${r % 7}.5e${"0".repeat(6000 + (next() % 500))}${r % 10}`;
        if (!clean && next() % 40 === 0) cells.pop();
        rows.push(cells.join(","));
        if (next() % 30 === 0) rows.push("");
      }
      const path = join(dir, `f${f}.csv`);
      await Deno.writeTextFile(path, rows.join(next() % 4 === 0 ? "\r\n" : "\n"));
      useNumberKernel(false);
      const without = await outcome(path);
      useNumberKernel(true);
      const withKernel = await outcome(path);
      assert.equal(withKernel, without, `file ${f}`);
      if (withKernel.startsWith("error")) errors++;
    }
  });
  // Both outcomes were compared many times.
  assert.ok(errors > 20 && errors < 100, `${errors} of 120 files were errors`);
});
