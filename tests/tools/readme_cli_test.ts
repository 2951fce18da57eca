/**
 * Issue 14, item 9: the README's trainer flag table and its list of `deno task model` commands
 * are written from the CLIs' own `--help`; this keeps them from falling behind again (the table
 * lacked `--publish`, `--promote` and `--store`, the list lacked `show`).
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");

async function help(script: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", script, "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, `${script} --help: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** The README's text from `heading` to the next heading of the same or a higher level. */
function readmeSection(heading: string): string {
  const text = Deno.readTextFileSync(join(ROOT, "README.md"));
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has ${heading}`);
  const level = heading.indexOf(" ");
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return end < 0 ? rest : rest.slice(0, end);
}

Deno.test("the README's trainer table lists every flag deno task train --help lists", async () => {
  const flags = [...(await help("trainer/main.ts")).matchAll(/^ {2}(--[a-z-]+)/gm)]
    .map((m) => m[1]!)
    .filter((f) => f !== "--help");
  assert.ok(flags.includes("--publish") && flags.length >= 15, flags.join(" "));
  const table = readmeSection("## The trainer");
  const missing = flags.filter((f) => !new RegExp(`^\\| \`${f}[ \`]`, "m").test(table));
  assert.deepEqual(missing, [], "flags of deno task train --help missing from README's table");
});

Deno.test("the README names every command deno task model --help lists", async () => {
  const text = await help("tasks/model.ts");
  const commands = text.slice(text.indexOf("Commands:"), text.indexOf("Options:"));
  const names = [...commands.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!);
  assert.ok(names.includes("show") && names.length >= 9, names.join(" "));
  const list = /`deno task model` \(([^)]*)/.exec(readmeSection("## The trainer"))?.[1] ?? "";
  const missing = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(list));
  assert.deepEqual(missing, [], `commands missing from the README's list: ${list}`);
});
