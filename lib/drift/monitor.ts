/**
 * The prediction function's drift monitor: a rolling window of the rows the served model was
 * asked about and of its predictions, their drift against the training data (the same binned
 * figures as `deno task drift`: PSI, Jensen-Shannon distance, chi-square p-value, Bonferroni-
 * corrected `drifted`, the data set's verdict), prediction drift, quality counters, and a
 * structured `drift` event each time a feature's status changes.
 *
 * - Window: the last `window` rows (default 1,000), whatever the request sizes. A new model
 *   (another checksum) starts a new, empty window.
 * - Decision: a feature drifted when its chi-square p-value is under α / features (α default
 *   {@link DEFAULT_ONLINE_ALPHA}); the data set when at least half of the features did.
 * - Events: statuses are re-evaluated once at least `checkEvery` rows (default a twentieth of
 *   the window) have arrived since the last evaluation. An event is emitted only when a
 *   feature's verdict (drifted or not) differs from the one last announced (not drifted at the
 *   start), never per request.
 * - Minimum rows: no status is announced before the window holds `minRows` rows (default
 *   {@link DEFAULT_DRIFT_MIN_ROWS}), the size at which drift-free traffic raised an alarm in
 *   fewer than 1% of windows in `bench/drift_false_alarms.ts` (see docs/benchmarks.md).
 *   `GET /api/drift` still answers before that, with `ready: false` and nothing drifted.
 * - Scope: one process. Each instance of a scaled-out Function App keeps its own window.
 * @module
 */
import type { LoadedModel } from "../model/artifact.ts";
import { chi2Critical, chi2Statistic } from "./binned_tests.ts";
import { type DriftFigures, driftFigures } from "./figures.ts";
import { type PredictionDrift, predictionDrift } from "./prediction.ts";
import type { DriftStatus } from "./psi.ts";
import {
  type FeatureQuality,
  featureQuality,
  noRefusals,
  refusalCause,
  type RefusalCounts,
} from "./quality.ts";
import { driftReference, trainRowsOf } from "./reference.ts";
import type { DriftSettings } from "./verdict.ts";
import { DriftWindow } from "./window.ts";

/** Rows in the window unless configured (`FLUXOPS_DRIFT_WINDOW`). */
export const DEFAULT_DRIFT_WINDOW = 1000;

/**
 * Fewest rows before statuses are announced, unless configured or the window is smaller:
 * chosen by `bench/drift_false_alarms.ts` (docs/benchmarks.md, "Drift: per-row cost and minimum
 * window").
 */
export const DEFAULT_DRIFT_MIN_ROWS = 100;

/** The function's α: a window of drift-free traffic alarms in fewer than 1% of windows. */
export const DEFAULT_ONLINE_ALPHA = 0.005;

/** A feature's verdict changed. Logged as one JSON line with `time` and `level` added. */
export interface DriftEvent {
  readonly msg: "drift";
  readonly feature: string;
  readonly status: DriftStatus;
  /** The status announced before (`ok` for a fresh window). */
  readonly previous: DriftStatus;
  /** Whether the feature drifted (its corrected chi-square test rejects). */
  readonly drifted: boolean;
  readonly chi2_p_value: number;
  readonly js_distance: number;
  readonly psi: number;
  /** The data set's verdict at the same moment. */
  readonly dataset_drift: boolean;
  readonly share_drifted: number;
  readonly model_version: string;
  /** Rows in the window when the change was seen. */
  readonly window: number;
}

/** Options of {@link DriftMonitor}. */
export interface DriftMonitorOptions {
  /** Rows in the rolling window. Default 1,000. */
  readonly window?: number;
  /** Fewest rows in the window before any event. Default 100, or `window` if smaller. */
  readonly minRows?: number;
  /** Rows between evaluations of the statuses. Default `ceil(window / 20)`. */
  readonly checkEvery?: number;
  /** Significance level of the features' family of tests. Default 0.005. */
  readonly alpha?: number;
  /** Receives status changes. Default: nothing. */
  readonly onEvent?: (event: DriftEvent) => void;
}

/** Quality counters of the window, and the requests refused since the model was loaded. */
export interface OnlineQuality {
  /** Per feature: values of the window outside the training range. */
  readonly features: Readonly<
    Record<string, Pick<FeatureQuality, "out_of_range" | "share_out_of_range">>
  >;
  /**
   * Rows refused (400) since the model was loaded, per cause: every row of a refused batch (a
   * batch is refused whole), or 1 for a request whose rows could not be counted (malformed JSON).
   */
  readonly refused: RefusalCounts;
}

/** `GET /api/drift`: the figures of the current window and how far it has filled. */
export interface DriftSnapshot extends DriftFigures {
  readonly model_version: string;
  /** Most rows the window holds. */
  readonly capacity: number;
  /** Rows needed before statuses are announced. */
  readonly min_rows: number;
  /** Whether the window holds `min_rows` rows: before that nothing is flagged. */
  readonly ready: boolean;
  /** Rows observed for this model since it was loaded. */
  readonly rows_seen: number;
  readonly prediction: PredictionDrift;
  readonly quality: OnlineQuality;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new RangeError(`drift monitor: ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

/** Per-model state: the window and the statuses last announced. */
interface Tracked {
  readonly model: LoadedModel;
  readonly window: DriftWindow | undefined;
  /** Why this model cannot be monitored (no training histograms). */
  readonly unsupported: Error | undefined;
  readonly announced: DriftStatus[];
  readonly refused: RefusalCounts;
  sinceCheck: number;
}

/** What the prediction handler needs of a drift monitor (a serving thread passes rows on). */
export type DriftWatch = Pick<DriftMonitor, "observe" | "snapshot" | "refuse">;

/**
 * Watches the rows a model is asked about and reports drift.
 *
 * @example
 * ```ts
 * import { seedWorkload } from "../data/make_classification.ts";
 * import { predictClass } from "../forest/predict.ts";
 * import { parseModel, serializeModel } from "../model/artifact.ts";
 * import { trainModel } from "../training/train_model.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const model = parseModel(serializeModel(artifact));
 * import { DriftMonitor } from "./monitor.ts";
 * const rows = seedWorkload();
 * const predicted = predictClass(model.forest, rows.x, rows.nRows);
 * const monitor = new DriftMonitor({ onEvent: (e) => console.log(JSON.stringify(e)) });
 * monitor.observe(model, rows.x, rows.nRows, predicted); // on every request, after scoring
 * monitor.snapshot(model); // { window, dataset_drift, features: { f0: { psi, ... } }, ... }
 * ```
 */
export class DriftMonitor {
  /** Rows in the rolling window. */
  readonly capacity: number;
  /** Rows needed before statuses are announced. */
  readonly minRows: number;
  /** Rows between evaluations. */
  readonly checkEvery: number;
  /** How drift is decided. */
  readonly settings: DriftSettings;
  readonly #onEvent: (event: DriftEvent) => void;
  #tracked: Tracked | undefined;

  /** @throws {RangeError} for sizes that are not positive integers, or `minRows` over `window` */
  constructor(
    {
      window = DEFAULT_DRIFT_WINDOW,
      minRows = Math.min(DEFAULT_DRIFT_MIN_ROWS, window),
      checkEvery = Math.ceil(window / 20),
      alpha = DEFAULT_ONLINE_ALPHA,
      onEvent = () => {},
    }: DriftMonitorOptions = {},
  ) {
    this.capacity = positiveInt("window", window);
    this.minRows = positiveInt("minRows", minRows);
    this.checkEvery = positiveInt("checkEvery", checkEvery);
    if (minRows > window) {
      throw new RangeError(
        `drift monitor: minRows (${minRows}) cannot exceed the window (${window} rows)`,
      );
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw new RangeError(`drift monitor: alpha must be between 0 and 1, got ${alpha}`);
    }
    this.settings = { alpha, correction: "bonferroni", share: 0.5 };
    this.#onEvent = onEvent;
  }

  /** The state of `model`, starting afresh when it is not the model seen last. */
  #track(model: LoadedModel): Tracked {
    const t = this.#tracked;
    if (t !== undefined && t.model === model) return t;
    // Another object with the same checksum (a reload of the same file) keeps the window.
    if (t !== undefined && t.model.artifact.sha256 === model.artifact.sha256) {
      this.#tracked = { ...t, model };
      return this.#tracked;
    }
    let window: DriftWindow | undefined;
    let unsupported: Error | undefined;
    const a = model.artifact;
    try {
      window = new DriftWindow(
        driftReference(a.features, `model ${a.version}`, trainRowsOf(a.metrics)),
        this.capacity,
        a.classes.length,
      );
    } catch (err) {
      unsupported = err as Error;
    }
    this.#tracked = {
      model,
      window,
      unsupported,
      announced: model.featureNames.map(() => "ok"),
      refused: noRefusals(),
      sinceCheck: 0,
    };
    return this.#tracked;
  }

  /**
   * Adds `nRows` rows of row-major `x` (the model's feature order), and the class indices the
   * model predicted for them when given, to `model`'s window, and announces status changes
   * when an evaluation is due. O(features) per row; no allocation except when the model
   * changes.
   */
  observe(
    model: LoadedModel,
    x: Float64Array | Float32Array,
    nRows: number,
    predicted?: ArrayLike<number>,
  ): void {
    const t = this.#track(model);
    if (t.window === undefined) return;
    t.window.add(x, nRows, predicted);
    t.sinceCheck += nRows;
    if (t.sinceCheck >= this.checkEvery) this.#evaluate(t);
  }

  /**
   * Counts the rows of a request refused as invalid input (`count`: all its rows where the parser
   * counted them, else 1 for the request), by the cause its `message` names.
   */
  refuse(model: LoadedModel, message: string, count = 1): void {
    const t = this.#track(model);
    t.refused[refusalCause(message)] += count;
  }

  /** Adds refusal counts gathered elsewhere (a serving thread). */
  addRefusals(model: LoadedModel, counts: Partial<RefusalCounts>): void {
    const t = this.#track(model);
    for (const [cause, n] of Object.entries(counts) as [keyof RefusalCounts, number][]) {
      t.refused[cause] += n;
    }
  }

  #figures(t: Tracked): DriftFigures {
    const w = t.window!;
    const figures = driftFigures(w.reference, w.counts, w.size, this.settings);
    if (w.size >= this.minRows) return figures;
    // Too few rows: the figures are shown, nothing is flagged.
    return {
      ...figures,
      status: "ok",
      share_drifted: 0,
      dataset_drift: false,
      features: Object.fromEntries(
        Object.entries(figures.features).map((
          [n, f],
        ) => [n, { ...f, drifted: false, status: "ok" as const }]),
      ),
    };
  }

  /**
   * Compares every feature's verdict with the one last announced, and announces changes. The
   * common case, no change, costs one chi-square statistic per feature against a cached
   * critical value (no logarithm, no incomplete gamma): the figures are computed only for an
   * event.
   */
  #evaluate(t: Tracked): void {
    const w = t.window!;
    if (w.size < this.minRows) return;
    t.sinceCheck = 0;
    const ref = w.reference;
    const names = ref.names;
    const level = this.settings.alpha / names.length;
    let changed = false;
    for (let f = 0; f < names.length && !changed; f++) {
      const { statistic, dof } = chi2Statistic(ref, w.counts, w.size, f);
      const drifted = dof >= 1 && statistic > chi2Critical(dof, level);
      changed = drifted !== (t.announced[f] === "alert");
    }
    if (!changed) return;
    const figures = this.#figures(t);
    for (let f = 0; f < names.length; f++) {
      const fig = figures.features[names[f]!]!;
      const previous = t.announced[f]!;
      // Only a change of verdict is news: `warn` (significant before the correction) comes and
      // goes with the noise of every window, so it is shown but never announced on its own.
      if (fig.drifted === (previous === "alert")) continue;
      t.announced[f] = fig.status;
      this.#onEvent({
        msg: "drift",
        feature: names[f]!,
        status: fig.status,
        previous,
        drifted: fig.drifted,
        chi2_p_value: fig.chi2_p_value,
        js_distance: fig.js_distance,
        psi: fig.psi,
        dataset_drift: figures.dataset_drift,
        share_drifted: figures.share_drifted,
        model_version: t.model.artifact.version,
        window: w.size,
      });
    }
  }

  /**
   * The drift figures of `model`'s window (an empty one if `model` is new). Announces any
   * status change it finds, so an event is never later than the figures that show it.
   *
   * @throws {Error} (an `InvalidModel`) when the model has no training histograms
   */
  snapshot(model: LoadedModel): DriftSnapshot {
    const t = this.#track(model);
    if (t.window === undefined) throw t.unsupported!;
    const w = t.window;
    this.#evaluate(t);
    const a = model.artifact;
    const n = w.size;
    return {
      ...this.#figures(t),
      model_version: a.version,
      capacity: this.capacity,
      min_rows: this.minRows,
      ready: n >= this.minRows,
      rows_seen: w.total,
      prediction: predictionDrift(
        a.classes,
        a.class_frequencies,
        w.predicted,
        this.settings.alpha,
        w.reference.trainRows,
      ),
      quality: {
        features: Object.fromEntries(w.reference.names.map((name, f) => {
          const q = featureQuality(w.outOfRange[f]!, 0, 0, n);
          return [name, { out_of_range: q.out_of_range, share_out_of_range: q.share_out_of_range }];
        })),
        refused: { ...t.refused },
      },
    };
  }
}

/** The level a drift event is logged at: `error` when drifted, `warn` into warn, else `info`. */
export function driftEventLevel(event: DriftEvent): "info" | "warn" | "error" {
  return event.status === "alert" ? "error" : event.status === "warn" ? "warn" : "info";
}

/**
 * A drift event as one JSON log line: `time` and `level` first, as the request log has them.
 *
 * @example
 * ```ts
 * import { DriftMonitor, driftLogLine } from "./monitor.ts";
 * const monitor = new DriftMonitor({ onEvent: (e) => console.log(driftLogLine(e)) });
 * ```
 */
export function driftLogLine(event: DriftEvent, now: Date = new Date()): string {
  return JSON.stringify({ time: now.toISOString(), level: driftEventLevel(event), ...event });
}
