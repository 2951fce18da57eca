/**
 * The array walk that was FluxOps' only scoring path before the kernel (scoring_kernel.ts): one
 * tree at a time over every row, branching on each split. It stays as the reference the
 * kernel's probabilities are tested against bit for bit, as the path for forests too large for
 * the kernel's memory, and as the path of compiled trees (`compile`).
 * @module
 */
import { addTreeCompiled } from "./compiled.ts";
import type { Forest } from "./forest.ts";

/**
 * Class probabilities of `nRows` row-major rows (`x.length` must be `nRows * nFeatures`, checked
 * by the caller): the mean over trees of the leaf class frequencies. With `compile`, trees small
 * enough run as compiled JavaScript (compiled.ts), the others are walked.
 */
export function referenceProba(
  forest: Forest,
  x: Float64Array,
  nRows: number,
  compile = false,
): Float64Array {
  const { nFeatures: p, nClasses: k, treeOffsets, feature, threshold, right, leafValues } = forest;
  const pure = pureLeafClasses(forest);
  const out = new Float64Array(nRows * k);
  const nTrees = treeOffsets.length - 1;
  for (let t = 0; t < nTrees; t++) {
    if (compile && addTreeCompiled(forest, t, x, nRows, out)) continue;
    const root = treeOffsets[t]!;
    for (let i = 0, row = 0, o = 0; i < nRows; i++, row += p, o += k) {
      let node = root;
      let f = feature[node]!;
      while (f >= 0) {
        node = x[row + f]! <= threshold[node]! ? node + 1 : right[node]!;
        f = feature[node]!;
      }
      const c0 = pure[node]!;
      if (c0 >= 0) {
        out[o + c0]! += 1;
      } else {
        const leaf = right[node]!;
        for (let c = 0; c < k; c++) out[o + c]! += leafValues[leaf + c]!;
      }
    }
  }
  for (let j = 0; j < out.length; j++) out[j]! /= nTrees;
  return out;
}

const pureCache = new WeakMap<Forest, Int32Array>();

/**
 * For each node, the class of a pure leaf (all its weight in one class), else -1. Fully grown
 * trees are mostly pure leaves, and adding one count beats adding a whole frequency vector.
 */
function pureLeafClasses(forest: Forest): Int32Array {
  let pure = pureCache.get(forest);
  if (pure) return pure;
  const { feature, right, leafValues, nClasses: k } = forest;
  pure = new Int32Array(feature.length).fill(-1);
  for (let node = 0; node < feature.length; node++) {
    if (feature[node]! >= 0) continue;
    const leaf = right[node]!;
    for (let c = 0; c < k; c++) if (leafValues[leaf + c] === 1) pure[node] = c;
  }
  pureCache.set(forest, pure);
  return pure;
}
