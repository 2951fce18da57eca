import assert from "node:assert/strict";
import { join } from "node:path";
import { featureQuality, type RefusalCause, refusalCause } from "../../../lib/drift/quality.ts";
import {
  parseLenient,
  readDriftTable,
  registerTableReader,
} from "../../../lib/drift/table_reader.ts";
import { FluxError } from "../../../lib/errors.ts";
import { withTempDir } from "../../support/fixtures.ts";

const CAUSES: [string, RefusalCause][] = [
  ['instances[3][7]: expected a finite number, got "abc"', "non_numeric"],
  ["instances[0].f2: expected a finite number, got null", "missing"],
  ["inputs[0].data[4]: expected a finite number, got NaN", "non_numeric"],
  ['instances[1]: missing feature "f3"', "missing"],
  ['features: unknown feature "f9"', "unknown_feature"],
  ["instances[0]: expected 4 features, got 2", "wrong_shape"],
  ["inputs[0].shape: the model takes 4 features, got 3", "wrong_shape"],
  ["body: not valid JSON", "malformed"],
];
for (const [message, cause] of CAUSES) {
  Deno.test(`refusalCause() files "${message}" under ${cause}`, () => {
    assert.equal(refusalCause(message), cause);
  });
}

Deno.test("featureQuality() gives counts and their shares of the rows", () => {
  assert.deepEqual(featureQuality(1, 2, 3, 10), {
    out_of_range: 1,
    missing: 2,
    non_numeric: 3,
    share_out_of_range: 0.1,
    share_missing: 0.2,
    share_non_numeric: 0.3,
  });
  assert.equal(featureQuality(0, 0, 0, 0).share_missing, 0);
});

const OPTIONS = { features: ["a", "b"], target: "y", lenient: true };

Deno.test("parseLenient() counts empty and non-numeric cells, keeps the row and the target", () => {
  const t = parseLenient("b,y,a\n1,x,\n0x10,y,2\nInfinity,x,3\n", "d.csv", OPTIONS);
  assert.equal(t.nRows, 3);
  assert.deepEqual(Array.from(t.missing), [1, 0]);
  assert.deepEqual(Array.from(t.nonNumeric), [0, 2]);
  assert.deepEqual(Array.from(t.x), [NaN, 1, 2, NaN, 3, NaN]);
  assert.deepEqual(t.targetValues, ["x", "y", "x"]);
});

const BAD: [string, string, RegExp][] = [
  ["a missing column", "a\n1\n", /d\.csv: columns do not match the model: missing \[b\]/],
  ["a header only", "a,b\n", /d\.csv: has a header but no rows/],
  ["an empty file", "", /d\.csv: is empty/],
  ["a short row", "a,b\n1,2\n3\n", /d\.csv: row 2 has 1 fields, the header 2/],
];
for (const [what, text, message] of BAD) {
  Deno.test(`parseLenient() refuses ${what} with a data error naming the file`, () => {
    assert.throws(() => parseLenient(text, "d.csv", OPTIONS), (err: unknown) => {
      assert.ok(err instanceof FluxError);
      assert.equal(err.code, "data_error");
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("readDriftTable() reads paths and file: URLs, and hands other schemes to their reader", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "d.csv");
    await Deno.writeTextFile(path, "a,b\n1,2\n");
    const strict = { ...OPTIONS, lenient: false };
    assert.deepEqual(Array.from((await readDriftTable(path, strict)).x), [1, 2]);
    assert.deepEqual(Array.from((await readDriftTable(`file://${path}`, OPTIONS)).x), [1, 2]);
    await assert.rejects(readDriftTable("memtest://x/d.csv", OPTIONS), (err: unknown) => {
      assert.ok(err instanceof FluxError);
      assert.equal(err.code, "usage");
      assert.match(err.message, /memtest:\/\/x\/d\.csv: no reader for memtest:\/\/ sources here/);
      return true;
    });
    registerTableReader("memtest", (uri, o) => Promise.resolve(parseLenient("a,b\n5,6\n", uri, o)));
    assert.deepEqual(Array.from((await readDriftTable("memtest://x/d.csv", OPTIONS)).x), [5, 6]);
  });
});
