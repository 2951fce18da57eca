/**
 * Issue 14, item 9: every relative link and `#anchor` in the Markdown files resolves. A merge lost
 * README's "Canary and shadow releases" while QUICKSTART still linked to it; this test fails on
 * such a link, naming the file, the line and the target.
 *
 * Anchors follow GitHub's (and GitLab's) heading ids: the heading's text without Markdown marks,
 * lower case, every character that is not a letter, digit, space, `-` or `_` dropped, spaces
 * turned into `-`, and `-1`, `-2`, ... added to repeats.
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");

/** Folders that hold no documentation of the repository (build output, data, virtual envs). */
const SKIP_DIRS = new Set(["dist", "node_modules", "data", "site-packages"]);

/** A link found in a Markdown file. */
interface Link {
  readonly line: number;
  readonly target: string;
}

/** The heading id GitHub gives `text`. */
export function slug(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML tags
    .replace(/[`*~]/g, "") // code, emphasis and strike marks; `_` stays, as GitHub keeps it
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
    .replace(/ /g, "-");
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  let fence: string | undefined;
  text.split("\n").forEach((line, i) => {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && open !== undefined) {
      fence = open;
    } else if (fence !== undefined) {
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") {
        fence = undefined;
      }
    } else {
      out.push([i + 1, line]);
    }
  });
  return out;
}

/** Every anchor a Markdown document defines: heading ids (with repeats numbered) and HTML ids. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, line] of proseLines(text)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** Every link of a Markdown document outside code: inline `[text](target)` and `[id]: target`. */
export function linksOf(text: string): Link[] {
  const links: Link[] = [];
  for (const [line, raw] of proseLines(text)) {
    const prose = raw.replace(/`[^`]*`/g, "``");
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line, target: m[1]! });
    }
    const ref = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/.exec(prose)?.[1];
    if (ref !== undefined) links.push({ line, target: ref });
  }
  return links;
}

/** Reads a file, or undefined when it does not exist. */
function readIfFile(path: string): string | undefined {
  try {
    return Deno.statSync(path).isFile ? Deno.readTextFileSync(path) : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * The broken links of the Markdown file at `path` (text `text`), each as
 * `file:line: target (why)`. External links (with a scheme) are not followed.
 */
export function brokenLinks(path: string, text: string, root: string = ROOT): string[] {
  const broken: string[] = [];
  const where = relative(root, path);
  for (const { line, target } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const hash = target.indexOf("#");
    const file = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const dest = file === "" ? path : join(dirname(path), file);
    let destText: string | undefined = file === "" ? text : undefined;
    if (file !== "") {
      try {
        Deno.statSync(dest);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        broken.push(`${where}:${line}: ${target} (no such file ${relative(root, dest)})`);
        continue;
      }
      destText = readIfFile(dest);
    }
    if (anchor === undefined || anchor === "") continue;
    if (!dest.endsWith(".md") || destText === undefined) {
      broken.push(`${where}:${line}: ${target} (an anchor into a file that is not Markdown)`);
    } else if (!anchorsOf(destText).has(anchor)) {
      broken.push(`${where}:${line}: ${target} (no heading with id "${anchor}")`);
    }
  }
  return broken;
}

/** The repository's Markdown files, relative paths sorted. */
function markdownFiles(dir: string = ROOT): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    const skip = SKIP_DIRS.has(entry.name) || entry.name.startsWith("."); // .git, .fluxops, .venv
    if (entry.isDirectory && !skip) out.push(...markdownFiles(path));
    else if (entry.isFile && entry.name.endsWith(".md")) out.push(path);
  }
  return out.sort();
}

Deno.test("slug() gives GitHub's heading ids", () => {
  const cases: [heading: string, id: string][] = [
    ["Canary and shadow releases", "canary-and-shadow-releases"],
    ["Training at scale (issue 7)", "training-at-scale-issue-7"],
    ["deno task predict vs pandas + scikit-learn", "deno-task-predict-vs-pandas--scikit-learn"],
    ["Drift: per-row cost and minimum window", "drift-per-row-cost-and-minimum-window"],
    [
      "Data, lineage, the promotion gate and sharded training",
      "data-lineage-the-promotion-gate-and-sharded-training",
    ],
    [
      "3. Azure through GitLab (3 minutes of typing, then the pipeline)",
      "3-azure-through-gitlab-3-minutes-of-typing-then-the-pipeline",
    ],
    [
      "First run: what `deno task start` downloads (issue 14)",
      "first-run-what-deno-task-start-downloads-issue-14",
    ],
    ["HTTP: FluxOps vs FastAPI + scikit-learn", "http-fluxops-vs-fastapi--scikit-learn"],
    ["[benchmarks](docs/benchmarks.md) and snake_case", "benchmarks-and-snake_case"],
  ];
  for (const [heading, id] of cases) assert.equal(slug(heading), id, heading);
});

Deno.test("anchorsOf() numbers repeated headings and skips headings inside code fences", () => {
  const doc = '# A\n\n## Notes\n\n```sh\n# not a heading\n```\n\n## Notes\n<a id="here"></a>\n';
  assert.deepEqual([...anchorsOf(doc)].sort(), ["a", "here", "notes", "notes-1"]);
});

Deno.test("brokenLinks() names the file, line and target of each link that does not resolve", () => {
  const path = join(ROOT, "README.md");
  const doc = [
    "# Top",
    "[ok](#top) [ok](QUICKSTART.md) [ok](docs/) [web](https://example.com/#x)",
    "[gone](#canary-and-shadow-release) `[in code](#nowhere)`",
    "[missing](docs/nothing.md) [bad anchor](QUICKSTART.md#no-such-heading)",
    "[ref]: #also-missing",
  ].join("\n");
  assert.deepEqual(brokenLinks(path, doc), [
    'README.md:3: #canary-and-shadow-release (no heading with id "canary-and-shadow-release")',
    "README.md:4: docs/nothing.md (no such file docs/nothing.md)",
    'README.md:4: QUICKSTART.md#no-such-heading (no heading with id "no-such-heading")',
    'README.md:5: #also-missing (no heading with id "also-missing")',
  ]);
});

Deno.test("every relative link and anchor in the repository's Markdown files resolves", () => {
  const files = markdownFiles();
  for (const must of ["README.md", "QUICKSTART.md", "docs/benchmarks.md", "bench/README.md"]) {
    assert.ok(files.includes(join(ROOT, must)), `${must} is checked`);
  }
  const broken = files.flatMap((path) => brokenLinks(path, Deno.readTextFileSync(path)));
  assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
});

Deno.test("every Markdown file a document names in backticks is in the repository", () => {
  // Docs once cited the build machine's notes (`shared/ENVIRONMENT.md`), which readers do not have.
  const missing: string[] = [];
  for (const path of markdownFiles()) {
    const text = Deno.readTextFileSync(path);
    for (const [line, prose] of proseLines(text)) {
      for (const m of prose.matchAll(/`([A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]*\.md)`/g)) {
        const named = m[1]!;
        const found = [join(ROOT, named), join(dirname(path), named)].some((p) => {
          try {
            return Deno.statSync(p).isFile;
          } catch {
            return false;
          }
        });
        if (!found) missing.push(`${relative(ROOT, path)}:${line}: ${named}`);
      }
    }
  }
  assert.deepEqual(missing, [], `files named but not in the repository:\n${missing.join("\n")}`);
});
