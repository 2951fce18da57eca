/**
 * Property tests (fast-check) of the CSV reader: whatever bytes or almost-CSV text it is given,
 * it either yields a well-formed dataset or feature table, or throws a FluxOps error with a code
 * and a message naming the input and, for a bad record or cell, the line. Never anything else.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  parseDataset,
  parseFeatureTable,
  readDataset,
  readFeatureTable,
} from "../../../lib/data/csv.ts";
import type { Dataset } from "../../../lib/data/dataset.ts";
import { FluxError } from "../../../lib/errors.ts";
import { withTempDir } from "../../support/fixtures.ts";

/** Runs per property; `FLUXOPS_FC_RUNS` raises it for a longer search. */
const RUNS = Number(Deno.env.get("FLUXOPS_FC_RUNS") ?? 300);
const SOURCE = "fuzz.csv";

/** Cells that go wrong in a CSV of numbers and labels. */
const oddCell: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1e999",
    "1,5",
    "abc",
    '"',
    '""',
    '"a""b"',
    '"1\n2"',
    '"1\r\n2"',
    '"unclosed',
    'x"y',
    "\uFEFF",
    "\u0000",
    "é",
    "🙂",
    "\\",
  ),
  fc.string({ unit: "binary", maxLength: 6 }),
);

/** A number as a CSV cell: plain, padded, quoted or in exponent form. */
const numberCell: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 5 }).map(String) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  { weight: 1, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => ` ${v} `) },
  { weight: 1, arbitrary: fc.integer({ min: -9, max: 9 }).map((v) => `"${v}"`) },
  { weight: 1, arbitrary: fc.integer({ min: -9, max: 9 }).map((v) => `${v}e-3`) },
);
const labelCell = fc.constantFrom("cat", "dog", "0", "1", "2", '"b,c"', "01");

/** A valid CSV: a header of features and "label", then rows of numbers and a label. */
const validCsv = fc.integer({ min: 1, max: 4 }).chain((p) =>
  fc.record({
    bom: fc.boolean(),
    header: fc.constant([
      ...Array.from({ length: p }, (_, j) => ["a", "b", "c", "d"][j]!),
      "label",
    ]),
    rows: fc.array(
      fc.tuple(fc.array(numberCell, { minLength: p, maxLength: p }), labelCell),
      { minLength: 1, maxLength: 12 },
    ).map((rows) => rows.map(([x, y]) => [...x, y])),
    end: fc.constantFrom("\n", "\r\n", "\r"),
    last: fc.constantFrom("", "\n", "\r\n", "\n\n"),
  })
);

/** Valid CSV text, or the same with a few cells replaced, dropped or added. */
const almostCsv: fc.Arbitrary<string> = fc.tuple(
  validCsv,
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("cell" as const), at: fc.nat(), cell: oddCell }),
      fc.record({ kind: fc.constantFrom("drop" as const, "extra" as const), at: fc.nat() }),
    ),
    { maxLength: 2 },
  ),
).map(([csv, damage]) => {
  const records = [csv.header, ...csv.rows].map((r) => [...r]);
  for (const d of damage) {
    const r = records[d.at % records.length]!;
    const c = d.at % r.length;
    if (d.kind === "cell") r[c] = d.cell;
    else if (d.kind === "drop") r.splice(c, 1);
    else r.push("1");
  }
  return (csv.bom ? "\uFEFF" : "") + records.map((r) => r.join(",")).join(csv.end) + csv.last;
});

/** Anything: almost-CSV text, or random text of every kind of character. */
const anyText: fc.Arbitrary<string> = fc.oneof(
  almostCsv,
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(",", '"', "\n", "\r", "1", "a", " ", "\uFEFF"),
    maxLength: 80,
  }),
);

/** The error contract: a FluxError with a code, naming the input and a plausible line. */
function assertTypedError(err: unknown, source: string, text: string): void {
  if (!(err instanceof FluxError)) {
    throw new Error(`not a FluxError: ${err instanceof Error ? err.stack : String(err)}`);
  }
  assert.ok(["data_error", "invalid_input"].includes(err.code), err.code);
  assert.ok(err.message.startsWith(source), `does not name ${source}: ${err.message}`);
  const line = new RegExp(`^${source.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):`)
    .exec(err.message)?.[1];
  if (line !== undefined) {
    const lines = text.split(/\r\n|\n|\r/).length;
    assert.ok(Number(line) >= 1 && Number(line) <= lines, `line ${line} of ${lines}`);
  }
}

function assertDataset(ds: Dataset): void {
  assert.ok(ds.nRows >= 1);
  assert.ok(ds.nFeatures >= 1);
  assert.equal(ds.featureNames.length, ds.nFeatures);
  assert.equal(ds.x.length, ds.nRows * ds.nFeatures);
  for (const v of ds.x) assert.ok(Number.isFinite(v), `feature value ${v}`);
  assert.equal(ds.y.length, ds.nRows);
  assert.ok(ds.classes.length >= 2);
  for (const c of ds.y) assert.ok(c >= 0 && c < ds.classes.length);
}

Deno.test("parseDataset() yields a well-formed dataset or a typed error naming where, for any text", () => {
  fc.assert(
    fc.property(anyText, (text) => {
      let ds: Dataset;
      try {
        ds = parseDataset(text, { source: SOURCE });
      } catch (err) {
        assertTypedError(err, SOURCE, text);
        return;
      }
      assertDataset(ds);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseFeatureTable() yields rows in the model's order or a typed error, for any text", () => {
  const features = ["a", "b"];
  fc.assert(
    fc.property(anyText, (text) => {
      try {
        const t = parseFeatureTable(text, { features, target: "label", source: SOURCE });
        assert.ok(t.nRows >= 1);
        assert.equal(t.x.length, t.nRows * features.length);
        for (const v of t.x) assert.ok(Number.isFinite(v));
        if (t.targetValues) assert.equal(t.targetValues.length, t.nRows);
      } catch (err) {
        assertTypedError(err, SOURCE, text);
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("readDataset() and readFeatureTable() on random bytes yield data or a typed error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "random.csv");
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      almostCsv.map((t) => new TextEncoder().encode(t)),
      // Valid CSV bytes with a byte changed: broken UTF-8 in the middle of a record.
      fc.tuple(almostCsv, fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([t, at, b]) => {
        const out = new TextEncoder().encode(t);
        if (out.length > 0) out[at % out.length] = b;
        return out;
      }),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (data) => {
        await Deno.writeFile(path, data);
        const text = new TextDecoder().decode(data);
        try {
          assertDataset(await readDataset(path));
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          assertTypedError(err, path, text);
        }
        try {
          const t = await readFeatureTable(path, { features: ["a"], target: "b" });
          assert.equal(t.x.length, t.nRows);
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          assertTypedError(err, path, text);
        }
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

Deno.test("the file and the string reader agree on every almost-CSV text", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "same.csv");
    await fc.assert(
      fc.asyncProperty(almostCsv, async (text) => {
        await Deno.writeTextFile(path, text);
        const outcome = async (f: () => Dataset | Promise<Dataset>) => {
          try {
            const ds = await f();
            return { ok: ds.nRows, x: Array.from(ds.x), classes: ds.classes };
          } catch (err) {
            // The same message but for the source's name.
            return { error: (err as Error).message.replace(path, SOURCE) };
          }
        };
        assert.deepEqual(
          await outcome(() => readDataset(path)),
          await outcome(() => parseDataset(text, { source: SOURCE })),
        );
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

Deno.test("a ragged row or a bad cell is reported at its own line and column", () => {
  const damaged = validCsv.chain((csv) =>
    fc.record({
      csv: fc.constant(csv),
      row: fc.integer({ min: 0, max: csv.rows.length - 1 }),
      col: fc.integer({ min: 0, max: csv.header.length - 2 }),
      how: fc.constantFrom("drop", "extra", "text"),
    })
  );
  fc.assert(
    fc.property(damaged, ({ csv, row, col, how }) => {
      const rows = csv.rows.map((r) => [...r]);
      const r = rows[row]!;
      if (how === "drop") r.pop();
      else if (how === "extra") r.push("1");
      else r[col] = "abc";
      const text = [csv.header, ...rows].map((x) => x.join(",")).join(csv.end) + csv.last;
      const line = row + 2; // the header is line 1, and no cell spans lines
      const expected = how === "text"
        ? `${SOURCE}:${line}: column "${csv.header[col]}" (${
          col + 1
        }): expected a number, got "abc"`
        : `${SOURCE}:${line}: expected ${csv.header.length} fields (as in the header), got ${r.length}`;
      assert.throws(() => parseDataset(text, { source: SOURCE }), (err: unknown) => {
        assert.ok(err instanceof FluxError && err.code === "data_error", String(err));
        assert.equal(err.message, expected);
        return true;
      });
    }),
    { numRuns: RUNS },
  );
});
