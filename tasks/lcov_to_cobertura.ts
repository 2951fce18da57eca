/**
 * `deno task lcov:cobertura LCOV_FILE [--out FILE] [--root DIR]`: converts `deno coverage
 * --lcov` output to Cobertura XML for GitLab's coverage report, and prints the line coverage.
 * @module
 */
import { resolve } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { parseLcov, toCobertura } from "../lib/coverage/lcov_to_cobertura.ts";
import { describeError, FluxError } from "../lib/errors.ts";

const HELP = `deno task lcov:cobertura: LCOV to Cobertura XML (GitLab coverage_report)

Usage: deno task lcov:cobertura LCOV_FILE [--out FILE] [--root DIR]

  --out FILE   where to write the XML (default: stdout)
  --root DIR   paths are made relative to DIR, the repository root (default: .)
  -h, --help   show this help

Prints "line coverage: NN.NN% (hit/lines)" on stderr.
Exit status: 0 converted, 1 unreadable or malformed input, 2 usage error.`;

/** Runs the converter; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(
    args,
    {
      out: { type: "string" },
      root: { type: "string", default: "." },
    },
    HELP,
    { allowPositionals: true },
  );
  if (cli.exit !== undefined) return cli.exit;
  const { values, positionals } = cli;
  if (positionals.length !== 1) {
    console.error("error: expected exactly one LCOV file (see --help)");
    return 2;
  }
  const root = resolve(values.root);
  try {
    const files = parseLcov(await Deno.readTextFile(positionals[0]!), { root });
    const xml = toCobertura(files, { root });
    if (values.out) await Deno.writeTextFile(values.out, xml);
    else console.log(xml);
    let lines = 0;
    let hit = 0;
    for (const f of files) {
      for (const h of f.lines.values()) {
        lines++;
        if (h > 0) hit++;
      }
    }
    const pct = lines === 0 ? 100 : (100 * hit) / lines;
    console.error(`line coverage: ${pct.toFixed(2)}% (${hit}/${lines})`);
    return 0;
  } catch (err) {
    console.error(`error: ${err instanceof FluxError ? err.message : describeError(err)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
