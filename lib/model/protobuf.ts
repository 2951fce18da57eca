/**
 * A minimal Protocol Buffers writer (proto3 wire format): varints, length-delimited fields,
 * packed repeated numbers and nested messages. Enough to write ONNX models (onnx_export.ts)
 * without a protobuf dependency.
 * @module
 */

const enc = new TextEncoder();

/** Wire types. */
const VARINT = 0, LEN = 2;

/** A message under construction; fields are appended in the order written. */
export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #buf = new Uint8Array(256);
  #at = 0;
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #flush(): void {
    if (this.#at > 0) {
      this.#chunks.push(this.#buf.slice(0, this.#at));
      this.#at = 0;
    }
  }

  #room(n: number): void {
    if (this.#at + n > this.#buf.length) {
      this.#flush();
      if (n > this.#buf.length) this.#buf = new Uint8Array(Math.max(n, 256));
    }
  }

  #byte(b: number): void {
    this.#room(1);
    this.#buf[this.#at++] = b;
    this.#length++;
  }

  #raw(bytes: Uint8Array): void {
    if (bytes.length > 4096) {
      this.#flush();
      this.#chunks.push(bytes);
    } else {
      this.#room(bytes.length);
      this.#buf.set(bytes, this.#at);
      this.#at += bytes.length;
    }
    this.#length += bytes.length;
  }

  /** An unsigned varint (a non-negative safe integer). */
  #varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`protobuf: bad varint ${n}`);
    while (n >= 0x80) {
      this.#byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.#byte(n);
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  /** An int64/int32/enum field (non-negative values only). */
  int(field: number, v: number): this {
    this.#tag(field, VARINT);
    this.#varint(v);
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, s: string): this {
    return this.bytes(field, enc.encode(s));
  }

  /** A bytes field. */
  bytes(field: number, b: Uint8Array): this {
    this.#tag(field, LEN);
    this.#varint(b.length);
    this.#raw(b);
    return this;
  }

  /** A packed repeated int64 field (non-negative values). */
  packedInts(field: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.#varint(values[i]!);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytes(field, new Uint8Array(littleEndian(Float32Array.from(values))));
  }

  /** A nested message field. */
  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** The encoded message. */
  finish(): Uint8Array {
    this.#flush();
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.#chunks = [out];
    return out;
  }
}

/** The bytes of a typed array in little-endian order (this code runs on little-endian hosts). */
export function littleEndian(a: Float32Array | Float64Array): ArrayBuffer {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("protobuf: big-endian hosts are not supported");
  }
  return a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) as ArrayBuffer;
}
