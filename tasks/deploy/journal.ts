/**
 * The deploy journal: what a deploy has done so far, kept in the environment itself (a blob in
 * the `deployments` container, beside the package releases), so that a deploy killed halfway
 * (a cancelled or timed-out CI job, a lost runner) can be run again and converge:
 *
 * - a retried deploy with the same request resumes: it reuses the model version and the package
 *   release the interrupted one had published and uploaded, instead of making new ones;
 * - whatever the request, the rollback targets stay what the environment ran *before* the first
 *   unfinished deploy changed anything, never the half-deployed state it left.
 *
 * A journal is closed when its deploy ends: deployed, or failed and fully rolled back.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";
import { canonicalJson, sha256Hex } from "../../lib/model/canonical.ts";

/** The journal's format tag. */
export const JOURNAL_FORMAT = "fluxops.deploy-journal/v1";

/** The journal blob of `alias` in the `deployments` container. */
export function journalBlob(alias: string): string {
  return `journal/${alias}.json`;
}

/** What ran before a deploy changed anything. */
export interface Before {
  /** The version the alias named, or null when it was not set. */
  readonly alias_version: string | null;
  /** The app's package setting, or null when it had none. */
  readonly package: string | null;
}

/** The journal of one deploy. */
export interface DeployJournal {
  readonly format: typeof JOURNAL_FORMAT;
  /** {@link requestKey} of the deploy's request. */
  readonly request: string;
  readonly started_at: string;
  /** False once the deploy ended (deployed, or failed and fully rolled back). */
  readonly open: boolean;
  readonly before: Before;
  /** The model version it published (or found published with the same bytes). */
  readonly model_version?: string;
  /** The package release it uploaded. */
  readonly release?: { readonly blob: string; readonly sha256: string };
}

/** What identifies a deploy's request: two runs with the same key are the same deploy. */
export interface Request {
  readonly env: string;
  readonly alias: string;
  /** SHA-256 of the given model.json (--model), or null. */
  readonly model: string | null;
  readonly skipTrain: boolean;
  readonly trainerArgs: readonly string[];
  /** The CI pipeline (a retried job keeps it; a new pipeline is a new deploy), or null. */
  readonly pipeline: string | null;
}

/** A short stable key of a request. */
export function requestKey(request: Request): string {
  return sha256Hex(canonicalJson({ ...request, trainerArgs: [...request.trainerArgs] }))
    .slice(0, 32);
}

/**
 * Parses a journal blob.
 * @throws {InvalidInput} naming what is wrong.
 */
export function parseJournal(text: string, source: string): DeployJournal {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidInput(`${source}: not valid JSON`);
  }
  const j = raw as Partial<DeployJournal> | null;
  const nullableString = (v: unknown) => v === null || typeof v === "string";
  if (
    !j || typeof j !== "object" || j.format !== JOURNAL_FORMAT ||
    typeof j.request !== "string" || typeof j.started_at !== "string" ||
    typeof j.open !== "boolean" || !j.before || !nullableString(j.before.alias_version) ||
    !nullableString(j.before.package) ||
    (j.model_version !== undefined && typeof j.model_version !== "string") ||
    (j.release !== undefined &&
      (typeof j.release?.blob !== "string" || typeof j.release?.sha256 !== "string"))
  ) {
    throw new InvalidInput(`${source}: not a ${JOURNAL_FORMAT} journal`);
  }
  return j as DeployJournal;
}

/** How a deploy starts against the journal it found. */
export interface Start {
  readonly journal: DeployJournal;
  /** The found journal is resumed: its model and release may be reused. */
  readonly resumed: boolean;
  /** An unfinished deploy of another request was found: its `before` is kept. */
  readonly superseded: DeployJournal | undefined;
}

/**
 * Starts a deploy: resumes `found` when it is open and has the same request (and `fresh` is not
 * asked), else starts a new journal whose `before` is `found`'s when that one is unfinished, or
 * `current` (what runs now) otherwise.
 */
export function startJournal(
  found: DeployJournal | undefined,
  { request, current, fresh = false, now = new Date() }: {
    request: string;
    current: Before;
    fresh?: boolean;
    now?: Date;
  },
): Start {
  if (found?.open && found.request === request && !fresh) {
    return { journal: found, resumed: true, superseded: undefined };
  }
  const open = found?.open ? found : undefined;
  return {
    journal: {
      format: JOURNAL_FORMAT,
      request,
      started_at: now.toISOString(),
      open: true,
      before: open ? open.before : current,
    },
    resumed: false,
    superseded: open,
  };
}
