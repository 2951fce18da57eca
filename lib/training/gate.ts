/**
 * The promotion gate: a candidate model is promoted only when, scored on the same rows as the
 * model an alias names now (the champion), it is at least as good, minus a tolerance.
 * @module
 */
import type { Dataset, Label } from "../data/dataset.ts";
import { FluxError, InvalidInput } from "../errors.ts";
import { predictProba } from "../forest/predict.ts";
import { evaluate } from "../metrics/mod.ts";
import type { LoadedModel } from "../model/artifact.ts";
import { alignClasses } from "./train_model.ts";

/** The metrics a gate can compare on. */
export const GATE_METRICS = ["accuracy", "f1", "roc_auc", "log_loss"] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

/** How much worse than the champion a candidate may score and still pass. */
export const DEFAULT_TOLERANCE = 0.005;

/** Two models that cannot be compared: other features or other classes. */
export class ModelsDiffer extends FluxError {
  constructor(message: string) {
    super("data_error", message);
    this.name = "ModelsDiffer";
  }
}

/** What the gate compares. */
export interface GateInput {
  readonly candidate: LoadedModel;
  /** The champion; undefined when the alias names no model yet. */
  readonly champion?: LoadedModel | undefined;
  /** The rows both are scored on, with their true classes. */
  readonly rows: Dataset;
  /** Where the rows came from, for messages. */
  readonly source: string;
  readonly metric?: GateMetric;
  readonly tolerance?: number;
}

/** One model's figure. */
export interface GateScore {
  readonly version: string;
  readonly value: number;
}

/** The gate's verdict with its figures. */
export interface GateResult {
  readonly accepted: boolean;
  readonly metric: GateMetric;
  readonly tolerance: number;
  /** Whether a higher figure is better (false for log loss). */
  readonly higher_is_better: boolean;
  readonly candidate: GateScore;
  readonly champion: GateScore | null;
  /** candidate - champion, or null without a champion. */
  readonly difference: number | null;
  readonly rows: number;
  readonly data: string;
  /** One line saying what was decided and why. */
  readonly message: string;
}

function sameSet(a: readonly (string | Label)[], b: readonly (string | Label)[]): boolean {
  const key = (v: readonly (string | Label)[]) => v.map(String).sort().join("\u0000");
  return a.length === b.length && key(a) === key(b);
}

/** Scores `model` on `rows`, whose columns may come in any order. */
function score(model: LoadedModel, rows: Dataset, source: string, metric: GateMetric): number {
  const at = new Map(rows.featureNames.map((n, i) => [n, i]));
  const cols = model.featureNames.map((n) => {
    const i = at.get(n);
    if (i === undefined) {
      throw new ModelsDiffer(
        `${source}: has no column "${n}", a feature of model ${model.artifact.version}`,
      );
    }
    return i;
  });
  const p = cols.length;
  const x = new Float64Array(rows.nRows * p);
  for (let r = 0; r < rows.nRows; r++) {
    for (let j = 0; j < p; j++) x[r * p + j] = rows.x[r * rows.nFeatures + cols[j]!]!;
  }
  const aligned = alignClasses(rows, model.artifact.classes, source);
  const m = evaluate(aligned.y, predictProba(model.forest, x, rows.nRows), model.artifact.classes);
  const value = m[metric];
  if (value === null) {
    throw new InvalidInput(`${source}: ${metric} is undefined on these rows (a single class)`);
  }
  return value;
}

const fmt = (v: number) => v.toFixed(4);
const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(4)}`;

/**
 * Scores the candidate and the champion on the same rows and decides: accepted when the
 * candidate is at least the champion minus the tolerance (for log loss, at most the champion
 * plus it); always accepted without a champion.
 *
 * @throws {ModelsDiffer} when the models have other feature sets or classes.
 * @throws {InvalidInput} for a bad tolerance or a metric undefined on the rows.
 */
export function compareModels(input: GateInput): GateResult {
  const metric = input.metric ?? "accuracy";
  const tolerance = input.tolerance ?? DEFAULT_TOLERANCE;
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) {
    throw new InvalidInput(`tolerance: expected a number >= 0, got ${tolerance}`);
  }
  const { candidate, champion, rows, source } = input;
  const higher = metric !== "log_loss";
  if (champion) {
    if (!sameSet(candidate.featureNames, champion.featureNames)) {
      throw new ModelsDiffer(
        `candidate ${candidate.artifact.version} and champion ${champion.artifact.version} ` +
          `have different features: [${candidate.featureNames.join(", ")}] vs [${
            champion.featureNames.join(", ")
          }]`,
      );
    }
    if (!sameSet(candidate.artifact.classes, champion.artifact.classes)) {
      throw new ModelsDiffer(
        `candidate ${candidate.artifact.version} and champion ${champion.artifact.version} ` +
          `have different classes: ${JSON.stringify(candidate.artifact.classes)} vs ${
            JSON.stringify(champion.artifact.classes)
          }`,
      );
    }
  }
  const cand = {
    version: candidate.artifact.version,
    value: score(candidate, rows, source, metric),
  };
  const base = {
    metric,
    tolerance,
    higher_is_better: higher,
    candidate: cand,
    rows: rows.nRows,
    data: source,
  };
  if (!champion) {
    return {
      ...base,
      accepted: true,
      champion: null,
      difference: null,
      message: `no champion yet: candidate ${cand.version} accepted (${metric} ${
        fmt(cand.value)
      } on ${rows.nRows} rows of ${source})`,
    };
  }
  const champ = {
    version: champion.artifact.version,
    value: score(champion, rows, source, metric),
  };
  const difference = cand.value - champ.value;
  const accepted = higher
    ? cand.value >= champ.value - tolerance
    : cand.value <= champ.value + tolerance;
  const verdict = accepted ? "accepted" : "REFUSED";
  const rule = higher
    ? `needs >= champion - ${tolerance}`
    : `lower is better; needs <= champion + ${tolerance}`;
  return {
    ...base,
    accepted,
    champion: champ,
    difference,
    message: `${verdict}: ${metric} candidate ${cand.version} ${
      fmt(cand.value)
    } vs champion ${champ.version} ${fmt(champ.value)} (difference ${
      signed(difference)
    }; ${rule}) on ${rows.nRows} rows of ${source}`,
  };
}
