/**
 * The compact forest: every tree of a random forest flattened into a few typed arrays, in
 * pre-order, so prediction is a tight loop and the model file stays small.
 * @module
 */

/** A trained random-forest classifier in compact array form. */
export interface Forest {
  /** Number of input features. */
  readonly nFeatures: number;
  /** Number of classes. */
  readonly nClasses: number;
  /** Start of each tree's nodes in the node arrays; length is trees + 1. */
  readonly treeOffsets: Int32Array;
  /** Split feature of each node, or -1 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold of each node (`x <= threshold` goes left); unused for leaves. */
  readonly threshold: Float64Array;
  /**
   * For a split node, the index of its right child (the left child is the next node).
   * For a leaf, the index of its first class frequency in `leafValues`.
   */
  readonly right: Int32Array;
  /** Class frequencies of every leaf, `nClasses` per leaf, each group summing to 1. */
  readonly leafValues: Float64Array;
  /** Normalised mean decrease in impurity per feature (sums to 1, or all 0 for stumps). */
  readonly importances: Float64Array;
}

/** Number of trees in a forest. */
export function treeCount(forest: Forest): number {
  return forest.treeOffsets.length - 1;
}
