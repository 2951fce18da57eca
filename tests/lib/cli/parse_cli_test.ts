import assert from "node:assert/strict";
import { parseCli } from "../../../lib/cli/parse_cli.ts";

const OPTIONS = { out: { type: "string" }, json: { type: "boolean" } } as const;

Deno.test("parseCli() returns the flags and positionals it was given", () => {
  const cli = parseCli(["--out", "x", "--json", "a"], OPTIONS, "help", { allowPositionals: true });
  assert.equal(cli.exit, undefined);
  if (cli.exit === undefined) {
    assert.equal(cli.values.out, "x");
    assert.equal(cli.values.json, true);
    assert.deepEqual(cli.positionals, ["a"]);
  }
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
    assert.equal(parseCli(args, OPTIONS, "help").exit, code);
  });
}
