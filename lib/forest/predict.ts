/**
 * Prediction with a compact forest: class probabilities as the mean over trees of the leaf class
 * frequencies (as scikit-learn's predict_proba computes them), and labels as their argmax.
 * @module
 */
import { InvalidInput } from "../errors.ts";
import { argmaxRows } from "../metrics/argmax.ts";
import { addTreeCompiled } from "./compiled.ts";
import type { Forest } from "./forest.ts";

export { argmaxRows };

/** Options of {@link predictProba}. */
export interface PredictOptions {
  /**
   * Score with trees compiled to JavaScript (see compiled.ts): about 1.4x the throughput once V8
   * has optimised them, but compiling and warming them up costs about a second for a 100-tree
   * forest, so it pays for long-running batch jobs, not for a single call. Default false.
   */
  readonly compile?: boolean;
}

/**
 * Class probabilities for `nRows` row-major rows of `x`: a row-major `nRows x nClasses` array.
 * It walks the node arrays, or with `compile` runs compiled trees; both give the same numbers.
 *
 * @example
 * ```ts
 * const proba = predictProba(forest, new Float64Array([0.5, 1.2]), 1);
 * ```
 */
export function predictProba(
  forest: Forest,
  x: Float64Array,
  nRows: number,
  { compile = false }: PredictOptions = {},
): Float64Array {
  const { nFeatures: p, nClasses: k, treeOffsets, feature, threshold, right, leafValues } = forest;
  if (x.length !== nRows * p) {
    throw new InvalidInput(
      `expected ${nRows} rows of ${p} features (${nRows * p} values), got ${x.length}`,
    );
  }
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

/** Predicted class index for each row. */
export function predictClass(forest: Forest, x: Float64Array, nRows: number): Int32Array {
  return argmaxRows(predictProba(forest, x, nRows), forest.nClasses);
}
