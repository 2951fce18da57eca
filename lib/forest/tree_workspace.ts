/**
 * The per-tree setup of the native engine's {@linkcode trainTree} (`train.ts`), apart from its
 * node loop: the scratch memory a tree works in ({@linkcode Workspace}), choosing it for the
 * data, drawing the tree's bootstrap sample and laying out the presorted segments. Each runs
 * once per tree, not per node, so none of it is on the hot path.
 * @module
 */
import type { Rng } from "../data/random.ts";
import { InvalidInput } from "../errors.ts";
import { featuresPerSplit, type ForestParams } from "./params.ts";
import type { PreparedData } from "./prepare.ts";

/** Sign bit of a segment entry: its value differs from the previous entry's in the segment. */
export const NEW_VALUE = -0x80000000;
export const ID_MASK = 0x7fffffff;
/** Sort keys pack (rank, position in the node) as rank * POS + position. */
export const POS = 2097152; // 2^21
/**
 * The fewest rows for which a node keeps every feature's rows in sorted order rather than
 * ordering the features it draws itself: a power of two up to 2^21 (2^21 meaning "never" when
 * it is above `nRows`). A presorted node scans `mtry` features and partitions all `nFeatures`
 * at its split: about nFeatures + mtry passes over its rows. A small node sorts each feature it
 * draws, about 1 + log2(rows) passes, or, for features with few distinct values, counts class
 * weights per value, about 2 + nClasses * distinct / rows passes. (The weights of the passes
 * were measured on 1,000,000 x 10 rows and on the digits data.)
 */
export function presortFrom(
  nRows: number,
  nFeatures: number,
  mtry: number,
  nClasses: number,
  meanDistinct: number,
): number {
  const presorted = nFeatures + mtry;
  let top = 2;
  while (top < nRows && top < POS) top *= 2;
  let from = POS;
  for (let rows = top; rows >= 2; rows /= 2) {
    const sorting = 1 + Math.log2(rows);
    const counting = 4 * meanDistinct <= rows ? 2 + nClasses * meanDistinct / rows : Infinity;
    if (presorted >= mtry * Math.min(sorting, counting)) break;
    from = rows;
  }
  return from;
}

/**
 * Scratch memory of one tree, reused by the next tree of the same data on the same thread.
 *
 * A tree works on its in-bag rows, renumbered 0..n-1 ("ids"). Large nodes use `seg`, which
 * holds per feature the ids in ascending order of that feature's value; a node owns the same
 * range [start, end) in every feature's part, so a split scans its candidates in order with no
 * sorting, and splitting the node partitions each part stably in place. An entry is `id`, with
 * the sign bit set when its value differs from the previous entry's. Small nodes (below
 * {@linkcode presortFrom} rows) keep their ids in feature 0's part only and sort the features
 * they draw, as sorting a few short lists is cheaper than partitioning every feature.
 */
export class Workspace {
  readonly weight: Float64Array;
  readonly local: Int32Array;
  readonly rowOf: Int32Array;
  readonly cls: Int32Array;
  readonly wt: Float64Array;
  readonly seg: Int32Array;
  readonly tmp: Int32Array;
  /** Bit set of the ids that go left at the current split. */
  readonly goLeft: Int32Array;
  readonly keys: Float64Array;
  readonly hist: Float64Array;
  readonly histCount: Int32Array;
  readonly histId: Int32Array;
  readonly left: Float64Array;
  readonly total: Float64Array;
  readonly perm: Int32Array;
  constructor(
    nRows: number,
    nFeatures: number,
    nClasses: number,
    sortedBelow: number,
    maxDistinct: number,
  ) {
    this.weight = new Float64Array(nRows);
    this.local = new Int32Array(nRows);
    this.rowOf = new Int32Array(nRows);
    this.cls = new Int32Array(nRows);
    this.wt = new Float64Array(nRows);
    this.seg = new Int32Array(nRows * nFeatures);
    this.tmp = new Int32Array(nRows);
    this.goLeft = new Int32Array((nRows >>> 5) + 1);
    const small = Math.min(nRows, sortedBelow);
    this.keys = new Float64Array(small);
    // Counting is used when a node's ranks span at most 4 per row.
    const span = Math.min(maxDistinct, 4 * small);
    this.hist = new Float64Array(span * nClasses);
    this.histCount = new Int32Array(span);
    this.histId = new Int32Array(span);
    this.left = new Float64Array(nClasses);
    this.total = new Float64Array(nClasses);
    this.perm = new Int32Array(nFeatures);
  }
}

const workspaces = new WeakMap<PreparedData, Workspace>();

/** What {@linkcode workspaceFor} chose for a tree. */
export interface TreeSetup {
  readonly ws: Workspace;
  /** Features drawn per split. */
  readonly mtry: number;
  /** Nodes with fewer rows sort; larger ones stay presorted. */
  readonly sortedBelow: number;
}

/**
 * The workspace of a tree of `data` (the one the previous tree of the same data used, if large
 * enough) and the engine's choices for it.
 * @throws {InvalidInput} if `presortFrom` is given and is not an integer >= 2.
 */
export function workspaceFor(
  data: PreparedData,
  params: ForestParams,
  given: number | undefined,
): TreeSetup {
  const { nRows: N, nFeatures: P, nClasses: K } = data;
  const mtry = featuresPerSplit(params.max_features, P);
  let maxDistinct = 0;
  let sumDistinct = 0;
  for (const d of data.distinctCounts) {
    maxDistinct = Math.max(maxDistinct, d);
    sumDistinct += d;
  }
  if (given !== undefined && !(Number.isInteger(given) && given >= 2)) {
    throw new InvalidInput(`presortFrom: expected an integer >= 2, got ${given}`);
  }
  const sortedBelow = Math.min(POS, given ?? presortFrom(N, P, mtry, K, sumDistinct / P));
  let ws = workspaces.get(data);
  if (ws === undefined || ws.keys.length < Math.min(N, sortedBelow)) {
    ws = new Workspace(N, P, K, sortedBelow, maxDistinct);
    workspaces.set(data, ws);
  }
  return { ws, mtry, sortedBelow };
}

/**
 * Draws the tree's sample (a bootstrap with `params.bootstrap`, else every row once) and
 * numbers its in-bag rows 0..n-1: `local`, `rowOf`, `cls` and `wt` of `ws`. Returns n.
 */
export function drawSample(
  data: PreparedData,
  params: ForestParams,
  ws: Workspace,
  rng: Rng,
): number {
  const { nRows: N, y } = data;
  const { weight, local, rowOf, cls, wt } = ws;
  if (params.bootstrap) {
    weight.fill(0);
    for (let i = 0; i < N; i++) weight[rng.int(N)]! += 1;
  } else {
    weight.fill(1);
  }
  let n = 0;
  for (let i = 0; i < N; i++) {
    if (weight[i]! > 0) {
      local[i] = n;
      rowOf[n] = i;
      cls[n] = y[i]!;
      wt[n] = weight[i]!;
      n++;
    } else {
      local[i] = -1;
    }
  }
  return n;
}

/**
 * Lays out the root node's rows in `ws.seg`: every feature's part in presorted order (with the
 * new-value flags) when the root is presorted, else only the ids in feature 0's part. Resets
 * the feature permutation the splits draw from.
 */
export function layOutRoot(data: PreparedData, ws: Workspace, n: number, sortedBelow: number) {
  const { nRows: N, nFeatures: P, order, starts } = data;
  const { local, seg } = ws;
  if (n < sortedBelow) {
    for (let id = 0; id < n; id++) seg[id] = id;
  } else {
    for (let f = 0; f < P; f++) {
      const from = f * N;
      let to = f * n;
      let fresh = 0;
      for (let k = 0; k < N; k++) {
        fresh |= starts[from + k]!;
        const id = local[order[from + k]!]!;
        // Branch-free: out-of-bag rows (id -1) are written over by the next in-bag one.
        const inBag = (id >>> 31) ^ 1;
        seg[to] = id | (fresh << 31);
        to += inBag;
        fresh &= inBag ^ 1;
      }
    }
  }
  for (let f = 0; f < P; f++) ws.perm[f] = f;
}

/** The class weights of the in-bag sample: the root node's. */
export function rootTotals(ws: Workspace, n: number, nClasses: number): number[] {
  const root = new Float64Array(nClasses);
  for (let id = 0; id < n; id++) root[ws.cls[id]!]! += ws.wt[id]!;
  return Array.from(root);
}
