/**
 * The command-line preamble every FluxOps CLI shares: parse typed flags, answer `--help`, and
 * turn a flag or value it refuses into one line, `error: --trees must be a positive integer, got
 * -3`, and exit status 2.
 *
 * It reads the same syntax as `node:util` `parseArgs` (`--name value`, `--name=value`, `-h`,
 * `--` ends the flags) with one difference: a flag that takes a value takes the next argument
 * whatever it looks like, so `--trees -3` reaches validation (and says why -3 is wrong) where
 * `parseArgs` stops at "argument is ambiguous", and `--out --json` writes to a file named
 * `--json`.
 * @module
 */
import { UsageError } from "../errors.ts";

/** A flag: a switch, a string, or a number checked against bounds while parsing. */
export type CliOption =
  | { readonly type: "boolean"; readonly short?: string; readonly default?: boolean }
  | {
    readonly type: "string";
    readonly short?: string;
    readonly default?: string;
    /** Collect every occurrence into an array. */
    readonly multiple?: boolean;
    /** The only values allowed. */
    readonly choices?: readonly string[];
  }
  | (
    & { readonly type: "integer" | "number"; readonly short?: string; readonly default?: number }
    & Bounds
  );

/** Bounds of a numeric flag; {@link describeBounds} words them for the message. */
export interface Bounds {
  /** Smallest value allowed. */
  readonly min?: number;
  /** Largest value allowed. */
  readonly max?: number;
  /** The value must be greater than this. */
  readonly above?: number;
  /** The value must be less than this. */
  readonly below?: number;
}

/** A CLI's flags by long name (without the dashes). */
export type CliOptions = Readonly<Record<string, CliOption>>;

type ValueOf<T extends CliOption> = T extends { type: "boolean" } ? boolean
  : T extends { type: "integer" | "number" } ? number
  : T extends { multiple: true } ? string[]
  : T extends { choices: readonly (infer C)[] } ? C
  : string;

type WithDefault<O extends CliOptions> = {
  [K in keyof O]: O[K] extends { default: unknown } ? K : never;
}[keyof O];

/** The values of flags declared by `O`; a flag with a default is always present. */
export type CliValues<O extends CliOptions> =
  & { [K in Exclude<keyof O, WithDefault<O>>]?: ValueOf<O[K]> }
  & { [K in WithDefault<O>]: ValueOf<O[K]> };

/** Parsed flags, or the exit status the CLI should return at once. */
export type CliArgs<O extends CliOptions> =
  | { readonly values: CliValues<O>; readonly positionals: string[]; readonly exit?: undefined }
  | { readonly exit: number };

/** Options of {@link parseCli}. */
export interface ParseCliOptions {
  /** Accept arguments that are not flags (default false: each is a usage error). */
  readonly allowPositionals?: boolean;
}

/**
 * Parses `args` against `options` (a `help` flag, `-h`, is added). On `--help` it prints `help`
 * and returns `{ exit: 0 }`; on a flag or value it refuses it prints `error: ...` naming the flag
 * and the value, and returns `{ exit: 2 }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "./parse_cli.ts";
 *
 * const cli = parseCli(["--trees", "3"], { trees: { type: "integer", min: 1 } }, "usage: ...");
 * if (cli.exit !== undefined) throw new Error("refused");
 * assert.equal(cli.values.trees, 3);
 * ```
 */
export function parseCli<const O extends CliOptions>(
  args: readonly string[],
  options: O,
  help: string,
  { allowPositionals = false }: ParseCliOptions = {},
): CliArgs<O> {
  let parsed;
  try {
    parsed = parseFlags(args, options, allowPositionals);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}`);
    return { exit: 2 };
  }
  if (parsed.help) {
    console.log(help);
    return { exit: 0 };
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * Parses `args` against `options` and returns the values, the positionals and whether help was
 * asked for; throws {@link UsageError} with the one-line message {@link parseCli} prints.
 */
export function parseFlags<const O extends CliOptions>(
  args: readonly string[],
  options: O,
  allowPositionals = false,
): { values: CliValues<O>; positionals: string[]; help: boolean } {
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short) byShort.set(o.short, name);
  if (!("help" in options)) byShort.set("h", "help");
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      if (!allowPositionals && i + 1 < args.length) {
        throw new UsageError(`unexpected argument ${shown(args[i + 1]!)} (see --help)`);
      }
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!isFlag(arg)) {
      if (!allowPositionals) throw new UsageError(`unexpected argument ${shown(arg)} (see --help)`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const long = arg.startsWith("--");
    const key = long ? arg.slice(2, eq > 0 ? eq : undefined) : arg.slice(1);
    const name = long ? key : byShort.get(key);
    const flag = long ? `--${key}` : arg;
    if (name === "help" && !("help" in options)) {
      if (eq > 0) throw new UsageError(`${flag} takes no value, got ${shown(arg)}`);
      help = true;
      continue;
    }
    const option = name === undefined ? undefined : options[name];
    if (name === undefined || option === undefined) {
      throw new UsageError(`unknown flag ${shown(long ? flag : arg)} (see --help)`);
    }
    if (option.type === "boolean") {
      if (long && eq > 0) throw new UsageError(`${flag} takes no value, got ${shown(arg)}`);
      values[name] = true;
      continue;
    }
    let text: string;
    if (long && eq > 0) text = arg.slice(eq + 1);
    else if (i + 1 < args.length) text = args[++i]!;
    else throw new UsageError(`--${name} needs a value (see --help)`);
    if (option.type === "string") {
      if (option.choices && !option.choices.includes(text)) {
        throw new UsageError(invalidValue(`--${name}`, oneOf(option.choices), text));
      }
      if (option.multiple) values[name] = [...(values[name] as string[] | undefined) ?? [], text];
      else values[name] = text;
    } else {
      values[name] = parseNumber(`--${name}`, text, option);
    }
  }
  for (const [name, o] of Object.entries(options)) {
    if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
  }
  return { values: values as CliValues<O>, positionals, help };
}

/**
 * Reads `text` as the number `option` describes, for a flag or an environment variable named
 * `label`; throws {@link UsageError} `"<label> must be <what>, got <text>"` otherwise.
 *
 * @example
 * ```ts
 * import { parseNumber } from "./parse_cli.ts";
 *
 * console.assert(parseNumber("FLUXOPS_THREADS", "2", { type: "integer", min: 1 }) === 2);
 * ```
 */
export function parseNumber(
  label: string,
  text: string,
  option: { readonly type: "integer" | "number" } & Bounds,
): number {
  const t = text.trim();
  const n = Number(t);
  const integer = option.type === "integer";
  const ok = t !== "" && Number.isFinite(n) && (!integer || /^[+-]?\d+$/.test(t)) &&
    (option.min === undefined || n >= option.min) &&
    (option.max === undefined || n <= option.max) &&
    (option.above === undefined || n > option.above) &&
    (option.below === undefined || n < option.below);
  if (!ok) throw new UsageError(invalidValue(label, describeBounds(option), text));
  return n;
}

/** The one shape of every refused value: `--trees must be a positive integer, got -3`. */
export function invalidValue(label: string, what: string, got: string): string {
  return `${label} must be ${what}, got ${shown(got)}`;
}

/** Words a numeric flag's type and bounds: "a positive integer", "a number between 0 and 1". */
export function describeBounds(
  { type, min, max, above, below }: { readonly type: "integer" | "number" } & Bounds,
): string {
  const a = type === "integer" ? "an integer" : "a number";
  const upper = max !== undefined || below !== undefined;
  const lower = min !== undefined || above !== undefined;
  if (!upper && above === 0 && min === undefined) return `a positive ${type}`;
  if (!upper && type === "integer" && min === 1 && above === undefined) return "a positive integer";
  if (!upper && min === 0 && above === undefined) return `a non-negative ${type}`;
  if (min !== undefined && max !== undefined && above === undefined && below === undefined) {
    return `${a} from ${min} to ${max}`;
  }
  if (above !== undefined && below !== undefined && min === undefined && max === undefined) {
    return `${a} between ${above} and ${below}`;
  }
  const parts = [
    min === undefined ? "" : `at least ${min}`,
    above === undefined ? "" : `greater than ${above}`,
    max === undefined ? "" : `at most ${max}`,
    below === undefined ? "" : `less than ${below}`,
  ].filter(Boolean);
  if (parts.length === 1 && parts[0]!.startsWith("at ")) return `${a} of ${parts[0]}`;
  return lower || upper ? `${a} ${parts.join(" and ")}` : a;
}

/** Words a list of choices: "native or ml-random-forest", "one of a, b or c". */
function oneOf(choices: readonly string[]): string {
  if (choices.length <= 2) return choices.join(" or ");
  return `one of ${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
}

/** Whether `arg` is a flag rather than a value: `-` alone and negative numbers are values. */
function isFlag(arg: string): boolean {
  return arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg);
}

/** A value as it appears in a message: as typed, quoted when empty or holding spaces. */
function shown(text: string): string {
  return text === "" || /\s|"/.test(text) ? JSON.stringify(text) : text;
}
