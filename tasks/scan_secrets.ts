/**
 * `deno task scan:secrets`: secretlint (npm) over every file git would commit: the tracked files
 * plus new ones not ignored by `.gitignore`. Rules come from `.secretlintrc.yaml`, exceptions
 * from there (one value) and `.secretlintignore` (whole files, gitignore syntax), each with its
 * reason.
 *
 * secretlint's CLI loads its rule packages by name from a `node_modules` folder, which FluxOps
 * does not have (`nodeModulesDir: none`). This runs secretlint's own engine, `@secretlint/core`,
 * reading files with `@secretlint/source-creator` as the CLI does, but with the rule presets
 * imported through `tools/deno.json`, so Deno's npm cache is all it needs. The configuration files are
 * secretlint's own format: `npx secretlint "**"` reads the same ones.
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lintSource } from "@secretlint/core";
import { creator as rulePattern } from "@secretlint/secretlint-rule-pattern";
import { creator as presetRecommend } from "@secretlint/secretlint-rule-preset-recommend";
import { createRawSource } from "@secretlint/source-creator";
import type {
  SecretLintConfigDescriptor,
  SecretLintCoreConfig,
  SecretLintCoreConfigUnionRule,
  SecretLintUnionRuleCreator,
} from "@secretlint/types";
import ignore from "ignore";
import { parse as parseYaml } from "yaml";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, InvalidInput } from "../lib/errors.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** The rule packages this scanner bundles, by the id `.secretlintrc.yaml` names them with. */
const RULES: ReadonlyMap<string, SecretLintUnionRuleCreator> = new Map(
  [presetRecommend, rulePattern].map((r) => [r.meta.id, r as SecretLintUnionRuleCreator]),
);

const HELP = `deno task scan:secrets: secretlint over the files git would commit

Usage: deno task scan:secrets [FILE...]

  FILE        scan these files instead (relative to the repository, or absolute)
  -h, --help  show this help

Rules: .secretlintrc.yaml; exceptions: there and in .secretlintignore. Found secrets are shown masked.
Exit status: 0 nothing found, 1 secrets found, 2 usage or configuration error.`;

/** A secret the scanner reported. The matched text is masked, never shown. */
export interface Finding {
  /** Path relative to the scanned root. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly ruleId: string;
  readonly messageId: string;
  readonly message: string;
}

/** Options of {@link scanSecrets}. */
export interface ScanOptions {
  /** The folder scanned; paths in the results and in `.secretlintignore` are relative to it. */
  readonly root?: string;
  /** Files to scan, relative to `root`. Default: what git would commit (`git ls-files`). */
  readonly files?: readonly string[];
  /** The secretlint configuration, YAML or JSON. Default `<root>/.secretlintrc.yaml`. */
  readonly configPath?: string;
  /** The ignore file. Default `<root>/.secretlintignore`; a missing file ignores nothing. */
  readonly ignorePath?: string;
}

/** What a scan found. */
export interface ScanResult {
  /** Files scanned. */
  readonly scanned: readonly string[];
  /** Files skipped because `.secretlintignore` lists them. */
  readonly ignored: readonly string[];
  readonly findings: readonly Finding[];
}

/** Turns secretlint's configuration descriptor into its engine's configuration. */
export function coreConfig(descriptor: unknown, source: string): SecretLintCoreConfig {
  const d = descriptor as Partial<SecretLintConfigDescriptor> | null;
  if (!d || typeof d !== "object" || !Array.isArray(d.rules) || d.rules.length === 0) {
    throw new InvalidInput(`${source}: expected {"rules": [{"id": ...}, ...]}`);
  }
  const rules = d.rules.map((r, i): SecretLintCoreConfigUnionRule => {
    const rule = typeof r?.id === "string" ? RULES.get(r.id) : undefined;
    if (!rule) {
      throw new InvalidInput(
        `${source}: rules[${i}]: ${JSON.stringify(r?.id)} is not a rule this scanner bundles ` +
          `(${[...RULES.keys()].join(", ")}); pin its package in tools/deno.json and add it to ` +
          "tasks/scan_secrets.ts",
      );
    }
    // As secretlint's config loader does: a preset's own rules settings become rule entries.
    if (rule.meta.type === "preset" && "rules" in r && Array.isArray(r.rules)) {
      return { ...r, rule, rules: r.rules.map((x) => ({ ...x, type: "rule" })) } as never;
    }
    return { ...r, rule } as SecretLintCoreConfigUnionRule;
  });
  return { ...(d.sharedOptions ? { sharedOptions: d.sharedOptions } : {}), rules };
}

/** The files git would commit in `root`: tracked, plus untracked ones .gitignore lets through. */
export async function committableFiles(root: string): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output().catch((err) => {
    throw new InvalidInput(`cannot list the files of ${root}: git (${describeError(err)})`);
  });
  if (!out.success) {
    throw new InvalidInput(
      `cannot list the files of ${root}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  const names = new TextDecoder().decode(out.stdout).split("\0").filter((n) => n !== "");
  return [...new Set(names)].sort();
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // deleted, not yet committed
    throw err;
  }
}

/**
 * Scans files for secrets with secretlint's recommended rules (or whatever
 * `.secretlintrc.json` selects among the bundled ones).
 *
 * @example
 * ```ts
 * import { scanSecrets } from "./scan_secrets.ts";
 * const { findings } = await scanSecrets({ root: "." });
 * for (const f of findings) console.log(`${f.file}:${f.line}: ${f.message}`);
 * ```
 */
export async function scanSecrets(options: ScanOptions = {}): Promise<ScanResult> {
  const root = resolve(options.root ?? ROOT);
  const configPath = options.configPath ?? resolve(root, ".secretlintrc.yaml");
  let descriptor: unknown;
  try {
    // YAML is a superset of JSON: .secretlintrc.json reads the same way.
    descriptor = parseYaml(await Deno.readTextFile(configPath));
  } catch (err) {
    throw new InvalidInput(`${configPath}: cannot be read (${describeError(err)})`);
  }
  const config = coreConfig(descriptor, relative(root, configPath) || configPath);
  const ignorePath = options.ignorePath ?? resolve(root, ".secretlintignore");
  const ig = ignore();
  try {
    ig.add(await Deno.readTextFile(ignorePath));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const files = options.files ?? await committableFiles(root);
  const scanned: string[] = [];
  const ignored: string[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    const path = resolve(root, file);
    const rel = relative(root, path);
    // .secretlintignore speaks of files under the root; a file elsewhere is always scanned.
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && ig.ignores(rel)) {
      ignored.push(file);
      continue;
    }
    if (!await isRegularFile(path)) continue;
    let source: Awaited<ReturnType<typeof createRawSource>>;
    try {
      source = await createRawSource(path);
    } catch (err) {
      // Listed by git, then removed before it could be read (another process's temporary file).
      if ((err as { code?: string }).code === "ENOENT") continue;
      throw err;
    }
    scanned.push(file);
    const result = await lintSource({
      source,
      // secretlint replaces the matched values in its messages by asterisks.
      options: { config, maskSecrets: true },
    });
    for (const m of result.messages) {
      findings.push({
        file,
        line: m.loc.start.line,
        column: m.loc.start.column + 1,
        ruleId: m.ruleId,
        messageId: m.messageId,
        message: m.message,
      });
    }
  }
  return { scanned, ignored, findings };
}

/** The CLI: prints findings (masked) and returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {}, HELP, { allowPositionals: true });
  if (cli.exit !== undefined) return cli.exit;
  let result: ScanResult;
  try {
    result = await scanSecrets(cli.positionals.length > 0 ? { files: cli.positionals } : {});
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return 2;
  }
  for (const f of result.findings) {
    console.log(`${f.file}:${f.line}:${f.column}  ${f.ruleId}  ${f.message}`);
  }
  const n = result.findings.length;
  console.error(
    `secretlint: ${result.scanned.length} files scanned, ${result.ignored.length} skipped by ` +
      `.secretlintignore, ${n === 0 ? "no secrets found" : `${n} secret${n > 1 ? "s" : ""} found`}`,
  );
  return n === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
