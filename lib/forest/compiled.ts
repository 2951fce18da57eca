/**
 * Large-batch prediction with trees compiled to JavaScript. Each tree becomes a function of
 * nested `if (x[r + f] <= t)` tests with the features and thresholds as constants, which V8
 * turns into machine code: no loads of node arrays on the walk, so a mispredicted branch costs
 * far less than in the array walk of {@link predictProba}. The results are bit-for-bit the same.
 *
 * Only numbers the forest holds are written into the generated source (integers for features
 * and leaf offsets, finite doubles for thresholds, all checked), so no model content can inject
 * code. Trees above {@link MAX_COMPILED_NODES} nodes keep the array walk.
 * @module
 */
import type { Forest } from "./forest.ts";

/** Trees with more nodes than this are walked from the arrays rather than compiled. */
export const MAX_COMPILED_NODES = 8191;

/** A compiled tree: adds its leaf frequencies for rows `s` to `e` of `x` into `out`. */
type TreeFn = (
  x: Float64Array,
  s: number,
  e: number,
  out: Float64Array,
  leafValues: Float64Array,
) => void;

/**
 * Rows per call of a compiled tree. Calling each tree many times per batch lets V8 see it as hot
 * and optimise it within the first batch, rather than after several batches.
 */
const CHUNK_ROWS = 512;

const cache = new WeakMap<Forest, (TreeFn | undefined)[]>();

function literal(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot compile threshold ${v}`);
  return Object.is(v, -0) ? "0" : String(v); // String() round-trips doubles exactly
}

function int(v: number): string {
  if (!Number.isInteger(v)) throw new Error(`cannot compile index ${v}`);
  return String(v);
}

/** Generates the source of one tree's function, or undefined for a tree too large to compile. */
function treeSource(forest: Forest, t: number): string | undefined {
  const { feature, threshold, right, leafValues, treeOffsets, nFeatures: p, nClasses: k } = forest;
  const from = treeOffsets[t]!;
  if (treeOffsets[t + 1]! - from > MAX_COMPILED_NODES) return undefined;
  const parts: string[] = [];
  // Iterative pre-order walk; the tree's depth is unbounded, so no recursion.
  const stack: (number | string)[] = [from];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === "string") {
      parts.push(item);
      continue;
    }
    const f = feature[item]!;
    if (f < 0) {
      const leaf = right[item]!;
      let pure = -1;
      for (let c = 0; c < k; c++) if (leafValues[leaf + c] === 1) pure = c;
      parts.push(
        pure >= 0
          ? `out[o+${int(pure)}]+=1;`
          : Array.from({ length: k }, (_, c) => `out[o+${c}]+=lv[${int(leaf + c)}];`).join(""),
      );
      continue;
    }
    parts.push(`if(x[r+${int(f)}]<=${literal(threshold[item]!)}){`);
    stack.push("}", right[item]!, "}else{", item + 1);
  }
  return `for(let i=s,r=s*${int(p)},o=s*${int(k)};i<e;i++,r+=${int(p)},o+=${int(k)}){${
    parts.join("")
  }}`;
}

function compiledTrees(forest: Forest): (TreeFn | undefined)[] {
  let fns = cache.get(forest);
  if (fns) return fns;
  fns = [];
  for (let t = 0; t < forest.treeOffsets.length - 1; t++) {
    const src = treeSource(forest, t);
    fns.push(
      src === undefined ? undefined : new Function("x", "s", "e", "out", "lv", src) as TreeFn,
    );
  }
  cache.set(forest, fns);
  return fns;
}

/**
 * Adds tree `t`'s leaf frequencies for every row into `out`, through its compiled function when
 * it has one. Returns false when the tree was not compiled, so the caller walks it.
 */
export function addTreeCompiled(
  forest: Forest,
  t: number,
  x: Float64Array,
  nRows: number,
  out: Float64Array,
): boolean {
  const fn = compiledTrees(forest)[t];
  if (!fn) return false;
  const lv = forest.leafValues;
  for (let s = 0; s < nRows; s += CHUNK_ROWS) fn(x, s, Math.min(nRows, s + CHUNK_ROWS), out, lv);
  return true;
}
