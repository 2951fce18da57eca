/**
 * The release configuration of the prediction function, read from its environment (app
 * settings): whether it serves a candidate beside production, as a canary (a share of live
 * traffic) or in shadow (scored on live traffic, never answered), and when it gives up on it.
 * @module
 */
import { UsageError } from "../../lib/errors.ts";
import { checkAlias } from "../../lib/store/registry.ts";

/** How the candidate takes part: not at all, answering a share of traffic, or scored silently. */
export type ReleaseMode = "off" | "canary" | "shadow";

/** The release configuration. */
export interface ReleaseConfig {
  readonly mode: ReleaseMode;
  /** The registry alias the candidate follows. */
  readonly candidateAlias: string;
  /** A candidate model file instead of the alias (file mode, local use). */
  readonly candidateModel: string | undefined;
  /** Share of requests the candidate answers in canary mode, 0 to 1. */
  readonly weight: number;
  /** The request header whose value makes assignment sticky (lower case). */
  readonly stickyHeader: string;
  /** The candidate is rolled back when its error rate goes over this (0 to 1). */
  readonly rollbackErrorRate: number;
  /** Fewest candidate requests before its error rate is judged. */
  readonly rollbackMinRequests: number;
}

/** The environment variables read, with their defaults. */
export const RELEASE_ENV = {
  FLUXOPS_RELEASE_MODE: "off",
  FLUXOPS_CANDIDATE_ALIAS: "candidate",
  FLUXOPS_CANDIDATE_MODEL: "",
  FLUXOPS_CANARY_WEIGHT: "",
  FLUXOPS_STICKY_HEADER: "x-fluxops-subject",
  FLUXOPS_ROLLBACK_ERROR_RATE: "0.05",
  FLUXOPS_ROLLBACK_MIN_REQUESTS: "50",
} as const;

/** Where the production model comes from, which the release configuration must agree with. */
export interface ReleaseContext {
  /** The alias production follows in registry mode; the candidate's must differ. */
  readonly productionAlias?: string;
  /** True when production is a model file (`FLUXOPS_MODEL`), not a registry alias. */
  readonly fileMode?: boolean;
}

const FRACTION = /^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]{1,128}$/;

function fraction(name: string, text: string, example: string): number {
  if (!FRACTION.test(text)) {
    throw new UsageError(
      `${name}: expected a fraction from 0 to 1 (${example}), got ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/**
 * Reads and checks the release configuration; throws a {@link UsageError} naming the variable
 * and what it expected when a value is wrong.
 *
 * @example
 * ```ts
 * import { parseReleaseConfig } from "./release_config.ts";
 * // Default: Deno.env.get.
 * const env: Record<string, string> = {
 *   FLUXOPS_RELEASE_MODE: "canary",
 *   FLUXOPS_CANARY_WEIGHT: "0.1",
 * };
 * const config = parseReleaseConfig((name) => env[name], { productionAlias: "production" });
 * if (config.mode === "canary") console.log(`${config.weight * 100}% to ${config.candidateAlias}`);
 * ```
 */
export function parseReleaseConfig(
  env: (name: string) => string | undefined,
  { productionAlias = "production", fileMode = false }: ReleaseContext = {},
): ReleaseConfig {
  const get = (name: keyof typeof RELEASE_ENV): string | undefined => {
    const v = env(name)?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const modeText = get("FLUXOPS_RELEASE_MODE") ?? "off";
  if (modeText !== "off" && modeText !== "canary" && modeText !== "shadow") {
    throw new UsageError(
      `FLUXOPS_RELEASE_MODE: expected off, canary or shadow, got ${JSON.stringify(modeText)}`,
    );
  }
  const mode: ReleaseMode = modeText;

  const candidateAlias = get("FLUXOPS_CANDIDATE_ALIAS") ?? RELEASE_ENV.FLUXOPS_CANDIDATE_ALIAS;
  try {
    checkAlias(candidateAlias);
  } catch (err) {
    throw new UsageError(`FLUXOPS_CANDIDATE_ALIAS: ${(err as Error).message}`);
  }
  const candidateModel = get("FLUXOPS_CANDIDATE_MODEL");
  if (mode !== "off" && !candidateModel) {
    if (fileMode) {
      throw new UsageError(
        `FLUXOPS_CANDIDATE_MODEL: release mode ${mode} with a model file (FLUXOPS_MODEL) needs ` +
          "the candidate's model file too",
      );
    }
    if (candidateAlias === productionAlias) {
      throw new UsageError(
        `FLUXOPS_CANDIDATE_ALIAS: the candidate must follow another alias than production ` +
          `(${JSON.stringify(productionAlias)})`,
      );
    }
  }

  const weightText = get("FLUXOPS_CANARY_WEIGHT");
  if (mode === "canary" && weightText === undefined) {
    throw new UsageError(
      "FLUXOPS_CANARY_WEIGHT: canary mode needs the candidate's share of requests, a fraction " +
        "from 0 to 1 (0.1 for 10%)",
    );
  }
  const weight = weightText === undefined
    ? 0
    : fraction("FLUXOPS_CANARY_WEIGHT", weightText, "0.1 sends 10% of requests to the candidate");

  const stickyHeader = (get("FLUXOPS_STICKY_HEADER") ?? RELEASE_ENV.FLUXOPS_STICKY_HEADER)
    .toLowerCase();
  if (!HEADER_NAME.test(stickyHeader)) {
    throw new UsageError(
      `FLUXOPS_STICKY_HEADER: expected an HTTP header name, got ${JSON.stringify(stickyHeader)}`,
    );
  }

  const rollbackErrorRate = fraction(
    "FLUXOPS_ROLLBACK_ERROR_RATE",
    get("FLUXOPS_ROLLBACK_ERROR_RATE") ?? RELEASE_ENV.FLUXOPS_ROLLBACK_ERROR_RATE,
    "0.05 rolls the candidate back when over 5% of its requests fail; 1 never does",
  );
  const minText = get("FLUXOPS_ROLLBACK_MIN_REQUESTS") ??
    RELEASE_ENV.FLUXOPS_ROLLBACK_MIN_REQUESTS;
  if (!/^\d+$/.test(minText) || Number(minText) < 1 || !Number.isSafeInteger(Number(minText))) {
    throw new UsageError(
      `FLUXOPS_ROLLBACK_MIN_REQUESTS: expected a positive integer, got ${JSON.stringify(minText)}`,
    );
  }
  return {
    mode,
    candidateAlias,
    candidateModel,
    weight,
    stickyHeader,
    rollbackErrorRate,
    rollbackMinRequests: Number(minText),
  };
}
