/**
 * The model artifact, `model.json` in format `fluxops.model/v1`: a versioned, checksummed
 * description of a trained forest with everything needed to serve and audit it.
 * @module
 */
import { readFile } from "node:fs/promises";
import { IntegrityError, InvalidModel, ModelNotFound } from "../errors.ts";
import type { Label } from "../data/dataset.ts";
import type { DataLineage } from "../data/lineage.ts";
import type { BuildInfo } from "../training/provenance.ts";
import type { Forest } from "../forest/forest.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { canonicalJson, sha256Hex } from "./canonical.ts";
import type { FeatureStats } from "./feature_stats.ts";
import { decodeForest, type EncodedForest, encodeForest } from "./forest_codec.ts";

/** The format tag every FluxOps model carries. */
export const MODEL_FORMAT = "fluxops.model/v1" as const;

/** The training engine and its version. */
export interface EngineInfo {
  readonly name: "native" | "ml-random-forest";
  readonly version: string;
}

/** model.json as stored. */
export interface ModelArtifact {
  readonly format: typeof MODEL_FORMAT;
  /** Sortable: UTC timestamp plus a short hash of the content. */
  readonly version: string;
  readonly created_at: string;
  readonly task: "classification";
  readonly target: string;
  readonly classes: readonly Label[];
  readonly features: readonly FeatureStats[];
  readonly forest: EncodedForest;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  /**
   * Fraction of training rows of each class, in `classes` order, for prediction drift. Absent
   * from models trained before it was recorded: they load, without prediction drift.
   */
  readonly class_frequencies?: readonly number[];
  readonly engine: EngineInfo;
  readonly runtime: Readonly<Record<string, string>>;
  /** The data it was trained and evaluated on; absent in models made before lineage. */
  readonly data?: DataLineage;
  /** The commit and CI pipeline/job that built it; absent in models made before lineage. */
  readonly build?: BuildInfo;
  /** SHA-256 of the canonical JSON of every other field. */
  readonly sha256: string;
}

/** A model ready to predict: its artifact and the decoded forest. */
export interface LoadedModel {
  readonly artifact: ModelArtifact;
  readonly forest: Forest;
  /** Feature names in input order. */
  readonly featureNames: readonly string[];
}

/** What a trainer supplies to make an artifact. */
export interface ArtifactInput {
  readonly target: string;
  readonly classes: readonly Label[];
  readonly features: readonly FeatureStats[];
  readonly forest: Forest;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Fraction of training rows of each class, in `classes` order (see `classFrequencies`). */
  readonly classFrequencies?: readonly number[];
  readonly engine: EngineInfo;
  /** Lineage of the data, recorded (and covered by the checksum) when given. */
  readonly data?: DataLineage | undefined;
  /** Commit and CI ids, recorded when given. */
  readonly build?: BuildInfo | undefined;
  /** Defaults to now. */
  readonly createdAt?: Date;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** The runtime that produced a model. */
export function runtimeInfo(): Record<string, string> {
  return { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript };
}

/** Builds a versioned, checksummed artifact. */
export function buildArtifact(input: ArtifactInput): ModelArtifact {
  const created = input.createdAt ?? new Date();
  const content = {
    format: MODEL_FORMAT,
    task: "classification" as const,
    target: input.target,
    classes: input.classes,
    features: input.features,
    forest: encodeForest(input.forest),
    params: input.params,
    metrics: input.metrics,
    ...(input.classFrequencies ? { class_frequencies: input.classFrequencies } : {}),
    engine: input.engine,
    runtime: runtimeInfo(),
    ...(input.data ? { data: input.data } : {}),
    ...(input.build ? { build: input.build } : {}),
  };
  const contentHash = sha256Hex(canonicalJson(content));
  const unsigned = {
    ...content,
    version: `${stamp(created)}-${contentHash.slice(0, 8)}`,
    created_at: created.toISOString(),
  };
  return { ...unsigned, sha256: sha256Hex(canonicalJson(unsigned)) };
}

/** Serialises an artifact as model.json text. */
export function serializeModel(artifact: ModelArtifact): string {
  return JSON.stringify(artifact) + "\n";
}

function isLabel(v: unknown): v is Label {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}

/** Parses model.json text, checking format, checksum and structure; `source` names it in errors. */
export function parseModel(text: string, source = "model.json"): LoadedModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidModel(`${source}: not valid JSON`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InvalidModel(`${source}: expected a JSON object`);
  }
  const m = raw as Record<string, unknown>;
  if (m.format !== MODEL_FORMAT) {
    throw new InvalidModel(
      `${source}: format is ${JSON.stringify(m.format)}, expected "${MODEL_FORMAT}"`,
    );
  }
  const { sha256, ...rest } = m;
  if (typeof sha256 !== "string") throw new IntegrityError(`${source}: has no sha256 checksum`);
  const actual = sha256Hex(canonicalJson(rest));
  if (actual !== sha256) {
    throw new IntegrityError(
      `${source}: checksum mismatch (file says ${sha256.slice(0, 12)}..., content is ${
        actual.slice(0, 12)
      }...): the file is corrupt or was altered`,
    );
  }
  const classes = m.classes;
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every(isLabel)) {
    throw new InvalidModel(`${source}: classes must list at least two labels`);
  }
  const features = m.features;
  if (
    !Array.isArray(features) || features.length < 1 ||
    !features.every((f) => f && typeof f === "object" && typeof f.name === "string")
  ) {
    throw new InvalidModel(`${source}: features must list at least one named feature`);
  }
  // Requests name features and responses key probabilities by label: both must be unambiguous.
  const dupFeature = firstDuplicate(features.map((f) => f.name as string));
  if (dupFeature !== undefined) {
    throw new InvalidModel(`${source}: feature ${JSON.stringify(dupFeature)} is listed twice`);
  }
  const dupClass = firstDuplicate(classes.map(String));
  if (dupClass !== undefined) {
    throw new InvalidModel(`${source}: class ${JSON.stringify(dupClass)} is listed twice`);
  }
  for (const key of ["version", "created_at", "target"] as const) {
    if (typeof m[key] !== "string") throw new InvalidModel(`${source}: ${key} must be a string`);
  }
  let forest: Forest;
  try {
    forest = decodeForest(m.forest);
  } catch (err) {
    if (err instanceof InvalidModel) throw new InvalidModel(`${source}: ${err.message}`);
    throw err;
  }
  if (forest.nFeatures !== features.length || forest.nClasses !== classes.length) {
    throw new InvalidModel(`${source}: forest shape does not match features and classes`);
  }
  checkClassFrequencies(m.class_frequencies, classes.length, source);
  const artifact = raw as ModelArtifact;
  return { artifact, forest, featureNames: artifact.features.map((f) => f.name) };
}

/** `class_frequencies`, when present: one fraction in [0, 1] per class, summing to 1. */
function checkClassFrequencies(v: unknown, k: number, source: string): void {
  if (v === undefined) return;
  if (
    !Array.isArray(v) || v.length !== k ||
    !v.every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1) ||
    Math.abs(v.reduce((a: number, b: number) => a + b, 0) - 1) > 1e-9
  ) {
    throw new InvalidModel(
      `${source}: class_frequencies must hold ${k} fractions (one per class) summing to 1`,
    );
  }
}

/**
 * The fraction of rows of each class: `y` holds class indices 0..k-1.
 *
 * @example
 * ```ts
 * import { classFrequencies } from "./artifact.ts";
 * classFrequencies(Int32Array.of(0, 1, 1, 1), 2); // [0.25, 0.75]
 * ```
 */
export function classFrequencies(y: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  return counts.map((c) => (y.length === 0 ? 0 : c / y.length));
}

/** Reads and verifies a model.json file. */
export async function loadModel(path: string): Promise<LoadedModel> {
  let text: string;
  try {
    // node:fs rather than Deno APIs, so the Node.js worker adapter can load models too.
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") throw new ModelNotFound(`${path}: no such model file`);
    if (code === "EISDIR") {
      throw new ModelNotFound(`${path}: is a folder, expected a model.json file`);
    }
    throw new InvalidModel(`${path}: cannot be read (${(err as Error).message})`);
  }
  return parseModel(text, path);
}

/** Writes model.json atomically (temporary file, then rename). */
export async function saveModel(path: string, artifact: ModelArtifact): Promise<void> {
  await writeFileAtomic(path, serializeModel(artifact));
}
