/**
 * How large a forest's model.json will be, checked while the trees are trained. model.json is
 * one JSON text, written and read as one JavaScript string, and V8 holds at most 2^29 - 24
 * characters in a string: 100 fully grown trees on 10,000,000 rows (~60M nodes, ~25 characters
 * each in base64) would need ~1.5 GB and fail with V8's bare "Invalid string length" once
 * training is over. Counting as the trees arrive fails as soon as the limit is passed instead,
 * naming the cause and the cure.
 * @module
 */
import { InvalidInput } from "../errors.ts";

/** V8's longest string, in UTF-16 code units. */
export const MAX_STRING_CHARS = 2 ** 29 - 24;

/** Room kept for the rest of model.json: names, parameters, metrics, lineage, importances. */
export const RESERVED_CHARS = 16 * 2 ** 20;

/** Characters of the base64 text of `bytes` bytes. */
function base64Chars(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/**
 * Counts a forest's nodes, splits and leaf slots as trees are added, and the characters its
 * encoded arrays take in model.json (`lib/model/forest_codec.ts`: int32 tree offsets, features
 * and right children, float64 thresholds of the splits, float32 leaf values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ForestSize } from "./forest_size.ts";
 * const size = new ForestSize(100);
 * size.add(3, 1, 4); // a stump: one split, two leaves of two classes
 * assert.equal(size.nodes, 3);
 * size.check(); // far below the limit
 * ```
 */
export class ForestSize {
  /** Trees added so far. */
  trees = 0;
  /** Nodes added so far. */
  nodes = 0;
  /** Split nodes added so far (they carry a threshold). */
  splits = 0;
  /** Leaf values added so far (leaves x classes). */
  leafSlots = 0;

  /** @param total the trees the forest will have, for the message */
  constructor(readonly total: number) {}

  /** Adds one tree's counts. */
  add(nodes: number, splits: number, leafSlots: number): void {
    this.trees++;
    this.nodes += nodes;
    this.splits += splits;
    this.leafSlots += leafSlots;
  }

  /** Characters of the encoded forest arrays in model.json so far. */
  chars(): number {
    return base64Chars(4 * (this.total + 1)) + 2 * base64Chars(4 * this.nodes) +
      base64Chars(8 * this.splits) + base64Chars(4 * this.leafSlots);
  }

  /** Throws {@link InvalidInput} when model.json could no longer be written. */
  check(): void {
    const chars = this.chars();
    if (chars + RESERVED_CHARS <= MAX_STRING_CHARS) return;
    const mib = (n: number) => Math.round(n / 2 ** 20);
    throw new InvalidInput(
      `the forest is too large for model.json: after ${this.trees} of ${this.total} trees it has ` +
        `${this.nodes.toLocaleString("en")} nodes, ~${mib(chars)} MiB of text, and one ` +
        `model.json holds at most ~${mib(MAX_STRING_CHARS - RESERVED_CHARS)} MiB (the longest ` +
        `string a JavaScript engine keeps); bound the trees (max_depth, min_samples_leaf) or ` +
        `train fewer of them`,
    );
  }
}

/** Counts one tree's split nodes (those with a feature). */
export function countSplits(feature: Int32Array): number {
  let splits = 0;
  for (let i = 0; i < feature.length; i++) if (feature[i]! >= 0) splits++;
  return splits;
}
