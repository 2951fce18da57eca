/**
 * The compact forest's on-disk form: its typed arrays as little-endian base64 strings, checked
 * on the way back so a damaged file can never send prediction out of bounds or into a loop.
 * @module
 */
import { ForestSize } from "../forest/forest_size.ts";
import { InvalidModel } from "../errors.ts";
import type { Forest } from "../forest/forest.ts";

/** The forest as stored in model.json. */
export interface EncodedForest {
  readonly encoding: "base64-le";
  readonly n_trees: number;
  readonly n_nodes: number;
  readonly n_features: number;
  readonly n_classes: number;
  /** Int32 start of each tree's nodes, plus the end. */
  readonly tree_offsets: string;
  /** Int32 split feature, -1 for a leaf. */
  readonly feature: string;
  /** Float64 thresholds of split nodes only, in node order. */
  readonly threshold: string;
  /** Int32 right child (split) or leaf value offset (leaf). */
  readonly right: string;
  /** Float32 class frequencies, n_classes per leaf. */
  readonly leaf_values: string;
  /** Normalised mean decrease in impurity per feature. */
  readonly importances: readonly number[];
}

// Uint8Array.fromBase64/toBase64 are native in Deno but missing in Node.js 20 (checked on 20.20),
// where the Node.js-worker app (tasks/build_node_worker.ts) loads models: atob/btoa stand in there.
const NATIVE_BASE64 = typeof Uint8Array.fromBase64 === "function";

function toBase64(bytes: Uint8Array): string {
  if (NATIVE_BASE64) return bytes.toBase64();
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  if (NATIVE_BASE64) return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function b64(a: Int32Array | Float64Array | Float32Array): string {
  return toBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function unb64(name: string, text: unknown, bytesPer: number): ArrayBuffer {
  if (typeof text !== "string") throw new InvalidModel(`forest.${name}: expected a base64 string`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    throw new InvalidModel(`forest.${name}: not valid base64`);
  }
  if (bytes.byteLength % bytesPer !== 0) {
    throw new InvalidModel(
      `forest.${name}: ${bytes.byteLength} bytes is not a whole number of values`,
    );
  }
  return bytes.slice().buffer;
}

/** Encodes a forest for model.json. */
export function encodeForest(forest: Forest): EncodedForest {
  let splits = 0;
  for (const f of forest.feature) if (f >= 0) splits++;
  const size = new ForestSize(forest.treeOffsets.length - 1);
  size.add(forest.feature.length, splits, forest.leafValues.length);
  size.check(); // a merge of shards can pass the limit no shard reached
  const thresholds = new Float64Array(splits);
  for (let i = 0, j = 0; i < forest.feature.length; i++) {
    if (forest.feature[i]! >= 0) thresholds[j++] = forest.threshold[i]!;
  }
  return {
    encoding: "base64-le",
    n_trees: forest.treeOffsets.length - 1,
    n_nodes: forest.feature.length,
    n_features: forest.nFeatures,
    n_classes: forest.nClasses,
    tree_offsets: b64(forest.treeOffsets),
    feature: b64(forest.feature),
    threshold: b64(thresholds),
    right: b64(forest.right),
    leaf_values: b64(Float32Array.from(forest.leafValues)),
    importances: Array.from(forest.importances),
  };
}

function count(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new InvalidModel(`forest.${name}: expected an integer >= ${min}`);
  }
  return v;
}

/** Decodes and validates a stored forest, renormalising leaf frequencies in double precision. */
export function decodeForest(enc: unknown): Forest {
  if (!enc || typeof enc !== "object") throw new InvalidModel("forest: expected an object");
  const e = enc as Record<string, unknown>;
  if (e.encoding !== "base64-le") throw new InvalidModel(`forest.encoding: expected "base64-le"`);
  const nTrees = count("n_trees", e.n_trees, 1);
  const nNodes = count("n_nodes", e.n_nodes, 1);
  const p = count("n_features", e.n_features, 1);
  const k = count("n_classes", e.n_classes, 2);
  const treeOffsets = new Int32Array(unb64("tree_offsets", e.tree_offsets, 4));
  const feature = new Int32Array(unb64("feature", e.feature, 4));
  const splitThresholds = new Float64Array(unb64("threshold", e.threshold, 8));
  const right = new Int32Array(unb64("right", e.right, 4));
  const leaf32 = new Float32Array(unb64("leaf_values", e.leaf_values, 4));
  if (treeOffsets.length !== nTrees + 1 || treeOffsets[0] !== 0 || treeOffsets[nTrees] !== nNodes) {
    throw new InvalidModel("forest.tree_offsets: do not match n_trees and n_nodes");
  }
  if (feature.length !== nNodes || right.length !== nNodes) {
    throw new InvalidModel("forest: node arrays do not have n_nodes entries");
  }
  const imp = e.importances;
  if (!Array.isArray(imp) || imp.length !== p || !imp.every((v) => typeof v === "number")) {
    throw new InvalidModel("forest.importances: expected one number per feature");
  }
  const threshold = new Float64Array(nNodes);
  let s = 0;
  let leafSlots = 0;
  for (let t = 0; t < nTrees; t++) {
    const from = treeOffsets[t]!;
    const to = treeOffsets[t + 1]!;
    if (!(to > from)) throw new InvalidModel(`forest.tree_offsets: tree ${t} is empty`);
    for (let i = from; i < to; i++) {
      const f = feature[i]!;
      if (f >= 0) {
        // The left child is i + 1; the right child must come after it and stay in this tree,
        // which also guarantees every walk ends.
        if (f >= p || i + 1 >= to || right[i]! <= i + 1 || right[i]! >= to) {
          throw new InvalidModel(`forest: node ${i} has an invalid feature or child`);
        }
        const th = splitThresholds[s++];
        if (th === undefined || Number.isNaN(th)) {
          throw new InvalidModel(`forest.threshold: missing or NaN threshold for node ${i}`);
        }
        threshold[i] = th;
      } else if (f === -1) {
        if (right[i] !== leafSlots) throw new InvalidModel(`forest: leaf ${i} has a bad offset`);
        leafSlots += k;
      } else {
        throw new InvalidModel(`forest: node ${i} has feature ${f}`);
      }
    }
  }
  if (s !== splitThresholds.length || leafSlots !== leaf32.length) {
    throw new InvalidModel("forest: threshold or leaf value count does not match the nodes");
  }
  const leafValues = new Float64Array(leafSlots);
  for (let o = 0; o < leafSlots; o += k) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const v = leaf32[o + c]!;
      if (!(v >= 0 && v <= 1)) {
        throw new InvalidModel(`forest.leaf_values: ${v} is not a frequency`);
      }
      sum += v;
    }
    if (!(sum > 0.99 && sum < 1.01)) {
      throw new InvalidModel("forest.leaf_values: a leaf does not sum to 1");
    }
    for (let c = 0; c < k; c++) leafValues[o + c] = leaf32[o + c]! / sum;
  }
  return {
    nFeatures: p,
    nClasses: k,
    treeOffsets,
    feature,
    threshold,
    right,
    leafValues,
    importances: Float64Array.from(imp as number[]),
  };
}
