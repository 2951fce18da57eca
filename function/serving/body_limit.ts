/**
 * The default size limit of a request body, derived from the instance limit and the served
 * model's features, so that the largest batch the OpenAPI document calls valid (`maxInstances`
 * rows of this model) is never refused for its size.
 * @module
 */

/**
 * The longest a JSON number can be written in the shortest form that reads back as the same
 * double: JavaScript's `String(-0.0000012345678901234567)` has 25 characters (17 significant
 * digits behind `-0.00000`); Python's `repr` (schemathesis, most clients) needs at most 24
 * (`-1.2345678901234567e-308`).
 */
export const MAX_NUMBER_CHARS = 25;

/** Room for what a request carries besides its rows: V2 ids, input names, parameters. */
export const ENVELOPE_BYTES = 64 * 1024;

/** The floor of a derived limit: the fixed limit of earlier releases, so no body is newly refused. */
export const MIN_BODY_BYTES = 1 << 20;

/**
 * The default body limit for a model: `maxInstances` rows written by feature name (the longest
 * form `/api/predict` takes; the array form and the V2 JSON and binary forms are shorter), every
 * value in its longest shortest round-trip form, no whitespace, plus {@link ENVELOPE_BYTES};
 * at least {@link MIN_BODY_BYTES}.
 *
 * @example
 * ```ts
 * import { defaultBodyLimit } from "./body_limit.ts";
 * const names = Array.from({ length: 30 }, (_, j) => `f${j}`);
 * console.assert(defaultBodyLimit(names, 10_000) > 9_000_000);
 * ```
 */
export function defaultBodyLimit(featureNames: readonly string[], maxInstances: number): number {
  // {"name":value,...}: each feature's quoted name, a colon and a value, commas between.
  let row = 2 + Math.max(0, featureNames.length - 1);
  for (const name of featureNames) row += JSON.stringify(name).length + 1 + MAX_NUMBER_CHARS;
  // {"instances":[row,row,...]}
  const batch = '{"instances":[]}'.length + maxInstances * row + Math.max(0, maxInstances - 1);
  return Math.max(MIN_BODY_BYTES, batch + ENVELOPE_BYTES);
}
