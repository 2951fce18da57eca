import assert from "node:assert/strict";
import { readInstances } from "../../../lib/serving/fast_instances.ts";
import { featureIndex, parseInstances } from "../../../lib/serving/instances.ts";

const NAMES = ["a", "b", "c"];
const OPTS = { features: NAMES, maxInstances: 4, index: featureIndex(NAMES) };
const enc = new TextEncoder();

/** What the full parser makes of `text`, or the error it throws. */
function full(text: string) {
  return parseInstances(JSON.parse(text), OPTS);
}

function assertSameRows(text: string): void {
  const fast = readInstances(enc.encode(text), OPTS);
  assert.ok(fast, `the fast reader takes ${text}`);
  const ref = full(text);
  assert.equal(fast.nRows, ref.nRows);
  assert.equal(fast.single, ref.single);
  assert.equal(fast.x.length, ref.x.length);
  for (let i = 0; i < ref.x.length; i++) {
    assert.ok(Object.is(fast.x[i], ref.x[i]), `${text}: value ${i} ${fast.x[i]} vs ${ref.x[i]}`);
  }
}

Deno.test("readInstances() reads the common bodies to the rows JSON.parse and parseInstances give", () => {
  for (
    const text of [
      '{"features":[1,2,3]}',
      ' { "features" : [ -0 , 0.5 , -1.25e-3 ] } \n',
      '{"features":{"c":3,"a":1,"b":2}}',
      '{"instances":[[1,2,3]]}',
      '{"instances":[[1,2,3],[4.5,6E2,-7e+1],[0.1,0.2,0.30000000000000004]]}',
      '{"features":[1.7976931348623157e308,5e-324,123456789012345678901234567890]}',
      '{"features":[0.48205937107294655,-0.8927876205543874,1e22]}',
      '{"features":[9007199254740993,1e23,2.2250738585072011e-308]}',
    ]
  ) assertSameRows(text);
});

Deno.test("readInstances() gives every value JSON.parse gives, on 20,000 random numbers", () => {
  let seed = 42;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const formats = [
    (v: number) => String(v),
    (v: number) => v.toExponential(Math.floor(rand() * 20)),
    (v: number) => v.toFixed(Math.floor(rand() * 20)),
    (v: number) => v.toPrecision(1 + Math.floor(rand() * 21)),
    (v: number) => String(Math.round(v)),
  ];
  for (let t = 0; t < 20_000 / 3; t++) {
    const row = NAMES.map(() => {
      const v = (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30);
      return formats[Math.floor(rand() * formats.length)]!(v);
    });
    assertSameRows(`{"features":[${row.join(",")}]}`);
  }
});

Deno.test("readInstances() leaves every other body to the full parser", () => {
  const table: [string, string][] = [
    ["invalid JSON", "{features:[1,2,3]}"],
    ["a trailing comma", '{"features":[1,2,3,]}'],
    ["trailing text", '{"features":[1,2,3]} x'],
    ["a leading zero", '{"features":[01,2,3]}'],
    ["a bare dot", '{"features":[1.,2,3]}'],
    ["a number too large for a double", '{"features":[1e999,2,3]}'],
    ["a string value", '{"features":[1,"2",3]}'],
    ["null", '{"features":[1,null,3]}'],
    ["too few features", '{"features":[1,2]}'],
    ["too many features", '{"features":[1,2,3,4]}'],
    ["both fields", '{"features":[1,2,3],"instances":[[1,2,3]]}'],
    ["an unknown field", '{"feature":[1,2,3]}'],
    ["a repeated name", '{"features":{"a":1,"a":2,"b":3}}'],
    ["a missing name", '{"features":{"a":1,"b":2}}'],
    ["an unknown name", '{"features":{"a":1,"b":2,"x":3}}'],
    ["an escaped name", '{"features":{"\\u0061":1,"b":2,"c":3}}'],
    ["an empty batch", '{"instances":[]}'],
    ["more rows than the limit", `{"instances":[${Array(5).fill("[1,2,3]").join(",")}]}`],
    ["named rows in a batch", '{"instances":[{"a":1,"b":2,"c":3}]}'],
    ["a byte-order mark", '\ufeff{"features":[1,2,3]}'],
    ["an array body", "[1,2,3]"],
  ];
  for (const [what, text] of table) {
    assert.equal(readInstances(enc.encode(text), OPTS), undefined, what);
  }
});
