/**
 * The command-line preamble every FluxOps CLI shares: parse flags with `node:util` `parseArgs`,
 * answer `--help`, and turn a flag the parser refuses into a one-line message and exit status 2.
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { describeError } from "../errors.ts";

/** The values of flags declared by `O`: booleans for boolean flags, strings otherwise. */
export type CliValues<O extends ParseArgsOptionsConfig> = {
  [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

/** Parsed flags, or the exit status the CLI should return at once. */
export type CliArgs<O extends ParseArgsOptionsConfig> =
  | { readonly values: CliValues<O>; readonly positionals: string[]; readonly exit?: undefined }
  | { readonly exit: number };

/**
 * Parses `args` against `options` (a `help` flag, `-h`, is added). On `--help` it prints `help`
 * and returns `{ exit: 0 }`; on a flag it cannot parse it prints `error: ... (see --help)` and
 * returns `{ exit: 2 }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "./parse_cli.ts";
 * const cli = parseCli(["--out", "model"], { out: { type: "string" } }, "usage: ...");
 * if (cli.exit !== undefined) Deno.exit(cli.exit);
 * assert.equal(cli.values.out, "model");
 * ```
 */
export function parseCli<O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
  help: string,
  { allowPositionals = false }: { allowPositionals?: boolean } = {},
): CliArgs<O> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals,
      options: { ...options, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    console.error(`error: ${describeError(err)} (see --help)`);
    return { exit: 2 };
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) {
    console.log(help);
    return { exit: 0 };
  }
  return { values: values as CliValues<O>, positionals: parsed.positionals };
}
