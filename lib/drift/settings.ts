/**
 * The drift monitor as the function's settings configure it: `FLUXOPS_DRIFT_WINDOW` (rows in
 * the window, default 1,000; 0 turns monitoring off), `FLUXOPS_DRIFT_MIN_ROWS` (rows before
 * any status change is announced, default 100 or the window if smaller) and
 * `FLUXOPS_DRIFT_ALPHA` (significance level of the features' tests, default 0.005).
 * @module
 */
import { UsageError } from "../errors.ts";
import {
  DEFAULT_DRIFT_MIN_ROWS,
  DEFAULT_DRIFT_WINDOW,
  DEFAULT_ONLINE_ALPHA,
  type DriftEvent,
  DriftMonitor,
} from "./monitor.ts";

function intSetting(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === "") return fallback;
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${name}: expected a whole number of rows, got "${text}"`);
  }
  return Number(text);
}

/**
 * Builds the monitor from settings read with `env`, or `null` when `FLUXOPS_DRIFT_WINDOW` is 0.
 *
 * @throws {UsageError} naming the setting when a value is not a whole number, or the minimum
 *   is 0 or over the window
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { driftMonitorFromEnv } from "./settings.ts";
 * const env: Record<string, string> = { FLUXOPS_DRIFT_WINDOW: "500" }; // or Deno.env.get
 * const drift = driftMonitorFromEnv((name) => env[name], (e) => console.log(e));
 * assert.equal(drift?.capacity, 500);
 * ```
 */
export function driftMonitorFromEnv(
  env: (name: string) => string | undefined,
  onEvent: (event: DriftEvent) => void,
): DriftMonitor | null {
  const window = intSetting(
    "FLUXOPS_DRIFT_WINDOW",
    env("FLUXOPS_DRIFT_WINDOW"),
    DEFAULT_DRIFT_WINDOW,
  );
  if (window === 0) return null;
  const minRows = intSetting(
    "FLUXOPS_DRIFT_MIN_ROWS",
    env("FLUXOPS_DRIFT_MIN_ROWS"),
    Math.min(DEFAULT_DRIFT_MIN_ROWS, window),
  );
  if (minRows < 1 || minRows > window) {
    throw new UsageError(
      `FLUXOPS_DRIFT_MIN_ROWS: expected 1 to ${window} (FLUXOPS_DRIFT_WINDOW), got ${minRows}`,
    );
  }
  const alphaText = env("FLUXOPS_DRIFT_ALPHA");
  let alpha = DEFAULT_ONLINE_ALPHA;
  if (alphaText !== undefined && alphaText.trim() !== "") {
    alpha = Number(alphaText);
    if (!/^\s*[0-9.eE+-]+\s*$/.test(alphaText) || !(alpha > 0 && alpha < 1)) {
      throw new UsageError(
        `FLUXOPS_DRIFT_ALPHA: expected a significance level between 0 and 1, got "${alphaText}"`,
      );
    }
  }
  return new DriftMonitor({ window, minRows, alpha, onEvent });
}
