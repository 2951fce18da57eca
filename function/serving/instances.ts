/**
 * Turns a prediction request body into a row-major feature matrix, checking every value and
 * naming exactly where a bad one is: `instances[3][7]: expected a finite number, got "abc"`.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";
import { HttpError } from "./http_error.ts";

/** Parsed rows ready for the forest. */
export interface Instances {
  readonly x: Float64Array;
  readonly nRows: number;
  /** True for `{"features": ...}`, one row answered as one object. */
  readonly single: boolean;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

function fillRow(
  row: unknown,
  where: string,
  names: readonly string[],
  index: ReadonlyMap<string, number>,
  x: Float64Array,
  offset: number,
): void {
  const p = names.length;
  if (Array.isArray(row)) {
    if (row.length !== p) {
      throw new InvalidInput(`${where}: expected ${p} features, got ${row.length}`);
    }
    for (let j = 0; j < p; j++) {
      const v = row[j];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new InvalidInput(`${where}[${j}]: expected a finite number, got ${show(v)}`);
      }
      x[offset + j] = v;
    }
    return;
  }
  if (row === null || typeof row !== "object") {
    throw new InvalidInput(
      `${where}: expected an array of ${p} numbers or an object of features by name, got ${
        show(row)
      }`,
    );
  }
  const obj = row as Record<string, unknown>;
  const keys = Object.keys(obj);
  const unknown = keys.filter((k) => !index.has(k));
  if (unknown.length > 0) {
    throw new InvalidInput(
      `${where}: unknown feature${unknown.length > 1 ? "s" : ""} ${
        unknown.map((k) => JSON.stringify(k)).join(", ")
      }`,
    );
  }
  if (keys.length !== p) {
    const missing = names.filter((n) => !(n in obj));
    throw new InvalidInput(
      `${where}: missing feature${missing.length > 1 ? "s" : ""} ${
        missing.map((k) => JSON.stringify(k)).join(", ")
      }`,
    );
  }
  for (let j = 0; j < p; j++) {
    const v = obj[names[j]!];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidInput(`${where}.${names[j]}: expected a finite number, got ${show(v)}`);
    }
    x[offset + j] = v;
  }
}

/** Options of {@link parseInstances}. */
export interface ParseInstancesOptions {
  /** The model's feature names, in order. */
  readonly features: readonly string[];
  /** Most rows accepted in one request. */
  readonly maxInstances: number;
  /** Name lookup, built once per model (see {@link featureIndex}). */
  readonly index?: ReadonlyMap<string, number>;
}

/** Index of each feature name, for named rows. */
export function featureIndex(names: readonly string[]): Map<string, number> {
  return new Map(names.map((n, i) => [n, i]));
}

/**
 * Reads `{"features": row}` or `{"instances": [row, ...]}` where a row is an array of numbers in
 * the model's feature order or an object of numbers by feature name.
 */
export function parseInstances(body: unknown, opts: ParseInstancesOptions): Instances {
  const names = opts.features;
  const index = opts.index ?? featureIndex(names);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidInput(
      `body: expected a JSON object with "features" or "instances", got ${show(body)}`,
    );
  }
  const b = body as Record<string, unknown>;
  // A misspelt or unknown field is refused rather than ignored, as the OpenAPI document says
  // (additionalProperties: false): a client sending "instance" or "feature" learns at once.
  const unknown = Object.keys(b).filter((k) => k !== "features" && k !== "instances");
  if (unknown.length > 0) {
    throw new InvalidInput(
      `body: unknown field${unknown.length > 1 ? "s" : ""} ${
        unknown.slice(0, 5).map(show).join(", ")
      }; expected "features" (one row) or "instances" (a batch)`,
    );
  }
  const hasF = "features" in b;
  const hasI = "instances" in b;
  if (hasF === hasI) {
    throw new InvalidInput(
      hasF
        ? `body: give either "features" (one row) or "instances" (a batch), not both`
        : `body: expected "features" (one row) or "instances" (a batch)`,
    );
  }
  if (hasF) {
    const x = new Float64Array(names.length);
    withRows(1, () => fillRow(b.features, "features", names, index, x, 0));
    return { x, nRows: 1, single: true };
  }
  const rows = b.instances;
  if (!Array.isArray(rows)) {
    throw new InvalidInput(`instances: expected an array of rows, got ${show(rows)}`);
  }
  if (rows.length === 0) throw new InvalidInput("instances: the batch is empty");
  if (rows.length > opts.maxInstances) {
    throw new HttpError(
      "payload_too_large",
      `instances: ${rows.length} rows is over the limit of ${opts.maxInstances}`,
    );
  }
  const p = names.length;
  const x = new Float64Array(rows.length * p);
  withRows(rows.length, () => {
    for (let i = 0; i < rows.length; i++) {
      fillRow(rows[i], `instances[${i}]`, names, index, x, i * p);
    }
  });
  return { x, nRows: rows.length, single: false };
}

/** Runs `fill`; a row it refuses makes the whole request's `n` rows refused (drift quality). */
function withRows(n: number, fill: () => void): void {
  try {
    fill();
  } catch (err) {
    if (err instanceof InvalidInput) err.rows = n;
    throw err;
  }
}
