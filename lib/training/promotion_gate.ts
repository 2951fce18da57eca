/**
 * The promotion gate wired to a registry: loads the candidate (a model folder, a model.json, or
 * a published version) and the champion (the version an alias names), reads the rows to score
 * them on (by default the candidate's own recorded evaluation rows) and compares them.
 * Shared by `deno task model compare` and `deno task deploy`.
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.ts";
import { SEED_URI } from "../data/lineage.ts";
import { readSourcedDataset } from "../data/source.ts";
import { FluxError, UsageError } from "../errors.ts";
import { type LoadedModel, type ModelArtifact, parseModel } from "../model/artifact.ts";
import { checkVersion, type ModelRegistry } from "../store/registry.ts";
import { compareModels, type GateMetric, type GateResult } from "./gate.ts";
import { loadTrainingSets } from "./train_model.ts";

/** What to compare. */
export interface PromotionGateOptions {
  readonly registry: ModelRegistry;
  /** A model folder, a model.json file, or a version published in `registry`. */
  readonly candidate: string;
  /** The champion's alias (default production). */
  readonly against?: string | undefined;
  /** Rows to score on (a CSV path or URI); default: the candidate's recorded eval rows. */
  readonly data?: string | undefined;
  readonly metric?: GateMetric | undefined;
  readonly tolerance?: number | undefined;
}

/** Loads a candidate: a folder holding model.json, a model.json file, or a published version. */
export async function loadCandidate(registry: ModelRegistry, ref: string): Promise<LoadedModel> {
  let path: string | undefined;
  try {
    const s = await stat(ref);
    path = s.isDirectory() ? join(ref, "model.json") : ref;
  } catch { /* not a path: a version */ }
  if (path !== undefined) return parseModel(await readFile(path, "utf8"), path);
  let valid = true;
  try {
    checkVersion(ref);
  } catch {
    valid = false;
  }
  if (!valid || !(await registry.exists(ref))) {
    throw new UsageError(
      `candidate ${ref}: neither a model folder or file nor a version in ${registry.location}`,
    );
  }
  const bytes = await registry.file(ref, "model.json");
  return parseModel(new TextDecoder().decode(bytes), `${registry.location} ${ref}`);
}

/**
 * The rows a model records it was evaluated on: its eval file, or the held-out split of its
 * training data (read again and split as the training did).
 */
export async function recordedEvalRows(
  artifact: ModelArtifact,
): Promise<{ rows: Dataset; source: string }> {
  const data = artifact.data;
  if (data?.eval) {
    const read = await readSourcedDataset(data.eval.uri, { target: artifact.target });
    return { rows: read.dataset, source: data.eval.uri };
  }
  if (data?.held_out) {
    const sets = await loadTrainingSets({
      data: data.train.uri === SEED_URI ? undefined : data.train.uri,
      target: artifact.target,
      testSize: data.held_out.test_size,
    }, data.held_out.seed);
    return {
      rows: sets.test,
      source:
        `${data.train.uri} (held out: test_size=${data.held_out.test_size}, seed=${data.held_out.seed})`,
    };
  }
  throw new UsageError(
    `model ${artifact.version} records no evaluation data (made before lineage): give --data`,
  );
}

/** Runs the gate: candidate against the alias' model on the same rows. */
export async function runPromotionGate(o: PromotionGateOptions): Promise<GateResult> {
  const candidate = await loadCandidate(o.registry, o.candidate);
  const alias = o.against ?? "production";
  const pointer = await o.registry.alias(alias);
  const champion = pointer ? await loadCandidate(o.registry, pointer.pointer.version) : undefined;
  const { rows, source } = o.data === undefined ? await recordedEvalRows(candidate.artifact) : {
    rows: (await readSourcedDataset(o.data, { target: candidate.artifact.target })).dataset,
    source: o.data,
  };
  const result = compareModels({
    candidate,
    champion,
    rows,
    source,
    ...(o.metric ? { metric: o.metric } : {}),
    ...(o.tolerance === undefined ? {} : { tolerance: o.tolerance }),
  });
  return champion ? result : {
    ...result,
    message: result.message.replace(
      "no champion yet",
      `no champion yet (alias ${alias} is not set)`,
    ),
  };
}

/** A candidate the promotion gate refused; the message carries both figures. */
export class PromotionRefused extends FluxError {
  /** The gate's figures. */
  readonly result: GateResult;
  constructor(result: GateResult) {
    super("conflict", `promotion gate ${result.message} (--force skips the gate)`);
    this.name = "PromotionRefused";
    this.result = result;
  }
}

/**
 * The gate as a deploy runs it before moving `alias` to `version`: skipped (and logged) with
 * `force`; otherwise the figures are logged and a refusal throws, leaving `version` published
 * but not promoted.
 *
 * @throws {PromotionRefused} when the candidate scores worse than the alias' model.
 */
export async function gateBeforePromotion(
  { registry, version, alias, force, log }: {
    registry: ModelRegistry;
    version: string;
    alias: string;
    force: boolean;
    log: (line: string) => void;
  },
): Promise<GateResult | undefined> {
  if (force) {
    log(`promotion gate: skipped (--force): ${version} is promoted to ${alias} unscored`);
    return undefined;
  }
  const result = await runPromotionGate({ registry, candidate: version, against: alias });
  if (!result.accepted) throw new PromotionRefused(result);
  log(`promotion gate: ${result.message}`);
  return result;
}
