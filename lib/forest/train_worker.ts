/**
 * A Web Worker that trains trees of a forest: it receives the shared prepared data once, then
 * tree indices one at a time, and answers each with the tree's arrays (transferred, not copied).
 * Started by {@linkcode trainForestParallel} in parallel_train.ts.
 * @module
 */
import type { ForestParams } from "./params.ts";
import type { PreparedData } from "./prepare.ts";
import { trainTree, type TreeArrays } from "./train.ts";

/** Messages to a training worker. */
export type ToTrainWorker =
  | { readonly kind: "init"; readonly data: PreparedData; readonly params: ForestParams }
  | { readonly kind: "tree"; readonly index: number };

/** Messages from a training worker. */
export type FromTrainWorker =
  | { readonly kind: "tree"; readonly index: number; readonly tree: TreeArrays }
  | {
    readonly kind: "error";
    readonly index: number;
    readonly name: string;
    readonly message: string;
  };

/** The parts of a worker's global scope used here (this module is type-checked as window code). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToTrainWorker>) => void) | null;
  postMessage(message: FromTrainWorker, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let job: { data: PreparedData; params: ForestParams } | undefined;

scope.onmessage = ({ data: message }) => {
  if (message.kind === "init") {
    job = { data: message.data, params: message.params };
    return;
  }
  const { index } = message;
  try {
    if (job === undefined) throw new Error("tree asked for before the data");
    const tree = trainTree(job.data, job.params, index);
    const buffers = [tree.feature, tree.threshold, tree.right, tree.leafValues, tree.importances]
      .map((a) => a.buffer as ArrayBuffer);
    scope.postMessage({ kind: "tree", index, tree }, buffers);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    scope.postMessage({ kind: "error", index, name: e.name, message: e.message });
  }
};
