/**
 * The `ml-random-forest` engine: trains with the npm library the design card names and converts
 * its trees into the compact forest, so the rest of FluxOps never sees the library's format.
 *
 * The library's known defects are worked around here: forests are trained with `noOOB: true`
 * (small forests crash otherwise), features are drawn without replacement, labels are passed as
 * class indices 0..k-1, and its `predictProbability` (which drops the first tree's vote) is never
 * used: probabilities come from the converted forest. Its features are still drawn once per tree,
 * not per split, and its training time grows about with the square of the rows.
 * @module
 */
import { RandomForestClassifier } from "ml-random-forest";
import { InvalidInput } from "../errors.ts";
import type { Forest } from "./forest.ts";
import { featuresPerSplit, type ForestParams, resolveParams } from "./params.ts";
import type { OnTree, TrainingData, TreeArrays } from "./train.ts";
import { assembleForest } from "./train.ts";
import { checkTrainingData } from "./prepare.ts";

/** The version of `ml-random-forest` pinned in deno.json. */
export const ML_RANDOM_FOREST_VERSION = "2.1.0";

/** The parts of an ml-cart tree node this converter reads. */
interface CartNode {
  splitColumn?: number;
  splitValue?: number;
  left?: CartNode;
  right?: CartNode;
  distribution?: { to1DArray(): number[] };
}

interface CartTree {
  root: CartNode;
}

/** Largest double strictly below `v`: ml-cart sends `x < v` left, FluxOps sends `x <= t` left. */
export function nextDown(v: number): number {
  if (!Number.isFinite(v)) return v;
  if (v === 0) return -Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, v);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, v > 0 ? bits - 1n : bits + 1n);
  return buf.getFloat64(0);
}

function convertTree(
  root: CartNode,
  usedIndex: readonly number[],
  nFeatures: number,
  nClasses: number,
): TreeArrays {
  const feature: number[] = [];
  const threshold: number[] = [];
  const right: number[] = [];
  const leafValues: number[] = [];
  let leaves = 0;
  const visit = (node: CartNode): void => {
    const at = feature.length;
    if (
      node.left && node.right && node.splitColumn !== undefined && node.splitValue !== undefined
    ) {
      const f = usedIndex[node.splitColumn];
      if (f === undefined) throw new InvalidInput(`ml-random-forest: split on unknown column`);
      feature.push(f);
      threshold.push(nextDown(node.splitValue));
      right.push(-1);
      visit(node.left);
      right[at] = feature.length;
      visit(node.right);
      return;
    }
    const dist = node.distribution?.to1DArray() ?? [];
    let sum = 0;
    for (const v of dist) sum += v;
    feature.push(-1);
    threshold.push(0);
    right.push(leaves++);
    for (let c = 0; c < nClasses; c++) {
      leafValues.push(sum > 0 ? (dist[c] ?? 0) / sum : 1 / nClasses);
    }
  };
  visit(root);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    right: Int32Array.from(right),
    leafValues: Float64Array.from(leafValues),
    importances: new Float64Array(nFeatures), // filled by impurityImportances()
  };
}

/**
 * Mean decrease in Gini impurity per feature, measured by routing the training rows through
 * each tree (ml-cart keeps no per-node sample counts), normalised per tree and overall.
 */
export function impurityImportances(forest: Forest, data: TrainingData): Float64Array {
  const { nFeatures: p, nClasses: k, treeOffsets, feature, threshold, right } = forest;
  const out = new Float64Array(p);
  const nTrees = treeOffsets.length - 1;
  for (let t = 0; t < nTrees; t++) {
    const from = treeOffsets[t]!;
    const size = treeOffsets[t + 1]! - from;
    const counts = new Float64Array(size * k);
    for (let i = 0; i < data.nRows; i++) {
      let node = from;
      const c = data.y[i]!;
      for (;;) {
        counts[(node - from) * k + c]! += 1;
        const f = feature[node]!;
        if (f < 0) break;
        node = data.x[i * p + f]! <= threshold[node]! ? node + 1 : right[node]!;
      }
    }
    const gini = (j: number): [number, number] => {
      let n = 0;
      let s = 0;
      for (let c = 0; c < k; c++) n += counts[j * k + c]!;
      for (let c = 0; c < k; c++) s += counts[j * k + c]! * counts[j * k + c]!;
      return [n, n > 0 ? n - s / n : 0]; // n * impurity
    };
    const tree = new Float64Array(p);
    for (let j = 0; j < size; j++) {
      const f = feature[from + j]!;
      if (f < 0) continue;
      const [, wi] = gini(j);
      const [, wl] = gini(j + 1);
      const [, wr] = gini(right[from + j]! - from);
      tree[f]! += wi - wl - wr;
    }
    let sum = 0;
    for (const v of tree) sum += v;
    if (sum > 0) { for (let f = 0; f < p; f++) out[f]! += tree[f]! / sum; }
  }
  let sum = 0;
  for (const v of out) sum += v;
  if (sum > 0) { for (let f = 0; f < p; f++) out[f]! /= sum; }
  return out;
}

/** Trains with `ml-random-forest` and returns the equivalent compact forest. */
export function trainMlRandomForest(
  data: TrainingData,
  params: Partial<ForestParams> = {},
  onTree?: OnTree,
): Forest {
  const p = resolveParams(params);
  checkTrainingData(data); // the same input checks as the native engine
  const rows: number[][] = [];
  for (let i = 0; i < data.nRows; i++) {
    rows.push(Array.from(data.x.subarray(i * data.nFeatures, (i + 1) * data.nFeatures)));
  }
  const labels = Array.from(data.y);
  const trees: TreeArrays[] = [];
  const perTree = featuresPerSplit(p.max_features, data.nFeatures);
  // The library trains all trees in one call; train one-tree forests so progress can be shown,
  // each with its own seed derived from (seed, tree) as the native engine does.
  for (let t = 0; t < p.n_estimators; t++) {
    const rf = new RandomForestClassifier({
      nEstimators: 1,
      maxFeatures: perTree,
      replacement: false,
      seed: (p.seed * 1000003 + t) | 0,
      useSampleBagging: p.bootstrap,
      noOOB: true,
      treeOptions: {
        maxDepth: p.max_depth ?? Infinity,
        minNumSamples: Math.max(p.min_samples_split - 1, 2 * p.min_samples_leaf - 1),
      },
    });
    rf.train(rows, labels);
    const inner = rf as unknown as { estimators: CartTree[]; indexes: number[][] };
    const est = inner.estimators[0];
    const used = inner.indexes[0];
    if (!est || !used) throw new InvalidInput("ml-random-forest: training produced no tree");
    trees.push(convertTree(est.root, used, data.nFeatures, data.nClasses));
    onTree?.(t + 1, p.n_estimators);
  }
  const forest = assembleForest(trees, data.nFeatures, data.nClasses);
  return { ...forest, importances: impurityImportances(forest, data) };
}
