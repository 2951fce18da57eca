/**
 * Prediction with a compact forest: class probabilities as the mean over trees of the leaf class
 * frequencies (as scikit-learn's predict_proba computes them), and labels as their argmax.
 * @module
 */
import { InvalidInput } from "../errors.ts";
import { argmaxRows } from "../metrics/argmax.ts";
import type { Forest } from "./forest.ts";
import { referenceProba } from "./reference_walk.ts";
import { buildKernel, type KernelScorer } from "./scoring_kernel.ts";

export { argmaxRows };

/** Options of {@link predictProba}. */
export interface PredictOptions {
  /**
   * Score with trees compiled to JavaScript (see compiled.ts) instead of the WebAssembly kernel.
   * The kernel is 2.2x to 3.4x faster on the benchmark forests (docs/benchmarks.md); this stays
   * for comparison. Default false.
   */
  readonly compile?: boolean;
}

const kernels = new WeakMap<Forest, KernelScorer | null>();

/**
 * The forest's scoring kernel, built on first use; null when the forest is too large for it or
 * the runtime refuses the WebAssembly memory (each reserves address space; a process holding
 * very many forests at once can run out), in which case the array walk scores it.
 */
function kernelOf(forest: Forest): KernelScorer | null {
  let kernel = kernels.get(forest);
  if (kernel === undefined) {
    try {
      kernel = buildKernel(forest) ?? null;
    } catch (err) {
      if (!(err instanceof RangeError || err instanceof WebAssembly.CompileError)) throw err;
      kernel = null;
    }
    kernels.set(forest, kernel);
  }
  return kernel;
}

/**
 * Class probabilities for `nRows` row-major rows of `x`: a row-major `nRows x nClasses` array.
 * Runs the forest's WebAssembly kernel (scoring_kernel.ts), built and cached on the first call;
 * its numbers are bit for bit those of the plain array walk (reference_walk.ts).
 *
 * @example
 * ```ts
 * import { predictProba } from "./predict.ts";
 * import { trainForest } from "./train.ts";
 * const forest = trainForest({ nRows: 4, nFeatures: 2, nClasses: 2,
 *   x: new Float64Array([0, 0, 1, 1, 2, 2, 3, 3]), y: new Int32Array([0, 0, 1, 1]) });
 * const proba = predictProba(forest, new Float64Array([0.5, 1.2]), 1); // [p(0), p(1)]
 * ```
 */
export function predictProba(
  forest: Forest,
  x: Float64Array,
  nRows: number,
  { compile = false }: PredictOptions = {},
): Float64Array {
  const { nFeatures: p, nClasses: k, treeOffsets } = forest;
  if (x.length !== nRows * p) {
    throw new InvalidInput(
      `expected ${nRows} rows of ${p} features (${nRows * p} values), got ${x.length}`,
    );
  }
  const kernel = compile ? null : kernelOf(forest);
  if (!kernel) return referenceProba(forest, x, nRows, compile);
  const out = new Float64Array(nRows * k);
  kernel.score(x, nRows, out);
  const nTrees = treeOffsets.length - 1;
  for (let j = 0; j < out.length; j++) out[j]! /= nTrees;
  return out;
}

/** Predicted class index for each row. */
export function predictClass(forest: Forest, x: Float64Array, nRows: number): Int32Array {
  return argmaxRows(predictProba(forest, x, nRows), forest.nClasses);
}
