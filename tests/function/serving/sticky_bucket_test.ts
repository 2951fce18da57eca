import assert from "node:assert/strict";
import {
  bucketOf,
  BUCKETS,
  bucketsFor,
  fnv1a32,
  inShare,
} from "../../../function/serving/sticky_bucket.ts";

Deno.test("fnv1a32() gives the published FNV-1a 32-bit values", () => {
  const cases: [string, number][] = [
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ];
  for (const [key, want] of cases) assert.equal(fnv1a32(key), want, JSON.stringify(key));
});

Deno.test("fnv1a32() hashes the UTF-8 bytes of a key that is not ASCII", () => {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode("é-subject")) h = Math.imul(h ^ b, 0x01000193);
  assert.equal(fnv1a32("é-subject"), h >>> 0);
});

Deno.test("bucketOf() puts a key in the same bucket every time, on every machine", () => {
  assert.equal(bucketOf("subject-42"), 8620);
  assert.equal(bucketOf("alice"), 7479);
  for (let i = 0; i < 100; i++) assert.equal(bucketOf("alice"), 7479);
});

Deno.test("bucketsFor() rounds a weight to the nearest 0.01%", () => {
  const cases: [number, number][] = [[0, 0], [0.1, 1000], [0.00004, 0], [0.00005, 1], [1, BUCKETS]];
  for (const [weight, want] of cases) assert.equal(bucketsFor(weight), want, String(weight));
});

Deno.test("inShare() sends each weight's share of distinct keys, within a point", () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `subject-${i}`);
  for (const weight of [0, 0.01, 0.1, 0.25, 0.5, 0.9, 1]) {
    const buckets = bucketsFor(weight);
    const share = keys.filter((k) => inShare(k, buckets)).length / keys.length;
    if (weight === 0 || weight === 1) assert.equal(share, weight);
    else assert.ok(Math.abs(share - weight) < 0.01, `weight ${weight}: share ${share}`);
  }
});
