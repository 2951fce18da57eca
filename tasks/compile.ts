/**
 * `deno task compile`: builds the single-binary trainer `dist/fluxops-trainer` with
 * `deno compile`. The binary takes the same flags as `deno task train` and gets exactly its
 * permissions: both read them from deno.json's `train` task, the one list (so `--publish` to a
 * Blob container and signing with a Key Vault key, which need `--allow-net --allow-sys`, work in
 * the binary as they do under `deno task train`).
 *
 * `deno compile` downloads its base runtime (denort) for the target; where that download is
 * impossible this task fails with a message that says so and what to do instead.
 * @module
 */
import { join, resolve } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { UsageError } from "../lib/errors.ts";

const HELP = `deno task compile: build dist/fluxops-trainer, the single-binary trainer

Usage: deno task compile [--target TRIPLE] [--output PATH] [--dry-run]

  --target TRIPLE  cross-compile, e.g. x86_64-unknown-linux-gnu, aarch64-apple-darwin
  --output PATH    where to write the binary (default dist/fluxops-trainer)
  --dry-run        print the deno compile command line and stop
  --json           with --dry-run: print the command line as a JSON array
  -h, --help       show this help

The binary gets the permissions of deno.json's "train" task, read from it at build time.
Needs network access to Deno's release server the first time (to fetch denort),
or DENORT_BIN pointing at a denort binary of the same Deno version.`;

/** The repository root, where deno.json and trainer/ are. */
const ROOT = join(import.meta.dirname!, "..");

/** The trainer's entry point, as deno.json's `train` task names it. */
export const TRAINER_ENTRY = "trainer/main.ts";

/**
 * The permission flags (`--allow-*`, `--deny-*`) of deno.json's `train` task: the one list of
 * what the trainer may do, which `deno task train` runs with and the compiled binary is given.
 * Throws {@link UsageError} when the task is missing or does not run {@link TRAINER_ENTRY}.
 *
 * @example
 * ```ts
 * import { trainPermissions } from "./compile.ts";
 *
 * const tasks = { train: "deno run --allow-read --allow-net trainer/main.ts" };
 * console.assert(trainPermissions({ tasks }).join(" ") === "--allow-read --allow-net");
 * ```
 */
export function trainPermissions(config: { readonly tasks?: Record<string, unknown> }): string[] {
  const task = config.tasks?.train;
  const words = typeof task === "string" ? task.trim().split(/\s+/) : [];
  if (words[0] !== "deno" || words[1] !== "run" || words.at(-1) !== TRAINER_ENTRY) {
    throw new UsageError(
      `deno.json: the "train" task must be "deno run <permissions> ${TRAINER_ENTRY}", ` +
        `got ${JSON.stringify(task)}`,
    );
  }
  return words.filter((w) => /^--(allow|deny)-/.test(w));
}

/** The `deno compile` arguments that build the trainer with `deno task train`'s permissions. */
export async function compileArgs(
  { output = "dist/fluxops-trainer", target }: { output?: string; target?: string | undefined } =
    {},
): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  return [
    "compile",
    ...trainPermissions(config),
    // Worker modules are not followed by the module graph: the trainer's (training and the
    // CSV reader's) must be named.
    "--include",
    "lib/forest/train_worker.ts",
    "--include",
    "lib/data/csv_worker.ts",
    "--output",
    output,
    ...(target ? ["--target", target] : []),
    TRAINER_ENTRY,
  ];
}

/** Builds the trainer binary; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    target: { type: "string" },
    output: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  let cmd: string[];
  try {
    cmd = await compileArgs({
      // deno compile runs in the repository root: a given path is the caller's.
      ...(values.output === undefined ? {} : { output: resolve(values.output) }),
      target: values.target,
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}`);
    return 1;
  }
  if (values["dry-run"]) {
    console.log(values.json ? JSON.stringify(["deno", ...cmd]) : `deno ${cmd.join(" ")}`);
    return 0;
  }
  console.error(`deno ${cmd.join(" ")}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: cmd,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(result.stderr);
  const output = values.output ?? "dist/fluxops-trainer";
  if (result.success) {
    await Deno.stderr.write(result.stderr);
    console.error(`built ${output}: run \`${output} --help\``);
    return 0;
  }
  if (/Setting up base binary|denort|dl\.deno\.land/.test(err)) {
    console.error(
      "error: deno compile could not fetch its runtime (denort) for this Deno version: this " +
        "machine cannot reach Deno's release server. Run `deno task compile` where it can (the " +
        "GitLab `compile:trainer` job, a laptop), or set DENORT_BIN to a denort binary of Deno " +
        `${Deno.version.deno}. Meanwhile \`deno task train\` runs the same trainer.`,
    );
  } else {
    await Deno.stderr.write(result.stderr);
    console.error("error: deno compile failed");
  }
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
