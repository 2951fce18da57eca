/**
 * Random-forest hyper-parameters, their defaults and their validation.
 * @module
 */
import { InvalidInput } from "../errors.ts";

/**
 * How many features to draw at each split: a rule, a count (an integer >= 1), or a fraction of
 * the features (a number strictly between 0 and 1).
 */
export type MaxFeatures = "sqrt" | "log2" | "all" | number;

/** Hyper-parameters of a random-forest classifier, named as in scikit-learn. */
export interface ForestParams {
  /** Number of trees. */
  readonly n_estimators: number;
  /** Maximum tree depth, or null for unlimited. */
  readonly max_depth: number | null;
  /** Features drawn at every split. */
  readonly max_features: MaxFeatures;
  /** Fewest samples a node needs to be split. */
  readonly min_samples_split: number;
  /** Fewest samples each leaf must keep. */
  readonly min_samples_leaf: number;
  /** Train each tree on a bootstrap sample of the rows. */
  readonly bootstrap: boolean;
  /** Seed of every random choice. */
  readonly seed: number;
}

/** The defaults, matching scikit-learn's RandomForestClassifier. */
export const DEFAULT_PARAMS: ForestParams = {
  n_estimators: 100,
  max_depth: null,
  max_features: "sqrt",
  min_samples_split: 2,
  min_samples_leaf: 1,
  bootstrap: true,
  seed: 42,
};

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidInput(`${name}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
}

/** Fills defaults and validates every parameter, naming the first one that is wrong. */
export function resolveParams(given: Partial<ForestParams> = {}): ForestParams {
  const p: ForestParams = { ...DEFAULT_PARAMS, ...given };
  checkInt("n_estimators", p.n_estimators, 1);
  if (p.max_depth !== null) checkInt("max_depth", p.max_depth, 1);
  checkInt("min_samples_split", p.min_samples_split, 2);
  checkInt("min_samples_leaf", p.min_samples_leaf, 1);
  checkInt("seed", p.seed, 0);
  const mf = p.max_features;
  if (typeof mf === "number") {
    if (!(Number.isFinite(mf) && mf > 0 && (Number.isInteger(mf) || mf < 1))) {
      throw new InvalidInput(
        `max_features: expected sqrt, log2, all, an integer >= 1 or a fraction in (0, 1), got ${mf}`,
      );
    }
  } else if (mf !== "sqrt" && mf !== "log2" && mf !== "all") {
    throw new InvalidInput(
      `max_features: expected sqrt, log2, all, an integer >= 1 or a fraction in (0, 1), got ${
        JSON.stringify(mf)
      }`,
    );
  }
  return p;
}

/**
 * Parses a command-line `max_features` value: `sqrt`, `log2`, `all`, an integer count (`5`) or a
 * fraction written with a decimal point (`0.5`; `1.0` means all).
 */
export function parseMaxFeatures(text: string): MaxFeatures {
  const t = text.trim();
  if (t === "sqrt" || t === "log2" || t === "all") return t;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1) return n;
  } else if (/^(\d*\.\d+|\d+\.\d*)$/.test(t)) {
    const f = Number(t);
    if (f === 1) return "all";
    if (f > 0 && f < 1) return f;
  }
  throw new InvalidInput(
    `max_features: expected sqrt, log2, all, an integer >= 1 or a fraction in (0, 1], got "${text}"`,
  );
}

/** The number of features to draw at each split for `nFeatures` inputs. */
export function featuresPerSplit(maxFeatures: MaxFeatures, nFeatures: number): number {
  let m: number;
  if (maxFeatures === "sqrt") m = Math.floor(Math.sqrt(nFeatures));
  else if (maxFeatures === "log2") m = Math.floor(Math.log2(nFeatures));
  else if (maxFeatures === "all") m = nFeatures;
  else if (Number.isInteger(maxFeatures)) m = maxFeatures;
  else m = Math.floor(maxFeatures * nFeatures);
  return Math.min(nFeatures, Math.max(1, m));
}
