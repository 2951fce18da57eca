/**
 * The prediction function's drift monitor: a rolling window of the rows the served model was
 * asked about, its PSI against the training histograms, and a structured event each time a
 * feature's status changes.
 *
 * - Window: the last `window` rows (default 1,000), whatever the request sizes. A new model
 *   (another checksum) starts a new, empty window.
 * - Events: statuses are re-evaluated once at least `checkEvery` rows (default a twentieth of
 *   the window) have arrived since the last evaluation, so the cost of the logarithms is spread
 *   over many rows and a feature can change status at most once per `checkEvery` rows. An event
 *   is emitted only when a feature's status differs from the one last announced (`ok` at the
 *   start), never per request.
 * - Minimum rows: nothing is announced before the window holds `minRows` rows (default 500, or
 *   the window size if smaller). On data drawn like the training data the PSI of n rows over
 *   10 bins is about (10 − 1) / n (it is then close to a chi-square statistic over n): 0.09 at
 *   100 rows, a false `warn`, but 0.018 at 500, with a standard deviation near 0.0085, far below
 *   0.1. `GET /api/drift` still answers before that, with `ready: false`.
 * - Scope: one process. Each instance of a scaled-out Function App keeps its own window.
 * @module
 */
import type { LoadedModel } from "../model/artifact.ts";
import { type DriftFigures, driftFigures, featurePsi } from "./figures.ts";
import { type DriftStatus, driftStatus } from "./psi.ts";
import { driftReference } from "./reference.ts";
import { DriftWindow } from "./window.ts";

/** Rows in the window unless configured (`FLUXOPS_DRIFT_WINDOW`). */
export const DEFAULT_DRIFT_WINDOW = 1000;

/** Fewest rows before statuses are announced, unless configured or the window is smaller. */
export const DEFAULT_DRIFT_MIN_ROWS = 500;

/** A feature changed status. Logged as one JSON line with `time` and `level` added. */
export interface DriftEvent {
  readonly msg: "drift";
  readonly feature: string;
  readonly psi: number;
  readonly status: DriftStatus;
  /** The status announced before (`ok` for a fresh window). */
  readonly previous: DriftStatus;
  readonly model_version: string;
  /** Rows in the window when the change was seen. */
  readonly window: number;
}

/** Options of {@link DriftMonitor}. */
export interface DriftMonitorOptions {
  /** Rows in the rolling window. Default 1,000. */
  readonly window?: number;
  /** Fewest rows in the window before any event. Default 500, or `window` if smaller. */
  readonly minRows?: number;
  /** Rows between evaluations of the statuses. Default `ceil(window / 20)`. */
  readonly checkEvery?: number;
  /** Receives status changes. Default: nothing. */
  readonly onEvent?: (event: DriftEvent) => void;
}

/** `GET /api/drift`: the figures of the current window and how far it has filled. */
export interface DriftSnapshot extends DriftFigures {
  readonly model_version: string;
  /** Most rows the window holds. */
  readonly capacity: number;
  /** Rows needed before statuses are announced. */
  readonly min_rows: number;
  /** Whether the window holds `min_rows` rows: figures before that are noisy. */
  readonly ready: boolean;
  /** Rows observed for this model since it was loaded. */
  readonly rows_seen: number;
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
  sinceCheck: number;
}

/** What the prediction handler needs of a drift monitor (a serving thread passes rows on). */
export type DriftWatch = Pick<DriftMonitor, "observe" | "snapshot">;

/**
 * Watches the rows a model is asked about and reports drift.
 *
 * @example
 * ```ts
 * const monitor = new DriftMonitor({ onEvent: (e) => console.log(JSON.stringify(e)) });
 * monitor.observe(model, rows.x, rows.nRows); // on every request, after parsing
 * monitor.snapshot(model); // { window, overall_psi, features: { f0: { psi, status } }, ... }
 * ```
 */
export class DriftMonitor {
  /** Rows in the rolling window. */
  readonly capacity: number;
  /** Rows needed before statuses are announced. */
  readonly minRows: number;
  /** Rows between evaluations. */
  readonly checkEvery: number;
  readonly #onEvent: (event: DriftEvent) => void;
  #tracked: Tracked | undefined;

  /** @throws {RangeError} for sizes that are not positive integers, or `minRows` over `window` */
  constructor(
    {
      window = DEFAULT_DRIFT_WINDOW,
      minRows = Math.min(DEFAULT_DRIFT_MIN_ROWS, window),
      checkEvery = Math.ceil(window / 20),
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
    try {
      window = new DriftWindow(
        driftReference(model.artifact.features, `model ${model.artifact.version}`),
        this.capacity,
      );
    } catch (err) {
      unsupported = err as Error;
    }
    this.#tracked = {
      model,
      window,
      unsupported,
      announced: model.featureNames.map(() => "ok"),
      sinceCheck: 0,
    };
    return this.#tracked;
  }

  /**
   * Adds `nRows` rows of row-major `x` (the model's feature order) to `model`'s window, and
   * announces status changes when an evaluation is due. O(features) per row; no allocation
   * except when the model changes.
   */
  observe(model: LoadedModel, x: Float64Array | Float32Array, nRows: number): void {
    const t = this.#track(model);
    if (t.window === undefined) return;
    t.window.add(x, nRows);
    t.sinceCheck += nRows;
    if (t.sinceCheck >= this.checkEvery) this.#evaluate(t);
  }

  /** Compares every feature's status with the one last announced, and announces changes. */
  #evaluate(t: Tracked): void {
    const w = t.window!;
    if (w.size < this.minRows) return;
    t.sinceCheck = 0;
    const ref = w.reference;
    for (let f = 0; f < ref.names.length; f++) {
      const value = featurePsi(ref, w.counts, w.size, f);
      const status = driftStatus(value);
      const previous = t.announced[f]!;
      if (status === previous) continue;
      t.announced[f] = status;
      this.#onEvent({
        msg: "drift",
        feature: ref.names[f]!,
        psi: value,
        status,
        previous,
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
    return {
      ...driftFigures(w.reference, w.counts, w.size),
      model_version: model.artifact.version,
      capacity: this.capacity,
      min_rows: this.minRows,
      ready: w.size >= this.minRows,
      rows_seen: w.total,
    };
  }
}

/** The level a drift event is logged at: `error` into alert, `warn` into warn, else `info`. */
export function driftEventLevel(event: DriftEvent): "info" | "warn" | "error" {
  return event.status === "alert" ? "error" : event.status === "warn" ? "warn" : "info";
}

/**
 * A drift event as one JSON log line: `time` and `level` first, as the request log has them.
 *
 * @example
 * ```ts
 * const monitor = new DriftMonitor({ onEvent: (e) => console.log(driftLogLine(e)) });
 * ```
 */
export function driftLogLine(event: DriftEvent, now: Date = new Date()): string {
  return JSON.stringify({ time: now.toISOString(), level: driftEventLevel(event), ...event });
}
