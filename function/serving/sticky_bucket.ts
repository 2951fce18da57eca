/**
 * Sticky traffic assignment: a key (a request header's value) is hashed to one of 10,000 buckets,
 * and the lowest `weight × 10,000` buckets go to the candidate. The same key always lands in the
 * same bucket, in every process and on every machine, so a subject keeps its version for as long
 * as the weight stays the same.
 * @module
 */

/** Buckets a weight is measured in: weights are rounded to 0.01 %. */
export const BUCKETS = 10_000;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/**
 * FNV-1a, 32 bits, of the UTF-8 bytes of `key`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fnv1a32 } from "./sticky_bucket.ts";
 * assert.equal(fnv1a32("foobar"), 0xbf9cf968);
 * ```
 */
export function fnv1a32(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    // Header values and request ids are ASCII, whose UTF-8 bytes are the char codes; anything
    // else goes through the encoder so the hash stays that of the UTF-8 bytes.
    if (c > 0x7f) return fnv1a32Bytes(utf8.encode(key));
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}

/** The bucket of `key`, 0 to {@link BUCKETS} − 1. */
export function bucketOf(key: string): number {
  return fnv1a32(key) % BUCKETS;
}

/** How many buckets a weight (a fraction from 0 to 1) covers. */
export function bucketsFor(weight: number): number {
  return Math.round(weight * BUCKETS);
}

/** Whether `key` falls in the share of traffic that `buckets` (see {@link bucketsFor}) covers. */
export function inShare(key: string, buckets: number): boolean {
  return bucketOf(key) < buckets;
}
