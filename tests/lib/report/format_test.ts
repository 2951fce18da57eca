import assert from "node:assert/strict";
import {
  formatCount,
  formatMetric,
  formatSeconds,
  formatTimestamp,
  textLength,
  truncate,
} from "../../../lib/report/format.ts";

Deno.test("formatMetric() prints fixed decimals and a dash for missing values", () => {
  const cases: [number | null, number | undefined, string][] = [
    [0.91234, undefined, "0.9123"],
    [1, 3, "1.000"],
    [null, undefined, "—"],
    [NaN, undefined, "—"],
    [Infinity, 2, "—"],
  ];
  for (const [value, digits, expected] of cases) {
    assert.equal(formatMetric(value, digits), expected, String(value));
  }
});

Deno.test("formatCount() groups thousands", () => {
  const cases: [number, string][] = [[0, "0"], [999, "999"], [1000, "1,000"], [
    1234567,
    "1,234,567",
  ]];
  for (const [value, expected] of cases) assert.equal(formatCount(value), expected);
});

Deno.test("formatSeconds() picks a unit that reads well", () => {
  const cases: [number, string][] = [
    [0.4213, "0.42 s"],
    [12.34, "12.3 s"],
    [245, "4 min 05 s"],
    [7380, "2 h 03 min"],
    [-1, "—"],
    [NaN, "—"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(formatSeconds(value), expected, String(value));
  }
});

Deno.test("formatTimestamp() shows ISO times in UTC and leaves other text alone", () => {
  assert.equal(formatTimestamp("2025-03-14T09:26:53.589Z"), "2025-03-14 09:26 UTC");
  assert.equal(formatTimestamp("2025-03-14T11:26:00+02:00"), "2025-03-14 09:26 UTC");
  assert.equal(formatTimestamp("last Tuesday"), "last Tuesday");
});

Deno.test("truncate() cuts long text at a code point and marks the cut", () => {
  assert.equal(truncate("short", 10), "short");
  assert.equal(truncate("abcdefghij", 5), "abcd…");
  assert.equal(truncate("😀😀😀😀", 3), "😀😀…");
  assert.equal(textLength("😀a"), 2);
});
