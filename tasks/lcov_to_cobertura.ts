/**
 * `deno task lcov:cobertura LCOV_FILE [--out FILE] [--root DIR]`: converts `deno coverage
 * --lcov` output to Cobertura XML for GitLab's coverage report, and prints the line coverage.
 *
 * GitLab's `artifacts:reports:coverage_report` reads the Cobertura XML to show covered lines in
 * merge-request diffs.
 *
 * LCOV records: `SF:<file>`, `FN:<line>,<name>`, `FNDA:<hits>,<name>`, `DA:<line>,<hits>`,
 * `BRDA:<line>,<block>,<branch>,<taken|->`, `end_of_record` (the LF/LH/BRF/BRH totals are
 * recomputed from the detail lines). Cobertura groups files (`class`) by folder (`package`);
 * file names are made relative to `root`, which becomes the report's `<source>`, because GitLab
 * matches them against the repository's paths.
 * @module
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError, FluxError, InvalidInput } from "../lib/errors.ts";

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

/** One file's coverage. */
export interface FileCoverage {
  /** Path relative to the root, `/`-separated. */
  readonly path: string;
  /** Hits by line number. */
  readonly lines: ReadonlyMap<number, number>;
  /** Branches by line number: how many there are and how many were taken. */
  readonly branches: ReadonlyMap<number, { readonly total: number; readonly taken: number }>;
  /** Functions: name, first line, hits. */
  readonly functions: readonly { name: string; line: number; hits: number }[];
}

/** Options of {@link parseLcov}. */
export interface ParseOptions {
  /** Paths are made relative to this folder; files outside it are left out. */
  readonly root: string;
}

function int(text: string | undefined, where: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidInput(`${where}: expected a count, got ${JSON.stringify(text)}`);
  }
  return Math.floor(n);
}

/**
 * Parses LCOV text into per-file coverage, merging records of the same file.
 * @throws {InvalidInput} naming the line of a malformed record.
 */
export function parseLcov(text: string, { root }: ParseOptions): FileCoverage[] {
  interface Acc {
    lines: Map<number, number>;
    branches: Map<number, { total: number; taken: number }>;
    fnLines: Map<string, number>;
    fnHits: Map<string, number>;
  }
  const files = new Map<string, Acc>();
  let current: Acc | undefined;
  let skipping = false;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const where = `lcov line ${i + 1}`;
    if (line === "end_of_record") {
      current = undefined;
      skipping = false;
      continue;
    }
    const colon = line.indexOf(":");
    const tag = colon < 0 ? line : line.slice(0, colon);
    const rest = colon < 0 ? "" : line.slice(colon + 1);
    if (tag === "SF") {
      let file = rest.startsWith("file://") ? decodeURIComponent(new URL(rest).pathname) : rest;
      if (isAbsolute(file)) file = relative(root, file);
      if (file.startsWith("..") || isAbsolute(file)) {
        skipping = true;
        current = undefined;
        continue;
      }
      const key = file.split(sep).join("/");
      current = files.get(key);
      if (!current) {
        current = { lines: new Map(), branches: new Map(), fnLines: new Map(), fnHits: new Map() };
        files.set(key, current);
      }
      skipping = false;
      continue;
    }
    if (skipping || ["TN", "LF", "LH", "BRF", "BRH", "FNF", "FNH", "VER"].includes(tag)) continue;
    if (!current) {
      throw new InvalidInput(`${where}: ${tag} record outside a file (no SF: before it)`);
    }
    const parts = rest.split(",");
    switch (tag) {
      case "DA": {
        const n = int(parts[0], where);
        current.lines.set(n, (current.lines.get(n) ?? 0) + int(parts[1], where));
        break;
      }
      case "BRDA": {
        const n = int(parts[0], where);
        const b = current.branches.get(n) ?? { total: 0, taken: 0 };
        const taken = parts[3] === "-" ? 0 : int(parts[3], where);
        b.total += 1;
        if (taken > 0) b.taken += 1;
        current.branches.set(n, b);
        break;
      }
      case "FN": {
        const name = parts.slice(1).join(",");
        current.fnLines.set(name, int(parts[0], where));
        break;
      }
      case "FNDA": {
        const name = parts.slice(1).join(",");
        current.fnHits.set(name, (current.fnHits.get(name) ?? 0) + int(parts[0], where));
        break;
      }
      default:
        throw new InvalidInput(`${where}: unknown LCOV record ${JSON.stringify(tag)}`);
    }
  }
  return [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, acc]) => ({
    path,
    lines: acc.lines,
    branches: acc.branches,
    functions: [...acc.fnLines.entries()].map(([name, line]) => ({
      name,
      line,
      hits: acc.fnHits.get(name) ?? 0,
    })),
  }));
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

const rate = (hit: number, all: number) => (all === 0 ? "1" : (hit / all).toFixed(4));

interface Totals {
  lines: number;
  linesHit: number;
  branches: number;
  branchesHit: number;
}

function totals(files: readonly FileCoverage[]): Totals {
  const t: Totals = { lines: 0, linesHit: 0, branches: 0, branchesHit: 0 };
  for (const f of files) {
    for (const hits of f.lines.values()) {
      t.lines++;
      if (hits > 0) t.linesHit++;
    }
    for (const b of f.branches.values()) {
      t.branches += b.total;
      t.branchesHit += b.taken;
    }
  }
  return t;
}

/** Options of {@link toCobertura}. */
export interface CoberturaOptions {
  /** The folder the file paths are relative to (the report's `<source>`). */
  readonly root: string;
  /** Report time, seconds since the epoch. Default now. */
  readonly timestamp?: number;
}

/**
 * Writes Cobertura XML (coverage-04 DTD) for `files`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLcov, toCobertura } from "./lcov_to_cobertura.ts";
 * const root = Deno.cwd();
 * const lcovText = `SF:${root}/lib/a.ts\nDA:1,1\nDA:2,0\nend_of_record\n`;
 * const xml = toCobertura(parseLcov(lcovText, { root }), { root });
 * assert.match(xml, /<coverage line-rate="0.5000"/);
 * ```
 */
export function toCobertura(
  files: readonly FileCoverage[],
  { root, timestamp = Math.floor(Date.now() / 1000) }: CoberturaOptions,
): string {
  const all = totals(files);
  const packages = new Map<string, FileCoverage[]>();
  for (const f of files) {
    const dir = f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/")) : ".";
    packages.set(dir, [...(packages.get(dir) ?? []), f]);
  }
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">`,
    `<coverage line-rate="${rate(all.linesHit, all.lines)}" branch-rate="${
      rate(all.branchesHit, all.branches)
    }" lines-covered="${all.linesHit}" lines-valid="${all.lines}" branches-covered="${all.branchesHit}" branches-valid="${all.branches}" complexity="0" version="fluxops" timestamp="${timestamp}">`,
    `  <sources>`,
    `    <source>${esc(root)}</source>`,
    `  </sources>`,
    `  <packages>`,
  ];
  for (const [dir, group] of [...packages.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const t = totals(group);
    out.push(
      `    <package name="${esc(dir === "." ? "." : dir.replaceAll("/", "."))}" line-rate="${
        rate(t.linesHit, t.lines)
      }" branch-rate="${rate(t.branchesHit, t.branches)}" complexity="0">`,
      `      <classes>`,
    );
    for (const f of group) {
      const ft = totals([f]);
      const name = f.path.slice(f.path.lastIndexOf("/") + 1);
      out.push(
        `        <class name="${esc(name)}" filename="${esc(f.path)}" line-rate="${
          rate(ft.linesHit, ft.lines)
        }" branch-rate="${rate(ft.branchesHit, ft.branches)}" complexity="0">`,
        `          <methods>`,
      );
      for (const fn of f.functions) {
        out.push(
          `            <method name="${esc(fn.name)}" signature="" line-rate="${
            fn.hits > 0 ? "1" : "0"
          }" branch-rate="1" complexity="0">`,
          `              <lines><line number="${fn.line}" hits="${fn.hits}"/></lines>`,
          `            </method>`,
        );
      }
      out.push(`          </methods>`, `          <lines>`);
      const numbers = [...new Set([...f.lines.keys(), ...f.branches.keys()])].sort((a, b) => a - b);
      for (const n of numbers) {
        const b = f.branches.get(n);
        const hits = f.lines.get(n) ?? 0;
        out.push(
          b && b.total > 0
            ? `            <line number="${n}" hits="${hits}" branch="true" condition-coverage="${
              Math.round((100 * b.taken) / b.total)
            }% (${b.taken}/${b.total})"/>`
            : `            <line number="${n}" hits="${hits}" branch="false"/>`,
        );
      }
      out.push(`          </lines>`, `        </class>`);
    }
    out.push(`      </classes>`, `    </package>`);
  }
  out.push(`  </packages>`, `</coverage>`, ``);
  return out.join("\n");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
