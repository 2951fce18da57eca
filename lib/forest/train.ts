/**
 * The native engine: a CART random-forest classifier on typed arrays, with bootstrap samples,
 * a fresh random feature subset at every split, Gini impurity and exact thresholds at the
 * midpoints between sorted distinct values, as scikit-learn's RandomForestClassifier trains.
 * @module
 */
import { Rng } from "../data/random.ts";
import type { Forest } from "./forest.ts";
import { countSplits, ForestSize } from "./forest_size.ts";
import { type ForestParams, resolveParams } from "./params.ts";
import { prepare, type PreparedData, type TrainingData } from "./prepare.ts";
import {
  drawSample,
  ID_MASK,
  layOutRoot,
  NEW_VALUE,
  POS,
  rootTotals,
  type Workspace,
  workspaceFor,
} from "./tree_workspace.ts";

export type { PreparedData, TrainingData };
export { presortFrom } from "./tree_workspace.ts";

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

/** The best split found at a node. */
interface Split {
  feature: number;
  /** In a presorted node: position in the feature's segment of the first entry going right. */
  pos: number;
  /** Ids of the rows on either side of the threshold (largest left, smallest right value). */
  loId: number;
  hiId: number;
  proxy: number;
}

/** What a child node needs from its parent's split. */
const enum Need {
  /** Nothing: it will be a leaf, and its class weights come with it. */
  Nothing,
  /** Its ids, in feature 0's part: it will sort. */
  Ids,
  /** Every feature's part in order. */
  Presorted,
}

/** Options of {@linkcode trainTree}. */
export interface TrainTreeOptions {
  /**
   * Overrides {@linkcode presortFrom}: nodes with fewer rows sort instead of keeping presorted
   * order (at most 2^21). Either way gives the same tree; tests use it to check that.
   */
  readonly presortFrom?: number;
}

/**
 * Trains tree number `treeIndex` of a forest. The tree depends only on the data, the parameters
 * and (seed, treeIndex), so trees can be trained in any order or in parallel.
 */
export function trainTree(
  data: PreparedData,
  params: ForestParams,
  treeIndex: number,
  options: TrainTreeOptions = {},
): TreeArrays {
  const { nRows: N, nFeatures: P, nClasses: K, ranks, x } = data;
  const { ws, mtry, sortedBelow } = workspaceFor(data, params, options.presortFrom);
  const rng = Rng.derive(params.seed, treeIndex);
  const n = drawSample(data, params, ws, rng);
  layOutRoot(data, ws, n, sortedBelow);
  const { rowOf, cls, wt, seg, goLeft, left } = ws;

  const maxDepth = params.max_depth ?? Number.MAX_SAFE_INTEGER;
  const minSplit = params.min_samples_split;
  const minLeaf = params.min_samples_leaf;
  const isLeaf = (depth: number, count: number, impurity: number) =>
    depth >= maxDepth || count < minSplit || count < 2 * minLeaf || impurity <= 1e-7;
  const need = (depth: number, count: number, impurity: number) =>
    isLeaf(depth, count, impurity) ? Need.Nothing : count < sortedBelow ? Need.Ids : Need.Presorted;

  const feature: number[] = [];
  const threshold: number[] = [];
  const right: number[] = [];
  const leafValues: number[] = [];
  const importances = new Float64Array(P);
  let leaves = 0;

  // Stack of pending nodes: start, end, depth, parent whose right child this is (-1 if none);
  // beside it, each pending node's class weights, known from its parent's split.
  const stack: number[] = [0, n, 0, -1];
  const totals: number[] = rootTotals(ws, n, K);
  const total = ws.total;
  const split: Split = { feature: -1, pos: 0, loId: 0, hiId: 0, proxy: 0 };
  while (stack.length > 0) {
    const parent = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const node = feature.length;
    if (parent >= 0) right[parent] = node;

    let w = 0;
    let sumSq = 0;
    for (let c = K - 1; c >= 0; c--) total[c] = totals.pop()!;
    for (let c = 0; c < K; c++) {
      w += total[c]!;
      sumSq += total[c]! * total[c]!;
    }
    const impurity = 1 - sumSq / (w * w);
    const count = end - start;
    const presorted = count >= sortedBelow;

    let leaf = isLeaf(depth, count, impurity);
    if (!leaf) {
      split.feature = -1;
      split.proxy = -Infinity;
      findSplit(data, ws, n, presorted, start, end, w, mtry, minLeaf, rng, split);
      leaf = split.feature < 0;
    }
    if (leaf) {
      feature.push(-1);
      threshold.push(0);
      right.push(leaves++);
      for (let c = 0; c < K; c++) leafValues.push(total[c]! / w);
      continue;
    }

    const f = split.feature;
    // Adding 0 folds -0 into 0, as the sort did.
    const lo = x[rowOf[split.loId]! * P + f]! + 0;
    const hi = x[rowOf[split.hiId]! * P + f]! + 0;
    let t = lo / 2 + hi / 2;
    if (!(t < hi) || !Number.isFinite(t)) t = lo;
    feature.push(f);
    threshold.push(t);
    right.push(-1);

    left.fill(0);
    let wl = 0;
    let pos: number;
    if (presorted) {
      // The split feature's part is partitioned already: mark which ids go left.
      const fb = f * n;
      pos = split.pos;
      for (let s = start; s < pos; s++) {
        const id = seg[fb + s]! & ID_MASK;
        goLeft[id >>> 5]! |= 1 << (id & 31);
        left[cls[id]!]! += wt[id]!;
        wl += wt[id]!;
      }
      for (let s = pos; s < end; s++) {
        const id = seg[fb + s]! & ID_MASK;
        goLeft[id >>> 5]! &= ~(1 << (id & 31));
      }
    } else {
      // Rows with a rank up to the left side's largest go left.
      const fr = f * N;
      const cut = ranks[fr + rowOf[split.loId]!]!;
      let a = start;
      let b = end - 1;
      while (a <= b) {
        const id = seg[a]! & ID_MASK;
        if (ranks[fr + rowOf[id]!]! <= cut) {
          left[cls[id]!]! += wt[id]!;
          wl += wt[id]!;
          a++;
        } else {
          seg[a] = seg[b]!;
          seg[b] = id;
          b--;
        }
      }
      pos = a;
    }

    // Impurity decrease for importances, weighted by the node's sample weight.
    const wr = w - wl;
    let sl = 0;
    let sr = 0;
    for (let c = 0; c < K; c++) {
      const l = left[c]!;
      const r = total[c]! - l;
      sl += l * l;
      sr += r * r;
    }
    const impL = 1 - sl / (wl * wl);
    const impR = 1 - sr / (wr * wr);
    importances[f]! += w * impurity - wl * impL - wr * impR;

    if (presorted) {
      const needL = need(depth + 1, pos - start, impL);
      const needR = need(depth + 1, end - pos, impR);
      for (let g = 0; g < P; g++) {
        if (g === f) continue;
        const min = g === 0 ? Need.Ids : Need.Presorted;
        const keepL = needL >= min;
        const keepR = needR >= min;
        const base = g * n;
        if (keepL && keepR) partition(seg, ws.tmp, goLeft, base + start, base + end);
        else if (keepL) keepLeft(seg, goLeft, base + start, base + end);
        else if (keepR) keepRight(seg, goLeft, base + start, base + end);
      }
    }

    stack.push(pos, end, depth + 1, node);
    for (let c = 0; c < K; c++) totals.push(total[c]! - left[c]!);
    stack.push(start, pos, depth + 1, -1);
    for (let c = 0; c < K; c++) totals.push(left[c]!);
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
 * Stably moves the entries of `seg[from, to)` whose id goes left before the others, keeping
 * each side's new-value flags true for its own sequence: a flag skipped over by one side marks
 * a value change for that side's next entry.
 */
function partition(seg: Int32Array, tmp: Int32Array, goLeft: Int32Array, from: number, to: number) {
  let l = from;
  let r = 0;
  let pendL = 0;
  let pendR = 0;
  // Branch-free: which way an entry goes is a coin toss the CPU could not predict.
  for (let s = from; s < to; s++) {
    const e = seg[s]!;
    const flag = e & NEW_VALUE;
    const toLeft = (goLeft[(e & ID_MASK) >>> 5]! >>> (e & 31)) & 1;
    const mask = -toLeft;
    seg[l] = e | pendL;
    tmp[r] = e | pendR;
    pendL = (pendL | flag) & ~mask;
    pendR = (pendR | flag) & mask;
    l += toLeft;
    r += 1 - toLeft;
  }
  seg.set(tmp.subarray(0, r), l);
}

/** Like {@linkcode partition} when only the left side matters: packs it at the front. */
function keepLeft(seg: Int32Array, goLeft: Int32Array, from: number, to: number) {
  let l = from;
  let pend = 0;
  for (let s = from; s < to; s++) {
    const e = seg[s]!;
    if ((goLeft[(e & ID_MASK) >>> 5]! >>> (e & 31)) & 1) {
      seg[l++] = e | pend;
      pend = 0;
    } else {
      pend |= e & NEW_VALUE;
    }
  }
}

/** Like {@linkcode partition} when only the right side matters: packs it at the back. */
function keepRight(seg: Int32Array, goLeft: Int32Array, from: number, to: number) {
  let r = to;
  for (let s = to - 1; s >= from; s--) {
    const e = seg[s]!;
    if (((goLeft[(e & ID_MASK) >>> 5]! >>> (e & 31)) & 1) === 0) seg[--r] = e;
    // Walking backwards, a skipped flag marks a value change for the entry kept just after it.
    else if (r < to) seg[r] = seg[r]! | (e & NEW_VALUE);
  }
}

/**
 * Draws features without replacement as scikit-learn does (at least `mtry`, and more while every
 * one drawn was constant in the node) and keeps the best Gini split among them in `best`.
 */
function findSplit(
  data: PreparedData,
  ws: Workspace,
  n: number,
  presorted: boolean,
  start: number,
  end: number,
  w: number,
  mtry: number,
  minLeaf: number,
  rng: Rng,
  best: Split,
): void {
  const { nFeatures: P, nClasses: K } = data;
  const perm = ws.perm;
  let visited = 0;
  let nonConstant = 0;
  for (let drawn = 0; drawn < P && (visited < mtry || nonConstant === 0); drawn++) {
    const j = drawn + rng.int(P - drawn);
    const f = perm[j]!;
    perm[j] = perm[drawn]!;
    perm[drawn] = f;
    visited++;
    const varies = !presorted
      ? scanSmall(data, ws, f, start, end, w, minLeaf, best)
      : K === 2
      ? scanTwoClasses(ws, f * n, start, end, w, minLeaf, f, best)
      : scanClasses(ws, f * n, K, start, end, w, minLeaf, f, best);
    if (varies) nonConstant++;
  }
}

/**
 * {@linkcode scanClasses} for a small node, whose rows are not in order: when the feature's
 * ranks in the node span few values it counts class weights per rank, else it sorts the rows by
 * rank (keys pack rank and position, so the native typed-array sort does it). Returns whether
 * the feature varies in the node.
 */
function scanSmall(
  data: PreparedData,
  ws: Workspace,
  f: number,
  start: number,
  end: number,
  w: number,
  minLeaf: number,
  best: Split,
): boolean {
  const { nRows: N, nClasses: K, ranks } = data;
  const { seg, rowOf, cls, wt, total, left } = ws;
  const count = end - start;
  const fr = f * N;
  let minR = 0xffffffff;
  let maxR = 0;
  for (let s = start; s < end; s++) {
    const r = ranks[fr + rowOf[seg[s]! & ID_MASK]!]!;
    if (r < minR) minR = r;
    if (r > maxR) maxR = r;
  }
  if (minR === maxR) return false;
  left.fill(0);
  let wl = 0;
  let nl = 0;
  let sumL = 0; // sum over classes of left[c]^2
  let sumR = 0;
  for (let c = 0; c < K; c++) sumR += total[c]! * total[c]!;
  const span = maxR - minR + 1;
  if (span <= 4 * count) {
    // Counting: class weights, rows and one id per rank in the node's range, then one scan.
    const { hist, histCount, histId } = ws;
    hist.fill(0, 0, span * K);
    histCount.fill(0, 0, span);
    for (let s = start; s < end; s++) {
      const id = seg[s]! & ID_MASK;
      const b = ranks[fr + rowOf[id]!]! - minR;
      hist[b * K + cls[id]!]! += wt[id]!;
      histCount[b]!++;
      histId[b] = id;
    }
    let prev = -1;
    for (let b = 0; b < span; b++) {
      const cb = histCount[b]!;
      if (cb === 0) continue;
      if (prev >= 0 && nl >= minLeaf && count - nl >= minLeaf) {
        const proxy = sumL / wl + sumR / (w - wl);
        if (proxy > best.proxy) {
          best.proxy = proxy;
          best.feature = f;
          best.loId = histId[prev]!;
          best.hiId = histId[b]!;
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
    return true;
  }
  const keys = ws.keys.subarray(0, count);
  for (let s = 0; s < count; s++) {
    keys[s] = ranks[fr + rowOf[seg[start + s]! & ID_MASK]!]! * POS + s;
  }
  keys.sort();
  let prevR = -1;
  let prevId = 0;
  for (let s = 0; s < count; s++) {
    const key = keys[s]!;
    const r = Math.floor(key / POS);
    const id = seg[start + (key - r * POS)]! & ID_MASK;
    if (r !== prevR && prevR >= 0 && nl >= minLeaf && count - nl >= minLeaf) {
      const proxy = sumL / wl + sumR / (w - wl);
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.feature = f;
        best.loId = prevId;
        best.hiId = id;
      }
    }
    const v = wt[id]!;
    const c = cls[id]!;
    const l = left[c]!;
    const rr = total[c]! - l;
    sumL += v * (2 * l + v);
    sumR += v * (v - 2 * rr);
    left[c] = l + v;
    wl += v;
    nl++;
    prevR = r;
    prevId = id;
  }
  return true;
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
 * import { trainForest } from "./train.ts";
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
  const size = new ForestSize(p.n_estimators);
  for (let t = 0; t < p.n_estimators; t++) {
    const tree = trainTree(prepared, p, t);
    trees.push(tree);
    size.add(tree.feature.length, countSplits(tree.feature), tree.leafValues.length);
    size.check();
    onTree?.(t + 1, p.n_estimators);
  }
  return assembleForest(trees, data.nFeatures, data.nClasses);
}

/**
 * Scans one feature's candidate thresholds, between consecutive distinct values in ascending
 * order, and records a better split in `best`. Returns whether the feature varies in the node.
 */
function scanClasses(
  ws: Workspace,
  fb: number,
  K: number,
  start: number,
  end: number,
  w: number,
  minLeaf: number,
  f: number,
  best: Split,
): boolean {
  const { seg, cls, wt, total, left } = ws;
  const count = end - start;
  left.fill(0);
  let wl = 0;
  let nl = 0;
  let sumL = 0; // sum over classes of left[c]^2
  let sumR = 0;
  for (let c = 0; c < K; c++) sumR += total[c]! * total[c]!;
  let varies = false;
  for (let s = start; s < end; s++) {
    const e = seg[fb + s]!;
    if (e < 0 && s > start) {
      varies = true;
      if (nl >= minLeaf && count - nl >= minLeaf) {
        const proxy = sumL / wl + sumR / (w - wl);
        if (proxy > best.proxy) {
          best.proxy = proxy;
          best.feature = f;
          best.pos = s;
          best.loId = seg[fb + s - 1]! & ID_MASK;
          best.hiId = e & ID_MASK;
        }
      }
    }
    const id = e & ID_MASK;
    const v = wt[id]!;
    const c = cls[id]!;
    const l = left[c]!;
    const r = total[c]! - l;
    sumL += v * (2 * l + v);
    sumR += v * (v - 2 * r);
    left[c] = l + v;
    wl += v;
    nl++;
  }
  return varies;
}

/** {@linkcode scanClasses} for two classes, with the left weights in registers; same sums. */
function scanTwoClasses(
  ws: Workspace,
  fb: number,
  start: number,
  end: number,
  w: number,
  minLeaf: number,
  f: number,
  best: Split,
): boolean {
  const { seg, cls, wt, total } = ws;
  const count = end - start;
  const t0 = total[0]!;
  const t1 = total[1]!;
  let l0 = 0;
  let l1 = 0;
  let wl = 0;
  let nl = 0;
  let sumL = 0;
  let sumR = t0 * t0 + t1 * t1;
  let varies = false;
  for (let s = start; s < end; s++) {
    const e = seg[fb + s]!;
    if (e < 0 && s > start) {
      varies = true;
      if (nl >= minLeaf && count - nl >= minLeaf) {
        const proxy = sumL / wl + sumR / (w - wl);
        if (proxy > best.proxy) {
          best.proxy = proxy;
          best.feature = f;
          best.pos = s;
          best.loId = seg[fb + s - 1]! & ID_MASK;
          best.hiId = e & ID_MASK;
        }
      }
    }
    const id = e & ID_MASK;
    const v = wt[id]!;
    // Branch-free, as the class of the next row is unpredictable; every value is an integer
    // (weights are bootstrap counts), so this arithmetic is exact.
    const c = cls[id]!;
    const l = l0 + c * (l1 - l0);
    const r = t0 + c * (t1 - t0) - l;
    sumL += v * (2 * l + v);
    sumR += v * (v - 2 * r);
    l1 += c * v;
    l0 += (1 - c) * v;
    wl += v;
    nl++;
  }
  return varies;
}
