/**
 * Canary and shadow releases: a candidate model served beside production.
 *
 * - **Canary**: a sticky share of requests is answered by the candidate. The key (a request
 *   header's value, else the request id) is hashed into one of 10,000 buckets (see
 *   `sticky_bucket.ts`), so the same key always gets the same version.
 * - **Shadow**: production answers every request; the candidate scores the same input afterwards,
 *   off the response's path and bounded, and the predicted labels are compared.
 *
 * A candidate **error** is a request the candidate failed where production would not have: a 5xx
 * (an unexpected exception), or a refusal of input that production accepts (e.g. a feature-count
 * mismatch). In canary mode such a request is answered by production instead, so the client never
 * sees the candidate's failure; a request that both refuse is the client's error, not the
 * candidate's. When the candidate's error rate goes over the threshold after the minimum number of
 * requests, it is **rolled back in this process**: no more traffic or shadow scoring until the
 * candidate moves to another version. The registry alias is left alone (the function reads the
 * store, it does not write it); the structured log line `candidate_rolled_back` is the signal to
 * move it.
 * @module
 */
import { describeError, FluxError } from "../../lib/errors.ts";
import type { Label } from "../../lib/data/dataset.ts";
import { statusOf } from "./http_error.ts";
import type { ModelHolder, ServedModel } from "./model_holder.ts";
import type { ReleaseConfig, ReleaseMode } from "./release_config.ts";
import { bucketsFor, inShare } from "./sticky_bucket.ts";

/** Which side of a release a model is on. */
export type Role = "production" | "candidate";

/** What scoring a request with one model gives: the model and each row's predicted class. */
export interface Scored {
  readonly served: ServedModel;
  /** Predicted class per row, as an index into `served`'s classes. */
  readonly predicted: Int32Array;
}

/** Scores one request's input with a model; throws a FluxError when the input does not fit it. */
export type Scorer<S extends Scored> = (served: ServedModel) => S;

/** Requests and errors of one version in one role. */
export interface VersionCounts {
  readonly version: string;
  readonly role: Role;
  /** Requests it scored (answered, or scored in shadow). */
  requests: number;
  /** Of those, the ones it failed (see the module's definition of an error). */
  errors: number;
}

/** Shadow scoring of the current candidate. */
export interface ShadowReport {
  /** Rows scored by both models. */
  readonly compared: number;
  /** Rows where both predicted the same label. */
  readonly agreed: number;
  /** `agreed / compared`, or null before any row was compared. */
  readonly agreement_rate: number | null;
  /** Requests not shadow-scored because too many were already waiting. */
  readonly skipped: number;
}

/** Why and when the candidate was rolled back. */
export interface RollbackEvent {
  readonly candidate_version: string;
  readonly error_rate: number;
  readonly requests: number;
  readonly errors: number;
  readonly at: string;
  readonly reason: string;
}

/** The `release` section of `/api/model-info`. */
export interface ReleaseReport {
  readonly mode: ReleaseMode;
  /** Configured share of requests the candidate answers (canary mode). */
  readonly weight: number;
  readonly sticky_header: string;
  /** The alias the candidate follows, or null when it is a model file. */
  readonly candidate_alias: string | null;
  readonly candidate_version: string | null;
  readonly production_version: string | null;
  /** Counters per version and role, oldest first (a bounded history). */
  readonly versions: readonly VersionCounts[];
  /** Present in shadow mode. */
  readonly shadow: ShadowReport | null;
  readonly rollback: { readonly error_rate: number; readonly min_requests: number };
  readonly rolled_back: boolean;
  readonly rolled_back_reason: string | null;
  readonly rolled_back_at: string | null;
  /** The candidate's last failure, for diagnosis. */
  readonly candidate_last_error: string | null;
}

/** The candidate as `/api/health` reports it. */
export interface CandidateHealth {
  readonly mode: ReleaseMode;
  readonly alias: string | null;
  readonly model_version: string | null;
  readonly last_load_error: string | null;
  readonly rolled_back: boolean;
}

/** Structured log lines, as the rest of the function writes them. */
export type ReleaseLog = (
  level: "info" | "warn" | "error",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of {@link Release}. */
export interface ReleaseOptions {
  readonly config: ReleaseConfig;
  /** Where production lives (for reports; each request passes the model it checked). */
  readonly production: ModelHolder;
  /** Where the candidate lives; while it holds no model, production answers everything. */
  readonly candidate: ModelHolder;
  readonly log?: ReleaseLog;
  /** Most shadow scorings waiting at once; more are skipped and counted (default 64). */
  readonly maxPendingShadow?: number;
  /**
   * Whether this instance decides rollbacks (default true). A serving thread's instance does
   * not: it sends its counts to the main thread's ({@link takeCounts}, {@link addCounts}),
   * which judges the sum and tells every thread ({@link rollBack}).
   */
  readonly judge?: boolean;
  /** Called once per rollback this instance decides. */
  readonly onRollback?: (event: RollbackEvent) => void;
  /**
   * Called after each candidate error is counted (a serving thread sends its counts at once,
   * so the main thread can judge without waiting for the next batch).
   */
  readonly onCandidateError?: () => void;
}

/** Counts gathered by one instance since it was last asked, for another to add up. */
export interface ReleaseCounts {
  /** Requests and errors per role and version, since the last call. */
  readonly versions: readonly VersionCounts[];
  /** The candidate version the shadow figures are about, if any. */
  readonly candidate_version: string | null;
  readonly compared: number;
  readonly agreed: number;
  readonly skipped: number;
  /** The candidate's last failure seen since the last call. */
  readonly last_error: string | null;
}

/** Versions kept in the counters' history. */
const MAX_COUNTED = 8;

function isClientError(err: unknown): boolean {
  return err instanceof FluxError && statusOf(err.code) < 500;
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Routes requests between production and a candidate, counts, compares and rolls back. */
export class Release {
  readonly #config: ReleaseConfig;
  readonly #production: ModelHolder;
  readonly #candidate: ModelHolder;
  readonly #log: ReleaseLog;
  readonly #maxPending: number;
  readonly #buckets: number;
  readonly #counted = new Map<string, VersionCounts>();
  #prodServed: ServedModel | undefined;
  #prodCounts: VersionCounts | undefined;
  #candidateVersion: string | undefined;
  #candidateCounts: VersionCounts | undefined;
  #rolledBack: RollbackEvent | undefined;
  #lastError: string | null = null;
  #compared = 0;
  #agreed = 0;
  #skipped = 0;
  #pending = 0;
  #idle: (() => void)[] = [];
  readonly #judges: boolean;
  readonly #onRollback: (event: RollbackEvent) => void;
  readonly #onCandidateError: () => void;
  /** What {@link takeCounts} last reported, per counter key; and of the shadow figures. */
  readonly #sent = new Map<string, { requests: number; errors: number }>();
  #sentShadow = { compared: 0, agreed: 0, skipped: 0 };
  #lastErrorSent: string | null = null;

  constructor(options: ReleaseOptions) {
    this.#config = options.config;
    this.#production = options.production;
    this.#candidate = options.candidate;
    this.#log = options.log ?? (() => {});
    this.#maxPending = options.maxPendingShadow ?? 64;
    this.#buckets = options.config.mode === "canary" ? bucketsFor(options.config.weight) : 0;
    this.#judges = options.judge ?? true;
    this.#onRollback = options.onRollback ?? (() => {});
    this.#onCandidateError = options.onCandidateError ?? (() => {});
  }

  /** The counts gathered since the last call (all of them at the first call). */
  takeCounts(): ReleaseCounts {
    this.#active();
    const versions: VersionCounts[] = [];
    for (const [key, c] of this.#counted) {
      const sent = this.#sent.get(key) ?? { requests: 0, errors: 0 };
      if (c.requests === sent.requests && c.errors === sent.errors) continue;
      versions.push({
        version: c.version,
        role: c.role,
        requests: c.requests - sent.requests,
        errors: c.errors - sent.errors,
      });
      this.#sent.set(key, { requests: c.requests, errors: c.errors });
    }
    for (const key of this.#sent.keys()) if (!this.#counted.has(key)) this.#sent.delete(key);
    const s = this.#sentShadow;
    const out: ReleaseCounts = {
      versions,
      candidate_version: this.#candidateVersion ?? null,
      compared: this.#compared - s.compared,
      agreed: this.#agreed - s.agreed,
      skipped: this.#skipped - s.skipped,
      last_error: this.#lastError !== this.#lastErrorSent ? this.#lastError : null,
    };
    this.#sentShadow = { compared: this.#compared, agreed: this.#agreed, skipped: this.#skipped };
    this.#lastErrorSent = this.#lastError;
    return out;
  }

  /**
   * Adds another instance's counts (see {@link takeCounts}) to this one's, and rolls the
   * candidate back if the sum calls for it. Counts of a candidate version other than the
   * current one only go to the history.
   */
  addCounts(counts: ReleaseCounts): void {
    this.#active();
    for (const v of counts.versions) {
      const c = v.role === "candidate" && v.version === this.#candidateVersion
        ? this.#candidateCounts!
        : this.#counts(v.role, v.version);
      c.requests += v.requests;
      c.errors += v.errors;
    }
    if (counts.candidate_version !== null && counts.candidate_version === this.#candidateVersion) {
      this.#compared += counts.compared;
      this.#agreed += counts.agreed;
      this.#skipped += counts.skipped;
      if (counts.last_error !== null) this.#lastError = counts.last_error;
    }
    if (this.#candidateCounts) this.#judge(this.#candidateCounts);
  }

  /**
   * Rolls the candidate back as another instance decided (`event`), if it is still the
   * candidate here and not rolled back already. Logs nothing: the decider did.
   */
  rollBack(event: RollbackEvent): void {
    this.#active();
    if (event.candidate_version === this.#candidateVersion && this.#rolledBack === undefined) {
      this.#rolledBack = event;
    }
  }

  /** The header whose value keeps a subject on one version. */
  get stickyHeader(): string {
    return this.#config.stickyHeader;
  }

  /** The mode configured. */
  get mode(): ReleaseMode {
    return this.#config.mode;
  }

  /** The candidate model if it is `version` (for requests naming a version explicitly). */
  candidateOfVersion(version: string): ServedModel | undefined {
    const c = this.#candidate.served;
    return c?.model.artifact.version === version ? c : undefined;
  }

  /**
   * Scores a request: with the candidate when `key` falls in the canary's share (production
   * answers instead if the candidate fails), else with `production`, then in shadow mode queues
   * the candidate's scoring of the same input. Throws what production throws.
   *
   * @example
   * ```ts
   * import { predictClass } from "../../lib/forest/predict.ts";
   * import { parseModel, serializeModel } from "../../lib/model/artifact.ts";
   * import { trainModel } from "../../lib/training/train_model.ts";
   * import { ModelHolder } from "./model_holder.ts";
   * import { Release } from "./release.ts";
   * import { parseReleaseConfig } from "./release_config.ts";
   * const holding = async (seed: number) => {
   *   const { artifact } = await trainModel({ params: { n_estimators: 5, seed }, workers: 0 });
   *   const holder = new ModelHolder();
   *   holder.set(parseModel(serializeModel(artifact)));
   *   return holder;
   * };
   * const [production, candidate] = [await holding(1), await holding(2)];
   * const env: Record<string, string> = {
   *   FLUXOPS_RELEASE_MODE: "canary",
   *   FLUXOPS_CANARY_WEIGHT: "0.1",
   * };
   * const config = parseReleaseConfig((n) => env[n]);
   * const release = new Release({ config, production, candidate });
   * const headers = { "x-fluxops-subject": "u42" };
   * const req = new Request("http://localhost/api/predict", { headers });
   * const [x, nRows] = [new Float64Array(10), 1];
   * const out = release.score(req.headers.get(release.stickyHeader) || crypto.randomUUID(),
   *   production.served!,
   *   (served) => ({ served, predicted: predictClass(served.model.forest, x, nRows) }));
   * out.served.model.artifact.version; // the candidate's for 10% of subjects, else production's
   * ```
   */
  score<S extends Scored>(key: string, production: ServedModel, scorer: Scorer<S>): S {
    const candidate = this.#active();
    if (candidate === undefined) return this.#scoreProduction(production, scorer);
    if (this.#config.mode === "canary") {
      return inShare(key, this.#buckets)
        ? this.#scoreCanary(candidate, production, scorer)
        : this.#scoreProduction(production, scorer);
    }
    const out = this.#scoreProduction(production, scorer);
    if (this.#config.mode === "shadow") this.#queueShadow(candidate, out, scorer);
    return out;
  }

  /** Resolves when no shadow scoring is waiting or running. */
  settled(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The `release` section of `/api/model-info`. */
  report(): ReleaseReport {
    const candidate = this.#candidate.served;
    this.#active();
    const rb = this.#rolledBack;
    return {
      mode: this.#config.mode,
      weight: this.#config.weight,
      sticky_header: this.#config.stickyHeader,
      candidate_alias: this.#config.candidateModel ? null : this.#config.candidateAlias,
      candidate_version: candidate?.model.artifact.version ?? null,
      production_version: this.#production.served?.model.artifact.version ?? null,
      versions: [...this.#counted.values()].map((c) => ({ ...c })),
      shadow: this.#config.mode === "shadow"
        ? {
          compared: this.#compared,
          agreed: this.#agreed,
          agreement_rate: this.#compared === 0 ? null : round(this.#agreed / this.#compared, 6),
          skipped: this.#skipped,
        }
        : null,
      rollback: {
        error_rate: this.#config.rollbackErrorRate,
        min_requests: this.#config.rollbackMinRequests,
      },
      rolled_back: rb !== undefined,
      rolled_back_reason: rb?.reason ?? null,
      rolled_back_at: rb?.at ?? null,
      candidate_last_error: this.#lastError,
    };
  }

  /** The candidate as `/api/health` reports it. */
  health(): CandidateHealth {
    this.#active();
    return {
      mode: this.#config.mode,
      alias: this.#config.candidateModel ? null : this.#config.candidateAlias,
      model_version: this.#candidate.served?.model.artifact.version ?? null,
      last_load_error: this.#candidate.state().lastError ?? null,
      rolled_back: this.#rolledBack !== undefined,
    };
  }

  /** The candidate to route to, or undefined (none loaded, or rolled back). */
  #active(): ServedModel | undefined {
    const c = this.#candidate.served;
    if (c === undefined) return undefined;
    const version = c.model.artifact.version;
    if (version !== this.#candidateVersion) this.#switchTo(version);
    return this.#rolledBack ? undefined : c;
  }

  /** A new candidate version: a clean slate, whatever happened to the one before. */
  #switchTo(version: string): void {
    const before = this.#candidateVersion;
    this.#candidateVersion = version;
    this.#counted.delete(`candidate ${version}`);
    this.#sent.delete(`candidate ${version}`);
    this.#candidateCounts = this.#counts("candidate", version);
    this.#compared = 0;
    this.#agreed = 0;
    this.#skipped = 0;
    this.#lastError = null;
    this.#sentShadow = { compared: 0, agreed: 0, skipped: 0 };
    this.#lastErrorSent = null;
    const wasRolledBack = this.#rolledBack !== undefined;
    this.#rolledBack = undefined;
    if (before === undefined) return; // the loader logged the first one
    this.#log("info", "candidate_changed", {
      candidate_version: version,
      previous_version: before,
      mode: this.#config.mode,
      ...(wasRolledBack ? { resumed_after_rollback: true } : {}),
    });
  }

  #counts(role: Role, version: string): VersionCounts {
    const key = `${role} ${version}`;
    let c = this.#counted.get(key);
    if (c === undefined) {
      c = { version, role, requests: 0, errors: 0 };
      this.#counted.set(key, c);
      if (this.#counted.size > MAX_COUNTED) {
        for (const [k, v] of this.#counted) {
          if (v !== c && v !== this.#prodCounts && v !== this.#candidateCounts) {
            this.#counted.delete(k);
            break;
          }
        }
      }
    }
    return c;
  }

  #scoreProduction<S extends Scored>(production: ServedModel, scorer: Scorer<S>): S {
    if (production !== this.#prodServed) {
      this.#prodServed = production;
      this.#prodCounts = this.#counts("production", production.model.artifact.version);
    }
    const counts = this.#prodCounts!;
    counts.requests++;
    try {
      return scorer(production);
    } catch (err) {
      if (!isClientError(err)) counts.errors++;
      throw err;
    }
  }

  #scoreCanary<S extends Scored>(
    candidate: ServedModel,
    production: ServedModel,
    scorer: Scorer<S>,
  ): S {
    const counts = this.#candidateCounts!;
    counts.requests++;
    try {
      return scorer(candidate);
    } catch (err) {
      let fallback: S;
      try {
        fallback = this.#scoreProduction(production, scorer);
      } catch (prodErr) {
        // Production refuses it too: the client's error, unless the candidate crashed.
        if (!isClientError(err)) this.#failed(counts, err);
        throw prodErr;
      }
      this.#failed(counts, err);
      return fallback;
    } finally {
      this.#judge(counts);
    }
  }

  #failed(counts: VersionCounts, err: unknown): void {
    counts.errors++;
    this.#lastError = describeError(err);
    this.#onCandidateError();
  }

  #queueShadow<S extends Scored>(candidate: ServedModel, out: S, scorer: Scorer<S>): void {
    if (this.#pending >= this.#maxPending) {
      this.#skipped++;
      return;
    }
    this.#pending++;
    // After the response is built, in a later task, so the client does not wait for it.
    setTimeout(() => {
      try {
        this.#runShadow(candidate, out, scorer);
      } finally {
        if (--this.#pending === 0) { for (const wake of this.#idle.splice(0)) wake(); }
      }
    }, 0);
  }

  #runShadow<S extends Scored>(candidate: ServedModel, out: S, scorer: Scorer<S>): void {
    if (this.#active() !== candidate) return; // rolled back or replaced meanwhile
    const counts = this.#candidateCounts!;
    counts.requests++;
    let shadow: S;
    try {
      shadow = scorer(candidate);
      if (shadow.predicted.length !== out.predicted.length) {
        throw new Error(
          `shadow: the candidate scored ${shadow.predicted.length} rows, production ${out.predicted.length}`,
        );
      }
    } catch (err) {
      this.#failed(counts, err);
      this.#judge(counts);
      return;
    }
    const a: readonly Label[] = out.served.model.artifact.classes;
    const b: readonly Label[] = candidate.model.artifact.classes;
    let agreed = 0;
    for (let i = 0; i < out.predicted.length; i++) {
      if (a[out.predicted[i]!] === b[shadow.predicted[i]!]) agreed++;
    }
    this.#compared += out.predicted.length;
    this.#agreed += agreed;
    this.#judge(counts);
  }

  /** Rolls the candidate back when its error rate is over the threshold. */
  #judge(counts: VersionCounts): void {
    const { rollbackErrorRate, rollbackMinRequests } = this.#config;
    if (
      !this.#judges || this.#rolledBack !== undefined || counts !== this.#candidateCounts ||
      counts.requests < rollbackMinRequests
    ) return;
    const rate = counts.errors / counts.requests;
    if (rate <= rollbackErrorRate) return;
    const event: RollbackEvent = {
      candidate_version: counts.version,
      error_rate: round(rate),
      requests: counts.requests,
      errors: counts.errors,
      at: new Date().toISOString(),
      reason: `error rate ${round(rate)} over ${counts.requests} requests is above ` +
        `${rollbackErrorRate}${this.#lastError ? `; last error: ${this.#lastError}` : ""}`,
    };
    this.#rolledBack = event;
    this.#log("error", "candidate_rolled_back", {
      candidate_version: event.candidate_version,
      error_rate: event.error_rate,
      requests: event.requests,
      errors: event.errors,
      threshold: rollbackErrorRate,
      min_requests: rollbackMinRequests,
      mode: this.#config.mode,
      candidate_alias: this.#config.candidateModel ? null : this.#config.candidateAlias,
      last_error: this.#lastError,
    });
    this.#onRollback(event);
  }
}
