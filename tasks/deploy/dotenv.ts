/**
 * Writes a dotenv file (`KEY=value` lines) for GitLab's `artifacts:reports:dotenv`, which passes
 * the deployed URL and versions to later jobs. GitLab reads values literally, one line each, so a
 * value may not hold a newline; names are what a shell variable allows.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Formats `vars` as dotenv text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dotenv } from "./dotenv.ts";
 * assert.equal(
 *   dotenv({ FLUXOPS_FUNCTION_URL: "https://func.example.net" }),
 *   "FLUXOPS_FUNCTION_URL=https://func.example.net\n",
 * );
 * ```
 */
export function dotenv(vars: Readonly<Record<string, string>>): string {
  return Object.entries(vars).map(([k, v]) => {
    if (!NAME.test(k)) {
      throw new InvalidInput(`dotenv: ${JSON.stringify(k)} is not a variable name`);
    }
    if (/[\r\n]/.test(v)) throw new InvalidInput(`dotenv: the value of ${k} holds a line break`);
    return `${k}=${v}\n`;
  }).join("");
}
