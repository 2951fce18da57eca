import assert from "node:assert/strict";
import { countLineEnds, lastRecordEnd, shiftLine } from "../../../lib/data/csv_bytes.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** [what, text, end of the last whole record (-1: none)] */
const CUTS: [string, string, number][] = [
  ["LF rows", "a,b\n1,2\n3,", 8],
  ["CRLF rows", "a,b\r\n1,2\r\n3", 10],
  ["a CR last (maybe half a CRLF)", "a\r1\r", 2],
  ["lone CR rows", "a\r1\r2", 4],
  ["a line end inside quotes", 'a,b\n1,"x\ny', 4],
  ["a quoted line end closed", 'a,b\n1,"x\ny"\n2', 12],
  ["no line end", "a,b,c", -1],
  ["only a quoted line end", '"a\nb', -1],
];
for (const [what, text, end] of CUTS) {
  Deno.test(`lastRecordEnd() cuts ${what} at ${end}`, () => {
    const b = bytes(text);
    assert.equal(lastRecordEnd(b, 0, b.length), end);
  });
}

/** [text, line ends] */
const LINES: [string, number][] = [
  ["", 0],
  ["a\nb\n", 2],
  ["a\r\nb\r\n", 2],
  ["a\rb\r", 2],
  ["a\n\r\n\rb", 3],
];
for (const [text, n] of LINES) {
  Deno.test(`countLineEnds() counts ${n} line ends in ${JSON.stringify(text)}`, () => {
    const b = bytes(text);
    assert.equal(countLineEnds(b, 0, b.length), n);
  });
}

/** [message, source, by, moved] */
const SHIFTS: [string, string, number, string][] = [
  ["f.csv:3: expected 2 fields", "f.csv", 100, "f.csv:103: expected 2 fields"],
  [
    'f.csv:1: column "a" (1): expected a number',
    "f.csv",
    9,
    'f.csv:10: column "a" (1): expected a number',
  ],
  ["/d/a:1:2.csv:4: x", "/d/a:1:2.csv", 1, "/d/a:1:2.csv:5: x"],
  ["f.csv: no data rows after the header", "f.csv", 5, "f.csv: no data rows after the header"],
  ["other.csv:3: x", "f.csv", 5, "other.csv:3: x"],
];
for (const [message, source, by, moved] of SHIFTS) {
  Deno.test(`shiftLine() moves ${JSON.stringify(message)} by ${by}`, () => {
    assert.equal(shiftLine(message, source, by), moved);
  });
}
