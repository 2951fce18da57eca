import assert from "node:assert/strict";
import fc from "fast-check";
import { formatRequestLog, isoNow, type RequestLog } from "../../../lib/log/request_line.ts";

const BASE: RequestLog = {
  time: "2026-11-26T03:00:53.076Z",
  level: "info",
  msg: "request",
  request_id: "4d73a97b-a7a8-465d-b78d-83ef6ba0d3fb",
  method: "POST",
  route: "/api/predict",
  status: 200,
  latency_ms: 0.539,
  model_version: "20261126T024525Z-e3eec1ee",
  instances: 1,
};

const CASES: [string, RequestLog, number | undefined][] = [
  ["a one-row prediction", BASE, undefined],
  ["a serving thread's line", BASE, 1],
  ["no model", { ...BASE, status: 503, level: "error", model_version: null }, 0],
  [
    "an error code",
    { ...BASE, status: 400, level: "warn", error_code: "invalid_input" },
    undefined,
  ],
  ["a version with quotes, a backslash and a line break", {
    ...BASE,
    model_version: 'v"1\\\n\u2028ü',
  }, 3],
  ["a latency of zero and a large count", { ...BASE, latency_ms: 0, instances: 10_000 }, undefined],
];

for (const [name, entry, thread] of CASES) {
  Deno.test(`a request log line is the JSON of its entry: ${name}`, () => {
    const line = formatRequestLog(entry, thread);
    assert.equal(line, JSON.stringify(thread === undefined ? entry : { ...entry, thread }));
    assert.deepEqual(JSON.parse(line), thread === undefined ? entry : { ...entry, thread });
  });
}

Deno.test("a request log line is the JSON of its entry for any strings and numbers", () => {
  fc.assert(
    fc.property(
      fc.record({
        request_id: fc.string(),
        method: fc.string(),
        route: fc.string(),
        status: fc.integer({ min: 100, max: 599 }),
        latency_ms: fc.double({ min: 0, max: 1e6, noNaN: true }),
        model_version: fc.option(fc.string({ unit: "binary" }), { nil: null }),
        instances: fc.nat(),
      }),
      fc.option(fc.nat({ max: 7 }), { nil: undefined }),
      (fields, thread) => {
        const entry: RequestLog = { ...BASE, ...fields };
        const expected = JSON.stringify(thread === undefined ? entry : { ...entry, thread });
        assert.equal(formatRequestLog(entry, thread), expected);
      },
    ),
  );
});

Deno.test("isoNow gives the time as toISOString does, within the millisecond", () => {
  const before = Date.now();
  const iso = isoNow();
  const after = Date.now();
  const t = Date.parse(iso);
  assert.ok(t >= before && t <= after, `${iso} not within [${before}, ${after}]`);
  assert.equal(new Date(t).toISOString(), iso);
});
