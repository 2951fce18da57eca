/**
 * The native engine: a CART random-forest classifier on typed arrays, with bootstrap samples,
 * a fresh random feature subset at every split, Gini impurity and exact thresholds at the
 * midpoints between sorted distinct values, as scikit-learn's RandomForestClassifier trains.
 * @module
 */
import { InvalidInput } from "../errors.ts";
import { Rng } from "../data/random.ts";
import type { Forest } from "./forest.ts";
import { featuresPerSplit, type ForestParams, resolveParams } from "./params.ts";

/** The training inputs the engine needs: a subset of a Dataset. */
export interface TrainingData {
  readonly nRows: number;
  readonly nFeatures: number;
  /** Row-major feature values. */
  readonly x: Float64Array;
  /** Class index of each row. */
  readonly y: Int32Array;
  /** Number of classes (class indices are 0..nClasses-1). */
  readonly nClasses: number;
}

/**
 * Column-wise view of the training data prepared once for all trees: each feature's sorted
 * distinct values and every row's rank among them, so splits compare small integers.
 */
export interface PreparedData {
  readonly nRows: number;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly y: Int32Array;
  /** Column-major ranks: `ranks[f * nRows + i]` indexes `distinct[f]`. */
  readonly ranks: Uint32Array;
  /** Sorted distinct values of each feature. */
  readonly distinct: readonly Float64Array[];
}

/** One trained tree in pre-order arrays, before it joins a forest. */
export interface TreeArrays {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** Right child of a split node, or the leaf's index among this tree's leaves. */
  readonly right: Int32Array;
  /** Class frequencies per leaf. */
  readonly leafValues: Float64Array;
  /** Unnormalised weighted impurity decrease per feature. */
  readonly importances: Float64Array;
}

/** Checks the training inputs and builds the shared column-wise ranks. */
export function prepare(data: TrainingData): PreparedData {
  const { nRows, nFeatures, x, y, nClasses } = data;
  if (nRows < 1 || nFeatures < 1) {
    throw new InvalidInput(`training data: need at least one row and one feature`);
  }
  if (x.length !== nRows * nFeatures) {
    throw new InvalidInput(
      `training data: x has ${x.length} values, expected ${nRows * nFeatures}`,
    );
  }
  if (y.length !== nRows) {
    throw new InvalidInput(`training data: y has ${y.length} labels, expected ${nRows}`);
  }
  for (let i = 0; i < nRows; i++) {
    const c = y[i]!;
    if (c < 0 || c >= nClasses) {
      throw new InvalidInput(
        `training data: y[${i}] = ${c} is not a class index below ${nClasses}`,
      );
    }
  }
  const ranks = new Uint32Array(nRows * nFeatures);
  const distinct: Float64Array[] = [];
  const col = new Float64Array(nRows);
  const sorted = new Float64Array(nRows);
  for (let f = 0; f < nFeatures; f++) {
    for (let i = 0; i < nRows; i++) {
      const v = x[i * nFeatures + f]!;
      if (!Number.isFinite(v)) {
        throw new InvalidInput(`training data: row ${i}, feature ${f}: ${v} is not finite`);
      }
      col[i] = v === 0 ? 0 : v; // fold -0 into 0 so equal values share a rank
    }
    sorted.set(col);
    sorted.sort();
    let d = 0;
    for (let i = 0; i < nRows; i++) {
      if (i === 0 || sorted[i] !== sorted[d - 1]) sorted[d++] = sorted[i]!;
    }
    const values = sorted.slice(0, d);
    distinct.push(values);
    const base = f * nRows;
    for (let i = 0; i < nRows; i++) {
      const v = col[i]!;
      let lo = 0;
      let hi = d - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (values[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      ranks[base + i] = lo;
    }
  }
  return { nRows, nFeatures, nClasses, y: data.y, ranks, distinct };
}

const POS = 2097152; // 2^21: sort keys pack (rank, position) as rank * POS + position

/** Scratch buffers reused by every node of one tree. */
class Workspace {
  readonly idx: Uint32Array;
  readonly keys: Float64Array;
  readonly sortedPos: Uint32Array;
  readonly hist: Float64Array;
  readonly histCount: Int32Array;
  readonly left: Float64Array;
  readonly total: Float64Array;
  readonly perm: Int32Array;
  constructor(n: number, nFeatures: number, nClasses: number, maxDistinct: number) {
    this.idx = new Uint32Array(n);
    this.keys = new Float64Array(n);
    this.sortedPos = new Uint32Array(n);
    this.hist = new Float64Array(maxDistinct * nClasses);
    this.histCount = new Int32Array(maxDistinct);
    this.left = new Float64Array(nClasses);
    this.total = new Float64Array(nClasses);
    this.perm = new Int32Array(nFeatures);
  }
}

/** The best split found at a node. */
interface Split {
  feature: number;
  /** Largest rank going left. */
  rank: number;
  /** Smallest rank going right. */
  nextRank: number;
  proxy: number;
}

/**
 * Trains tree number `treeIndex` of a forest. The tree depends only on the data, the parameters
 * and (seed, treeIndex), so trees can be trained in any order or in parallel.
 */
export function trainTree(data: PreparedData, params: ForestParams, treeIndex: number): TreeArrays {
  const { nRows: N, nFeatures: P, nClasses: K, y, ranks, distinct } = data;
  const rng = Rng.derive(params.seed, treeIndex);
  const weight = new Float64Array(N);
  if (params.bootstrap) {
    for (let i = 0; i < N; i++) weight[rng.int(N)]! += 1;
  } else {
    weight.fill(1);
  }
  let n = 0;
  for (let i = 0; i < N; i++) if (weight[i]! > 0) n++;
  let maxDistinct = 0;
  for (const d of distinct) maxDistinct = Math.max(maxDistinct, d.length);
  const ws = new Workspace(n, P, K, maxDistinct);
  const idx = ws.idx;
  for (let i = 0, j = 0; i < N; i++) if (weight[i]! > 0) idx[j++] = i;
  for (let f = 0; f < P; f++) ws.perm[f] = f;

  const mtry = featuresPerSplit(params.max_features, P);
  const maxDepth = params.max_depth ?? Number.MAX_SAFE_INTEGER;
  const minSplit = params.min_samples_split;
  const minLeaf = params.min_samples_leaf;

  const feature: number[] = [];
  const threshold: number[] = [];
  const right: number[] = [];
  const leafValues: number[] = [];
  const importances = new Float64Array(P);
  let leaves = 0;

  // Stack of pending nodes: start, end, depth, parent whose right child this is (-1 if none).
  const stack: number[] = [0, n, 0, -1];
  const total = ws.total;
  const split: Split = { feature: -1, rank: 0, nextRank: 0, proxy: 0 };
  while (stack.length > 0) {
    const parent = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const node = feature.length;
    if (parent >= 0) right[parent] = node;

    total.fill(0);
    let w = 0;
    for (let j = start; j < end; j++) {
      const i = idx[j]!;
      const wi = weight[i]!;
      total[y[i]!]! += wi;
      w += wi;
    }
    let sumSq = 0;
    for (let c = 0; c < K; c++) sumSq += total[c]! * total[c]!;
    const impurity = 1 - sumSq / (w * w);
    const count = end - start;

    let isLeaf = depth >= maxDepth || count < minSplit || count < 2 * minLeaf ||
      impurity <= 1e-7;
    if (!isLeaf) {
      split.feature = -1;
      split.proxy = -Infinity;
      findSplit(data, ws, weight, start, end, w, mtry, minLeaf, rng, split);
      isLeaf = split.feature < 0;
    }
    if (isLeaf) {
      feature.push(-1);
      threshold.push(0);
      right.push(leaves++);
      for (let c = 0; c < K; c++) leafValues.push(total[c]! / w);
      continue;
    }

    const f = split.feature;
    const values = distinct[f]!;
    const lo = values[split.rank]!;
    const hi = values[split.nextRank]!;
    let t = lo / 2 + hi / 2;
    if (!(t < hi) || !Number.isFinite(t)) t = lo;
    feature.push(f);
    threshold.push(t);
    right.push(-1);

    // Partition the node's rows: rank <= split.rank goes left.
    const base = f * N;
    let a = start;
    let b = end - 1;
    while (a <= b) {
      if (ranks[base + idx[a]!]! <= split.rank) a++;
      else {
        const tmp = idx[a]!;
        idx[a] = idx[b]!;
        idx[b] = tmp;
        b--;
      }
    }
    // Impurity decrease for importances, weighted by the node's sample weight.
    let wl = 0;
    ws.left.fill(0);
    for (let j = start; j < a; j++) {
      const i = idx[j]!;
      ws.left[y[i]!]! += weight[i]!;
      wl += weight[i]!;
    }
    const wr = w - wl;
    let sl = 0;
    let sr = 0;
    for (let c = 0; c < K; c++) {
      const l = ws.left[c]!;
      const r = total[c]! - l;
      sl += l * l;
      sr += r * r;
    }
    const impL = 1 - sl / (wl * wl);
    const impR = 1 - sr / (wr * wr);
    importances[f]! += w * impurity - wl * impL - wr * impR;

    stack.push(a, end, depth + 1, node);
    stack.push(start, a, depth + 1, -1);
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    right: Int32Array.from(right),
    leafValues: Float64Array.from(leafValues),
    importances,
  };
}

/**
 * Draws features without replacement as scikit-learn does (at least `mtry`, and more while every
 * one drawn was constant in the node) and keeps the best Gini split among them in `best`.
 */
function findSplit(
  data: PreparedData,
  ws: Workspace,
  weight: Float64Array,
  start: number,
  end: number,
  w: number,
  mtry: number,
  minLeaf: number,
  rng: Rng,
  best: Split,
): void {
  const { nRows: N, nFeatures: P, nClasses: K, y, ranks } = data;
  const idx = ws.idx;
  const perm = ws.perm;
  const count = end - start;
  const total = ws.total;
  const left = ws.left;
  let visited = 0;
  let nonConstant = 0;
  for (let drawn = 0; drawn < P && (visited < mtry || nonConstant === 0); drawn++) {
    const j = drawn + rng.int(P - drawn);
    const f = perm[j]!;
    perm[j] = perm[drawn]!;
    perm[drawn] = f;
    visited++;

    const base = f * N;
    let minR = 0xffffffff;
    let maxR = 0;
    for (let s = start; s < end; s++) {
      const r = ranks[base + idx[s]!]!;
      if (r < minR) minR = r;
      if (r > maxR) maxR = r;
    }
    if (minR === maxR) continue;
    nonConstant++;

    left.fill(0);
    let wl = 0;
    let nl = 0;
    let sumL = 0; // sum over classes of left[c]^2
    let sumR = 0;
    for (let c = 0; c < K; c++) sumR += total[c]! * total[c]!;
    const span = maxR - minR + 1;
    if (span <= 4 * count) {
      // Counting pass: class weights per rank in the node's rank range, then one scan.
      const hist = ws.hist;
      const hc = ws.histCount;
      hist.fill(0, 0, span * K);
      hc.fill(0, 0, span);
      for (let s = start; s < end; s++) {
        const i = idx[s]!;
        const b = ranks[base + i]! - minR;
        hist[b * K + y[i]!]! += weight[i]!;
        hc[b]!++;
      }
      let prev = -1;
      for (let b = 0; b < span; b++) {
        const cb = hc[b]!;
        if (cb === 0) continue;
        if (prev >= 0 && nl >= minLeaf && count - nl >= minLeaf) {
          const wr = w - wl;
          const proxy = sumL / wl + sumR / wr;
          if (proxy > best.proxy) {
            best.proxy = proxy;
            best.feature = f;
            best.rank = prev + minR;
            best.nextRank = b + minR;
          }
        }
        for (let c = 0; c < K; c++) {
          const v = hist[b * K + c]!;
          if (v === 0) continue;
          const l = left[c]!;
          const r = total[c]! - l;
          sumL += v * (2 * l + v);
          sumR += v * (v - 2 * r);
          left[c] = l + v;
          wl += v;
        }
        nl += cb;
        prev = b;
      }
    } else {
      // Sorting pass: pack (rank, position) into doubles and use the native typed-array sort.
      const keys = ws.keys.subarray(0, count);
      for (let s = 0; s < count; s++) keys[s] = ranks[base + idx[start + s]!]! * POS + s;
      keys.sort();
      let prevR = -1;
      for (let s = 0; s < count; s++) {
        const key = keys[s]!;
        const r = Math.floor(key / POS);
        if (r !== prevR && prevR >= 0 && nl >= minLeaf && count - nl >= minLeaf) {
          const wr = w - wl;
          const proxy = sumL / wl + sumR / wr;
          if (proxy > best.proxy) {
            best.proxy = proxy;
            best.feature = f;
            best.rank = prevR;
            best.nextRank = r;
          }
        }
        const i = idx[start + (key - r * POS)]!;
        const v = weight[i]!;
        const c = y[i]!;
        const l = left[c]!;
        const rr = total[c]! - l;
        sumL += v * (2 * l + v);
        sumR += v * (v - 2 * rr);
        left[c] = l + v;
        wl += v;
        nl++;
        prevR = r;
      }
    }
  }
}

/** Joins trained trees into one compact forest with normalised importances. */
export function assembleForest(
  trees: readonly TreeArrays[],
  nFeatures: number,
  nClasses: number,
): Forest {
  let nodes = 0;
  let leafSlots = 0;
  for (const t of trees) {
    nodes += t.feature.length;
    leafSlots += t.leafValues.length;
  }
  const treeOffsets = new Int32Array(trees.length + 1);
  const feature = new Int32Array(nodes);
  const threshold = new Float64Array(nodes);
  const right = new Int32Array(nodes);
  const leafValues = new Float64Array(leafSlots);
  const importances = new Float64Array(nFeatures);
  let at = 0;
  let leafAt = 0;
  trees.forEach((t, ti) => {
    treeOffsets[ti] = at;
    feature.set(t.feature, at);
    threshold.set(t.threshold, at);
    for (let j = 0; j < t.feature.length; j++) {
      right[at + j] = t.feature[j]! < 0 ? leafAt + t.right[j]! * nClasses : at + t.right[j]!;
    }
    leafValues.set(t.leafValues, leafAt);
    at += t.feature.length;
    leafAt += t.leafValues.length;
    let sum = 0;
    for (const v of t.importances) sum += v;
    if (sum > 0) { for (let f = 0; f < nFeatures; f++) importances[f]! += t.importances[f]! / sum; }
  });
  treeOffsets[trees.length] = at;
  let sum = 0;
  for (const v of importances) sum += v;
  if (sum > 0) { for (let f = 0; f < nFeatures; f++) importances[f]! /= sum; }
  return { nFeatures, nClasses, treeOffsets, feature, threshold, right, leafValues, importances };
}

/** Progress callback: called after each tree with the number done and the total. */
export type OnTree = (done: number, total: number) => void;

/**
 * Trains a random forest with the native engine.
 *
 * @example
 * ```ts
 * const forest = trainForest({ nRows: 4, nFeatures: 1, nClasses: 2,
 *   x: new Float64Array([0, 1, 2, 3]), y: new Int32Array([0, 0, 1, 1]) }, { n_estimators: 10 });
 * ```
 */
export function trainForest(
  data: TrainingData,
  params: Partial<ForestParams> = {},
  onTree?: OnTree,
): Forest {
  const p = resolveParams(params);
  const prepared = prepare(data);
  const trees: TreeArrays[] = [];
  for (let t = 0; t < p.n_estimators; t++) {
    trees.push(trainTree(prepared, p, t));
    onTree?.(t + 1, p.n_estimators);
  }
  return assembleForest(trees, data.nFeatures, data.nClasses);
}
