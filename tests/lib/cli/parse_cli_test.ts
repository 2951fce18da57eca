import assert from "node:assert/strict";
import { describeBounds, parseCli, parseFlags, parseNumber } from "../../../lib/cli/parse_cli.ts";
import { UsageError } from "../../../lib/errors.ts";

const OPTIONS = {
  out: { type: "string", short: "o" },
  json: { type: "boolean" },
  trees: { type: "integer", min: 1 },
  seed: { type: "integer", min: 0 },
  "test-size": { type: "number", above: 0, below: 1 },
  platform: { type: "string", multiple: true },
  alias: { type: "string", default: "production" },
} as const;

/** Runs `fn` with console.error captured; returns what it printed. */
function stderrOf(fn: () => void): string {
  const lines: string[] = [];
  const { error } = console;
  console.error = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    fn();
  } finally {
    console.error = error;
  }
  return lines.join("\n");
}

Deno.test("parseCli() returns the flags and positionals it was given", () => {
  const cli = parseCli(["--out", "x", "--json", "a"], OPTIONS, "help", { allowPositionals: true });
  assert.equal(cli.exit, undefined);
  if (cli.exit === undefined) {
    assert.equal(cli.values.out, "x");
    assert.equal(cli.values.json, true);
    assert.equal(cli.values.alias, "production");
    assert.deepEqual(cli.positionals, ["a"]);
  }
});

Deno.test("parseCli() types numeric flags as numbers and collects repeated multiple flags", () => {
  const cli = parseCli(
    ["--trees=7", "--seed", "0", "--test-size", "0.25", "--platform", "a", "--platform=b"],
    OPTIONS,
    "help",
  );
  assert.ok(cli.exit === undefined);
  const trees: number | undefined = cli.values.trees;
  assert.equal(trees, 7);
  assert.equal(cli.values.seed, 0);
  assert.equal(cli.values["test-size"], 0.25);
  assert.deepEqual(cli.values.platform, ["a", "b"]);
});

Deno.test("parseCli() reads a value that looks like a flag or a negative number as the value", () => {
  const values = parseFlags(["--out", "--json", "-o", "-3"], OPTIONS).values;
  assert.equal(values.out, "-3");
  assert.equal(values.json, undefined);
  assert.equal(parseFlags(["--out", "--json"], OPTIONS).values.out, "--json");
  assert.deepEqual(parseFlags(["-", "-1.5"], OPTIONS, true).positionals, ["-", "-1.5"]);
  assert.deepEqual(parseFlags(["--", "--json"], OPTIONS, true).positionals, ["--json"]);
});

const exits: [string[], number][] = [
  [["--help"], 0],
  [["-h"], 0],
  [["--bogus"], 2],
  [["--out"], 2],
  [["stray"], 2],
];
for (const [args, code] of exits) {
  Deno.test(`parseCli() answers ${JSON.stringify(args)} with exit status ${code}`, () => {
    stderrOf(() => assert.equal(parseCli(args, OPTIONS, "help").exit, code));
  });
}

const refused: [string[], string][] = [
  [["--trees", "-3"], "error: --trees must be a positive integer, got -3"],
  [["--trees=-3"], "error: --trees must be a positive integer, got -3"],
  [["--trees", "0"], "error: --trees must be a positive integer, got 0"],
  [["--trees", "2.5"], "error: --trees must be a positive integer, got 2.5"],
  [["--trees", "many"], "error: --trees must be a positive integer, got many"],
  [["--trees", ""], 'error: --trees must be a positive integer, got ""'],
  [["--trees", "1e3"], "error: --trees must be a positive integer, got 1e3"],
  [["--seed", "-1"], "error: --seed must be a non-negative integer, got -1"],
  [["--test-size", "1"], "error: --test-size must be a number between 0 and 1, got 1"],
  [["--test-size", "NaN"], "error: --test-size must be a number between 0 and 1, got NaN"],
  [["--trees"], "error: --trees needs a value (see --help)"],
  [["--bogus"], "error: unknown flag --bogus (see --help)"],
  [["--bogus=1"], "error: unknown flag --bogus (see --help)"],
  [["-x"], "error: unknown flag -x (see --help)"],
  [["--json=yes"], "error: --json takes no value, got --json=yes"],
  [["stray"], "error: unexpected argument stray (see --help)"],
  [["--", "stray"], "error: unexpected argument stray (see --help)"],
];
for (const [args, message] of refused) {
  Deno.test(`parseCli() refuses ${JSON.stringify(args)} with exit 2 and "${message}"`, () => {
    let code: number | undefined;
    const printed = stderrOf(() => code = parseCli(args, OPTIONS, "help").exit);
    assert.equal(code, 2);
    assert.equal(printed, message);
  });
}

const described: [Parameters<typeof describeBounds>[0], string][] = [
  [{ type: "integer", min: 1 }, "a positive integer"],
  [{ type: "integer", min: 0 }, "a non-negative integer"],
  [{ type: "number", above: 0 }, "a positive number"],
  [{ type: "number", min: 0 }, "a non-negative number"],
  [{ type: "integer", min: 1, max: 65535 }, "an integer from 1 to 65535"],
  [{ type: "number", above: 0, below: 1 }, "a number between 0 and 1"],
  [{ type: "number", above: 0, max: 1 }, "a number greater than 0 and at most 1"],
  [{ type: "integer", min: 5 }, "an integer of at least 5"],
  [{ type: "number", max: 9 }, "a number of at most 9"],
  [{ type: "number", below: 9 }, "a number less than 9"],
  [{ type: "integer" }, "an integer"],
];
for (const [bounds, words] of described) {
  Deno.test(`describeBounds() words ${JSON.stringify(bounds)} as "${words}"`, () => {
    assert.equal(describeBounds(bounds), words);
  });
}

Deno.test("parseNumber() names an environment variable in the same message shape", () => {
  assert.equal(parseNumber("FLUXOPS_THREADS", " 4 ", { type: "integer", min: 1 }), 4);
  assert.throws(
    () => parseNumber("FLUXOPS_THREADS", "four", { type: "integer", min: 1 }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === "FLUXOPS_THREADS must be a positive integer, got four",
  );
});

Deno.test("parseCli() refuses a value outside a flag's choices, naming them", () => {
  const options = { engine: { type: "string", choices: ["native", "ml-random-forest"] } } as const;
  let code: number | undefined;
  const printed = stderrOf(() => code = parseCli(["--engine", "xgboost"], options, "help").exit);
  assert.equal(code, 2);
  assert.equal(printed, "error: --engine must be native or ml-random-forest, got xgboost");
  const cli = parseCli(["--engine", "native"], options, "help");
  assert.ok(cli.exit === undefined);
  const engine: "native" | "ml-random-forest" | undefined = cli.values.engine;
  assert.equal(engine, "native");
});
