/**
 * A very small WebAssembly binary writer: just the opcodes and sections the scoring kernel
 * (scoring_kernel.ts) needs, so the kernel is generated here from TypeScript rather than shipped
 * as an opaque binary.
 * @module
 */

/** Value types. */
export const I32 = 0x7f;
/** Value types. */
export const F64 = 0x7c;
/** Value types. */
export const I64 = 0x7e;

/** Opcodes used by the kernel (WebAssembly core specification, section 5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeS: 0x4e,
  f64Le: 0x65,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  f64Add: 0xa0,
  // For the CSV number reader (lib/data/wasm_numbers.ts).
  return: 0x0f,
  i32Load8U: 0x2d,
  i64Load: 0x29,
  i32Store: 0x36,
  i64Const: 0x42,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeU: 0x4f,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i64LtU: 0x54,
  i64LeU: 0x58,
  i64GeU: 0x5a,
  i64Clz: 0x79,
  i64Ctz: 0x7a,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64And: 0x83,
  i64Or: 0x84,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  f64Neg: 0x9a,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
  f64ConvertI64U: 0xba,
  f64ReinterpretI64: 0xbf,
} as const;

/** The empty block type. */
export const VOID = 0x40;

/** Signed LEB128 of a 64-bit integer. */
export function sleb64(n: bigint): number[] {
  if (n < -(1n << 63n) || n >= 1n << 64n) throw new RangeError(`sleb64: ${n}`);
  n = BigInt.asIntN(64, n);
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: ${n}`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 32) throw new RangeError(`sleb: ${n}`);
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A function body under construction. */
export class Code {
  readonly bytes: number[] = [];
  op(...ops: number[]): this {
    this.bytes.push(...ops);
    return this;
  }
  get(local: number): this {
    return this.op(Op.localGet, ...uleb(local));
  }
  set(local: number): this {
    return this.op(Op.localSet, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(Op.localTee, ...uleb(local));
  }
  i32(v: number): this {
    return this.op(Op.i32Const, ...sleb(v));
  }
  i64(v: bigint): this {
    return this.op(Op.i64Const, ...sleb64(v));
  }
  f64(v: number): this {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return this.op(Op.f64Const, ...b);
  }
  /** i32.load with a constant byte offset (alignment 4). */
  loadI32(offset = 0): this {
    return this.op(Op.i32Load, 2, ...uleb(offset));
  }
  /** f64.load with a constant byte offset (alignment 8). */
  loadF64(offset = 0): this {
    return this.op(Op.f64Load, 3, ...uleb(offset));
  }
  /** i32.load8_u with a constant byte offset. */
  loadU8(offset = 0): this {
    return this.op(Op.i32Load8U, 0, ...uleb(offset));
  }
  /** i64.load with a constant byte offset (alignment 8). */
  loadI64(offset = 0): this {
    return this.op(Op.i64Load, 3, ...uleb(offset));
  }
  /** i32.store with a constant byte offset (alignment 4). */
  storeI32(offset = 0): this {
    return this.op(Op.i32Store, 2, ...uleb(offset));
  }
  /** f64.store with a constant byte offset (alignment 8). */
  storeF64(offset = 0): this {
    return this.op(Op.f64Store, 3, ...uleb(offset));
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

/** One exported function of a module. */
export interface FunctionDef {
  readonly name: string;
  readonly params: readonly number[];
  /** Extra locals, by type, after the parameters. */
  readonly locals: readonly number[];
  readonly code: Code;
  /** Result types; none when left out. */
  readonly results?: readonly number[];
}

/**
 * A module importing one memory as `m.mem` (at least `minPages` pages) and exporting the given
 * functions (each returning its `results`, if any).
 */
export function moduleBytes(
  minPages: number,
  fns: readonly FunctionDef[],
): Uint8Array<ArrayBuffer> {
  const types = fns.flatMap((f) => {
    const results = f.results ?? [];
    return [0x60, ...uleb(f.params.length), ...f.params, ...uleb(results.length), ...results];
  });
  const imports = [...uleb(1), ...name("m"), ...name("mem"), 0x02, 0x00, ...uleb(minPages)];
  const funcs = [...uleb(fns.length), ...fns.flatMap((_, i) => uleb(i))];
  const exports = [
    ...uleb(fns.length),
    ...fns.flatMap((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
  ];
  const bodies = fns.map((f) => {
    const locals = f.locals.flatMap((t) => [1, t]);
    const body = [...uleb(f.locals.length), ...locals, ...f.code.bytes, Op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [...uleb(fns.length), ...types]),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, [...uleb(fns.length), ...bodies.flat()]),
  ]);
}
