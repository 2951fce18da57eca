/**
 * Trains the trees of a forest on Web Workers. The prepared data are built once, on
 * SharedArrayBuffers that every worker reads without a copy; trees are handed out one index at
 * a time to whichever worker is free, and joined in index order. As a tree depends only on the
 * seed and its index, the forest is the same, byte for byte, whatever the number of workers.
 * @module
 */
import { describeError, InvalidInput, WorkerFailed } from "../errors.ts";
import type { Forest } from "./forest.ts";
import { type ForestParams, resolveParams } from "./params.ts";
import { prepare, type TrainingData } from "./prepare.ts";
import { countSplits, ForestSize } from "./forest_size.ts";
import { assembleForest, type OnTree, type TreeArrays } from "./train.ts";
import type { FromTrainWorker, ToTrainWorker } from "./train_worker.ts";

/** Options of {@linkcode trainForestParallel}. */
export interface ParallelTrainOptions {
  /** Number of workers, at least 1; never more than the trees. Default: the CPUs. */
  readonly workers?: number;
  /** Called on this thread after each tree with the number done and the total. */
  readonly onTree?: OnTree | undefined;
  /** Stops the training: the workers end and the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The worker module, for programs that ship it elsewhere (a bundle); it must speak
   * train_worker.ts' messages. Default: train_worker.ts beside this module.
   */
  readonly workerUrl?: string | URL | undefined;
}

/** The number of CPUs this process may use, the default number of workers. */
export function defaultWorkers(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

const WORKER_URL = new URL("./train_worker.ts", import.meta.url).href;

/** Errors a worker reports that keep their type on this side: the input's fault, not the worker's. */
const INPUT_ERRORS: Partial<Record<string, (message: string) => Error>> = {
  InvalidInput: (message) => new InvalidInput(message),
};

/**
 * Trains a random forest with the native engine on `workers` Web Workers.
 *
 * @throws {InvalidInput} for bad data, parameters or worker count (before any worker starts).
 * @throws {WorkerFailed} when a worker cannot start or fails; every worker is ended first.
 * @example
 * ```ts
 * import { trainForestParallel } from "./parallel_train.ts";
 * const forest = await trainForestParallel({ nRows: 4, nFeatures: 1, nClasses: 2,
 *   x: new Float64Array([0, 1, 2, 3]), y: new Int32Array([0, 0, 1, 1]) },
 *   { n_estimators: 10 }, { workers: 2, onTree: (done, total) => console.log(done, total) });
 * ```
 */
export async function trainForestParallel(
  data: TrainingData,
  params: Partial<ForestParams> = {},
  options: ParallelTrainOptions = {},
): Promise<Forest> {
  const p = resolveParams(params);
  const all = Array.from({ length: p.n_estimators }, (_, i) => i);
  const trees = await trainTreesParallel(data, p, all, options);
  return assembleForest(trees, data.nFeatures, data.nClasses);
}

/**
 * Trains the trees numbered `indices` of the forest `params` describes, on `workers` Web
 * Workers, and returns them in the order of `indices`. Each tree is the one the whole forest
 * would have at that index, which is what makes a sharded training exact.
 *
 * @throws {InvalidInput} for bad data, parameters, indices or worker count.
 * @throws {WorkerFailed} when a worker cannot start or fails; every worker is ended first.
 */
export async function trainTreesParallel(
  data: TrainingData,
  params: Partial<ForestParams>,
  indices: readonly number[],
  { workers = defaultWorkers(), onTree, signal, workerUrl = WORKER_URL }: ParallelTrainOptions = {},
): Promise<TreeArrays[]> {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new InvalidInput(`workers: expected an integer >= 1, got ${workers}`);
  }
  const p = resolveParams(params);
  const seen = new Set<number>();
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= p.n_estimators || seen.has(i)) {
      throw new InvalidInput(
        `tree index ${i}: expected distinct integers in [0, ${p.n_estimators})`,
      );
    }
    seen.add(i);
  }
  signal?.throwIfAborted();
  const total = indices.length;
  const trees: (TreeArrays | undefined)[] = new Array(total);
  if (total === 0) return [];
  const prepared = prepare(data, { shared: true });
  const pool: Worker[] = [];
  let next = 0;
  let done = 0;
  const size = new ForestSize(total);
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  let settled = false;
  const fail = (err: unknown) => {
    if (settled) return;
    settled = true;
    reject(err);
  };
  const onAbort = () => fail(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  // Workers speak in tree indices; `slot` maps one back to its place in the answer.
  const slot = new Map<number, number>(indices.map((tree, at) => [tree, at]));

  const send = (worker: Worker, message: ToTrainWorker) => worker.postMessage(message);
  try {
    for (let w = 0; w < Math.min(workers, total); w++) {
      let worker: Worker;
      try {
        worker = new Worker(workerUrl, { type: "module", name: `fluxops-train-${w}` });
      } catch (err) {
        throw new WorkerFailed(`cannot start training worker ${w}: ${describeError(err)}`, {
          cause: err,
        });
      }
      pool.push(worker);
      worker.onmessage = ({ data: message }: MessageEvent<FromTrainWorker>) => {
        if (settled) return;
        if (message.kind === "error") {
          const typed = INPUT_ERRORS[message.name];
          fail(
            typed ? typed(message.message) : new WorkerFailed(
              `training worker ${w} failed on tree ${message.index}: ${message.name}: ${message.message}`,
            ),
          );
          return;
        }
        const tree = message.tree;
        trees[slot.get(message.index)!] = tree;
        done++;
        try {
          size.add(tree.feature.length, countSplits(tree.feature), tree.leafValues.length);
          size.check();
          onTree?.(done, total);
        } catch (err) {
          fail(err);
          return;
        }
        if (done === total) {
          settled = true;
          resolve();
        } else if (next < total) {
          send(worker, { kind: "tree", index: indices[next++]! });
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        fail(new WorkerFailed(`training worker ${w} failed: ${event.message}`));
      };
      worker.onmessageerror = () => {
        fail(new WorkerFailed(`training worker ${w} sent a message that could not be read`));
      };
      send(worker, { kind: "init", data: prepared, params: p });
      send(worker, { kind: "tree", index: indices[next++]! });
    }
    await promise;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    for (const worker of pool) worker.terminate();
  }
  return trees as TreeArrays[];
}
