/**
 * `deno task compile`: builds the single-binary trainer `dist/fluxops-trainer` with
 * `deno compile`. The binary takes the same flags as `deno task train`.
 *
 * `deno compile` downloads its base runtime (denort) for the target; where that download is
 * impossible this task fails with a message that says so and what to do instead.
 * @module
 */
import { parseArgs } from "node:util";

const HELP = `deno task compile: build dist/fluxops-trainer, the single-binary trainer

Usage: deno task compile [--target TRIPLE] [--output PATH]

  --target TRIPLE  cross-compile, e.g. x86_64-unknown-linux-gnu, aarch64-apple-darwin
  --output PATH    where to write the binary (default dist/fluxops-trainer)
  -h, --help       show this help

Needs network access to Deno's release server the first time (to fetch denort),
or DENORT_BIN pointing at a denort binary of the same Deno version.`;

/** Builds the trainer binary; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string" },
      output: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const output = values.output ?? "dist/fluxops-trainer";
  const cmd = [
    "compile",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    // Worker modules are not followed by the module graph: the trainer's must be named.
    "--include",
    "lib/forest/train_worker.ts",
    "--output",
    output,
    ...(values.target ? ["--target", values.target] : []),
    "trainer/main.ts",
  ];
  console.error(`deno ${cmd.join(" ")}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: cmd,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(result.stderr);
  if (result.success) {
    await Deno.stderr.write(result.stderr);
    console.error(`built ${output}: run \`${output} --help\``);
    return 0;
  }
  if (/Setting up base binary|denort|dl\.deno\.land/.test(err)) {
    console.error(
      "error: deno compile could not fetch its runtime (denort) for this Deno version: this " +
        "machine cannot reach Deno's release server. Run `deno task compile` where it can (the " +
        "GitLab `compile` job, a laptop), or set DENORT_BIN to a denort binary of Deno " +
        `${Deno.version.deno}. Meanwhile \`deno task train\` runs the same trainer.`,
    );
  } else {
    await Deno.stderr.write(result.stderr);
    console.error("error: deno compile failed");
  }
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
