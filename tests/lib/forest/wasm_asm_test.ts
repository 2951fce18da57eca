import assert from "node:assert/strict";
import { Code, I32, moduleBytes, Op, sleb, uleb } from "../../../lib/forest/wasm_asm.ts";

Deno.test("uleb() and sleb() write LEB128 as the WebAssembly specification does", () => {
  const unsigned: [number, number[]][] = [[0, [0]], [127, [127]], [128, [0x80, 1]], [
    624485,
    [0xe5, 0x8e, 0x26],
  ]];
  for (const [n, want] of unsigned) assert.deepEqual(uleb(n), want, `uleb(${n})`);
  const signed: [number, number[]][] = [[0, [0]], [-1, [0x7f]], [63, [63]], [64, [0xc0, 0]], [
    -123456,
    [0xc0, 0xbb, 0x78],
  ]];
  for (const [n, want] of signed) assert.deepEqual(sleb(n), want, `sleb(${n})`);
  for (const bad of [-1, 1.5, NaN]) assert.throws(() => uleb(bad), RangeError);
  for (const bad of [2 ** 32, -(2 ** 31) - 1, 0.5]) assert.throws(() => sleb(bad), RangeError);
});

Deno.test("moduleBytes() builds a module WebAssembly accepts and runs", () => {
  // add(a, b) stores a + b as a float64 at address 0 of the imported memory.
  const c = new Code().i32(0).get(0).get(1).op(Op.i32Add).op(0xb7 /* f64.convert_i32_s */)
    .storeF64(0);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const bytes = moduleBytes(1, [{ name: "add", params: [I32, I32], locals: [], code: c }]);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem: memory } });
  (inst.exports.add as (a: number, b: number) => void)(40, -2);
  assert.equal(new Float64Array(memory.buffer)[0], 38);
});
