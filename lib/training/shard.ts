/**
 * Sharded training: shard K of N trains the trees of the forest whose index i has
 * i mod N = K-1, and writes them with everything needed to prove where they came from; merging
 * the N shards joins the trees in index order, which gives the very forest one unsharded run
 * makes, as each tree depends only on the data, the parameters and (seed, index).
 * @module
 */
import { FluxError, InvalidInput } from "../errors.ts";
import type { Dataset, Label } from "../data/dataset.ts";
import type { DataLineage } from "../data/lineage.ts";
import type { Forest } from "../forest/forest.ts";
import type { ForestParams } from "../forest/params.ts";
import { resolveParams } from "../forest/params.ts";
import { prepare } from "../forest/prepare.ts";
import { assembleForest, type OnTree, trainTree, type TreeArrays } from "../forest/train.ts";
import { defaultWorkers, trainTreesParallel } from "../forest/parallel_train.ts";
import { canonicalJson, sha256Hex } from "../model/canonical.ts";

/** The format tag of a shard file. */
export const SHARD_FORMAT = "fluxops.shard/v1" as const;

/** The shard file's name in a shard folder. */
export const SHARD_FILE = "shard.json";

/** Shard K of N (1-based K). */
export interface ShardSpec {
  readonly k: number;
  readonly n: number;
}

/** Shards that do not belong together, or a shard file that is damaged. */
export class ShardMismatch extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("integrity_error", message, options);
    this.name = "ShardMismatch";
  }
}

/** One trained tree as stored in a shard file: its arrays as little-endian base64. */
export interface EncodedTree {
  readonly index: number;
  readonly feature: string;
  readonly threshold: string;
  readonly right: string;
  readonly leaf_values: string;
  readonly importances: string;
}

/** shard.json. */
export interface ShardFile {
  readonly format: typeof SHARD_FORMAT;
  readonly shard: ShardSpec;
  readonly target: string;
  readonly classes: readonly Label[];
  readonly feature_names: readonly string[];
  /** Every forest parameter, resolved (n_estimators is the whole forest's). */
  readonly params: ForestParams;
  /** How the evaluation rows are chosen: the held-out fraction, or null with an eval file. */
  readonly test_size: number | null;
  /** The data every shard must have read, byte for byte. */
  readonly data: DataLineage;
  readonly n_train: number;
  readonly train_seconds: number;
  readonly trees: readonly EncodedTree[];
  /** SHA-256 of the canonical JSON of every other field. */
  readonly sha256: string;
}

/**
 * Parses `K/N` (1 <= K <= N).
 *
 * @example
 * ```ts
 * import { parseShardSpec } from "./shard.ts";
 * parseShardSpec("2/3"); // { k: 2, n: 3 }
 * ```
 */
export function parseShardSpec(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(Number.isSafeInteger(k) && Number.isSafeInteger(n) && k >= 1 && k <= n)) {
    throw new InvalidInput(`--shard: expected K/N with 1 <= K <= N, got "${text}"`);
  }
  return { k, n };
}

/** The tree indices of shard K of N in a forest of `total` trees: i with i mod N = K-1. */
export function shardTrees({ k, n }: ShardSpec, total: number): number[] {
  const out: number[] = [];
  for (let i = k - 1; i < total; i += n) out.push(i);
  return out;
}

function b64(a: Int32Array | Float64Array): string {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).toBase64();
}

function encodeTree(index: number, t: TreeArrays): EncodedTree {
  return {
    index,
    feature: b64(t.feature),
    threshold: b64(t.threshold),
    right: b64(t.right),
    leaf_values: b64(t.leafValues),
    importances: b64(t.importances),
  };
}

function decodeArray(source: string, name: string, text: unknown, bytesPer: number): ArrayBuffer {
  let bytes: Uint8Array;
  try {
    if (typeof text !== "string") throw new Error("not a string");
    bytes = Uint8Array.fromBase64(text);
  } catch {
    throw new ShardMismatch(`${source}: ${name} is not valid base64`);
  }
  if (bytes.byteLength % bytesPer !== 0) {
    throw new ShardMismatch(`${source}: ${name} is not a whole number of values`);
  }
  return bytes.slice().buffer;
}

function decodeTree(source: string, t: EncodedTree): TreeArrays {
  const at = `${source}: tree ${t.index}`;
  return {
    feature: new Int32Array(decodeArray(at, "feature", t.feature, 4)),
    threshold: new Float64Array(decodeArray(at, "threshold", t.threshold, 8)),
    right: new Int32Array(decodeArray(at, "right", t.right, 4)),
    leafValues: new Float64Array(decodeArray(at, "leaf_values", t.leaf_values, 8)),
    importances: new Float64Array(decodeArray(at, "importances", t.importances, 8)),
  };
}

/** What a shard is trained from. */
export interface ShardInput {
  readonly spec: ShardSpec;
  readonly train: Dataset;
  readonly params: Partial<ForestParams>;
  readonly testSize: number | null;
  readonly data: DataLineage;
  /** Web Workers; 0 trains on this thread. Default: the CPUs. */
  readonly workers?: number | undefined;
  readonly onTree?: OnTree | undefined;
}

/** Trains shard K of N: the trees i with i mod N = K-1 of the forest `params` describes. */
export async function trainShard(input: ShardInput): Promise<ShardFile> {
  const params = resolveParams(input.params);
  const { spec, train } = input;
  const indices = shardTrees(spec, params.n_estimators);
  if (indices.length === 0) {
    throw new InvalidInput(
      `--shard ${spec.k}/${spec.n}: a forest of ${params.n_estimators} trees has no tree ${spec.k} ` +
        `of ${spec.n} (use at most ${params.n_estimators} shards)`,
    );
  }
  const data = { ...train, nClasses: train.classes.length };
  const workers = input.workers ?? defaultWorkers();
  const started = performance.now();
  let trees: TreeArrays[];
  if (workers === 0) {
    const prepared = prepare(data);
    trees = indices.map((i, done) => {
      const tree = trainTree(prepared, params, i);
      input.onTree?.(done + 1, indices.length);
      return tree;
    });
  } else {
    trees = await trainTreesParallel(data, params, indices, { workers, onTree: input.onTree });
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const content = {
    format: SHARD_FORMAT,
    shard: { k: spec.k, n: spec.n },
    target: train.target,
    classes: train.classes,
    feature_names: train.featureNames,
    params,
    test_size: input.testSize,
    data: input.data,
    n_train: train.nRows,
    train_seconds: Math.round(trainSeconds * 1000) / 1000,
    trees: trees.map((t, j) => encodeTree(indices[j]!, t)),
  };
  return { ...content, sha256: sha256Hex(canonicalJson(content)) };
}

/** Parses shard.json text, checking its format and checksum; `source` names it in errors. */
export function parseShard(text: string, source: string): ShardFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ShardMismatch(`${source}: not valid JSON`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ShardMismatch(`${source}: expected a JSON object`);
  }
  const m = raw as Record<string, unknown>;
  if (m.format !== SHARD_FORMAT) {
    throw new ShardMismatch(
      `${source}: format is ${JSON.stringify(m.format)}, expected "${SHARD_FORMAT}"`,
    );
  }
  const { sha256, ...rest } = m;
  if (typeof sha256 !== "string" || sha256Hex(canonicalJson(rest)) !== sha256) {
    throw new ShardMismatch(`${source}: checksum mismatch: the shard is corrupt or was altered`);
  }
  return raw as ShardFile;
}

/** What every shard of one training must agree on, as canonical JSON. */
function identity(s: ShardFile): string {
  return canonicalJson({
    target: s.target,
    classes: s.classes,
    feature_names: s.feature_names,
    params: s.params,
    test_size: s.test_size,
    data: { train: s.data.train.sha256, eval: s.data.eval?.sha256 ?? null },
    n: s.shard.n,
  });
}

function differences(a: ShardFile, b: ShardFile): string[] {
  const out: string[] = [];
  if (a.data.train.sha256 !== b.data.train.sha256) {
    out.push(
      `training data sha256 ${a.data.train.sha256.slice(0, 12)}... vs ${
        b.data.train.sha256.slice(0, 12)
      }...`,
    );
  }
  if ((a.data.eval?.sha256 ?? null) !== (b.data.eval?.sha256 ?? null)) out.push("eval data");
  if (a.target !== b.target) out.push(`target "${a.target}" vs "${b.target}"`);
  if (a.shard.n !== b.shard.n) out.push(`N ${a.shard.n} vs ${b.shard.n}`);
  if (a.params.seed !== b.params.seed) out.push(`seed ${a.params.seed} vs ${b.params.seed}`);
  if (canonicalJson(a.params) !== canonicalJson(b.params)) out.push("parameters");
  if (a.test_size !== b.test_size) out.push(`test size ${a.test_size} vs ${b.test_size}`);
  if (canonicalJson(a.classes) !== canonicalJson(b.classes)) out.push("classes");
  if (canonicalJson(a.feature_names) !== canonicalJson(b.feature_names)) out.push("features");
  return out;
}

/** Shards checked to belong together, with the forest they join into. */
export interface MergedShards {
  /** Shard 1's description (every shard agrees with it). */
  readonly first: ShardFile;
  readonly forest: Forest;
  /** The longest shard's training time, what N parallel runners take. */
  readonly trainSeconds: number;
}

/**
 * Checks that `shards` are the N shards of one training (same data sha256, target, parameters,
 * seed, N; each K exactly once; each holding exactly its trees) and joins their trees in index
 * order into the forest an unsharded run makes.
 *
 * @throws {ShardMismatch} naming the shards and what differs, what is missing or duplicated.
 */
export function mergeShards(
  shards: readonly { readonly source: string; readonly file: ShardFile }[],
): MergedShards {
  if (shards.length === 0) throw new InvalidInput("merge: no shards given");
  const base = shards[0]!;
  const n = base.file.shard.n;
  for (const s of shards.slice(1)) {
    if (identity(s.file) !== identity(base.file)) {
      throw new ShardMismatch(
        `${s.source} does not belong with ${base.source}: ${
          differences(base.file, s.file).join("; ") || "their training differs"
        }`,
      );
    }
  }
  const byK = new Map<number, string>();
  for (const s of shards) {
    const { k } = s.file.shard;
    const other = byK.get(k);
    if (other !== undefined) {
      throw new ShardMismatch(`shard ${k}/${n} is given twice: ${other} and ${s.source}`);
    }
    byK.set(k, s.source);
  }
  const missing: number[] = [];
  for (let k = 1; k <= n; k++) if (!byK.has(k)) missing.push(k);
  if (missing.length > 0) {
    throw new ShardMismatch(
      `shard${missing.length > 1 ? "s" : ""} ${missing.map((k) => `${k}/${n}`).join(", ")} ` +
        `missing (given: ${
          [...byK.keys()].sort((a, b) => a - b).map((k) => `${k}/${n}`).join(", ")
        })`,
    );
  }
  const total = base.file.params.n_estimators;
  const trees: (TreeArrays | undefined)[] = new Array(total);
  let trainSeconds = 0;
  for (const s of shards) {
    const want = shardTrees(s.file.shard, total);
    const got = s.file.trees.map((t) => t.index);
    if (canonicalJson(want) !== canonicalJson(got)) {
      throw new ShardMismatch(
        `${s.source}: holds trees [${got.join(", ")}], shard ${s.file.shard.k}/${n} must hold ` +
          `[${want.join(", ")}]`,
      );
    }
    for (const t of s.file.trees) trees[t.index] = decodeTree(s.source, t);
    trainSeconds = Math.max(trainSeconds, s.file.train_seconds);
  }
  const forest = assembleForest(
    trees as TreeArrays[],
    base.file.feature_names.length,
    base.file.classes.length,
  );
  const first = shards.find((s) => s.file.shard.k === 1)!.file;
  return { first, forest, trainSeconds };
}
