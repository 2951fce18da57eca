/**
 * `deno task coverage`: reports line coverage of `lib/` from the last `deno task test` run and
 * fails when it is below the floor (90% by default, `--min N` to change).
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";

const HELP = `deno task coverage: line coverage of lib/ from the last test run

Usage: deno task coverage [--min PERCENT] [--dir .fluxops/coverage] [--lcov FILE]

  --min PERCENT  fail below this line coverage of lib/ (default 90)
  --dir DIR      coverage data written by deno task test (default .fluxops/coverage)
  --lcov FILE    also write an lcov report
  -h, --help     show this help`;

/** Prints the coverage table and returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    min: { type: "number", min: 0, max: 100, default: 90 },
    dir: { type: "string", default: ".fluxops/coverage" },
    lcov: { type: "string" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const dropped = await dropEmptyProfiles(values.dir);
  if (dropped > 0) {
    console.error(
      `coverage: dropped ${dropped} empty profile(s): a Web Worker terminated while its profile ` +
        "was being written leaves an empty file, which deno coverage cannot read",
    );
  }
  const run = (extra: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["coverage", values.dir, "--include=/lib/", "--exclude=/tests/", ...extra],
      stdout: "piped",
      stderr: "inherit",
      env: { NO_COLOR: "1" },
    }).output();
  const result = await run([]);
  const text = new TextDecoder().decode(result.stdout);
  await Deno.stdout.write(result.stdout);
  if (!result.success) return 1;
  if (values.lcov) {
    const lcov = await run(["--lcov"]);
    await Deno.writeFile(values.lcov, lcov.stdout);
  }
  // The table's last row: | All files | branch % | function % | line % |
  const row = text.split("\n").find((l) => l.includes("All files"));
  const line = row ? Number(row.split("|").map((c) => c.trim()).filter(Boolean).at(-1)) : NaN;
  const min = values.min;
  if (!Number.isFinite(line)) {
    console.error("error: no coverage data: run `deno task test` first");
    return 1;
  }
  if (line < min) {
    console.error(`error: line coverage of lib/ is ${line}%, below the ${min}% floor`);
    return 1;
  }
  console.error(`line coverage of lib/: ${line}% (floor ${min}%)`);
  return 0;
}

/** Removes the empty `.json` profiles in `dir` (they hold no coverage); returns how many. */
export async function dropEmptyProfiles(dir: string): Promise<number> {
  let dropped = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const path = `${dir}/${entry.name}`;
      if ((await Deno.stat(path)).size === 0) {
        await Deno.remove(path);
        dropped++;
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return dropped;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
