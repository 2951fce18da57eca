/**
 * Issue 13, item 15: the docs state only what was measured or run. Nothing in FluxOps has run on
 * Azure or GitLab.com, so each document that describes the deploy says so before it describes
 * it; a cold-start figure of this machine's process start is never set against the seed's Azure
 * cold start as if they measured the same thing; and docs/Pipeline_Logic.md lists every defect
 * issue 13 found with its source.
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");
const read = (file: string) => Deno.readTextFileSync(join(ROOT, file));

/** A bold sentence saying the thing was not run on Azure or GitLab.com. */
const NOT_RUN = /\*\*[^*]*\b(not yet|nothing here has)\b[^*]*Azure or GitLab\.com[^*]*\*\*/i;

/** The text of `doc` from `from` (a heading, or the start) up to the next heading of any level. */
function section(doc: string, from?: string): string {
  const start = from === undefined ? doc.indexOf("\n") + 1 : doc.indexOf(from);
  assert.ok(start >= 0, `heading ${from}`);
  const body = doc.slice(start + (from?.length ?? 0));
  const next = body.search(/^#{1,6} /m);
  return next < 0 ? body : body.slice(0, next);
}

Deno.test("each document describing the deploy says first that it never ran on Azure or GitLab.com", () => {
  const cases: [file: string, heading: string | undefined][] = [
    ["README.md", undefined],
    ["docs/Case_Study.md", undefined],
    ["docs/Pipeline_Logic.md", undefined],
    ["QUICKSTART.md", "## 3. Azure through GitLab"],
  ];
  for (const [file, heading] of cases) {
    assert.match(section(read(file), heading), NOT_RUN, `${file}: ${heading ?? "introduction"}`);
  }
});

Deno.test("a process-start figure is never set against the seed's Azure cold start as comparable", () => {
  for (const file of ["README.md", "docs/Case_Study.md", "docs/benchmarks.md"]) {
    // Paragraphs, and table rows one by one.
    const blocks = read(file).split(/\n\s*\n/).flatMap((b) =>
      b.trimStart().startsWith("|") ? b.split("\n") : [b]
    );
    for (const block of blocks.filter((b) => /\b2 (to|-|–) 5 s\b/.test(b))) {
      assert.match(
        block,
        /not comparable|measure different things/i,
        `${file}: ${block.slice(0, 200)}`,
      );
    }
  }
  const caseStudy = read("docs/Case_Study.md");
  assert.match(caseStudy, /The two start figures measure different things/);
  assert.match(caseStudy, /spawning the packaged/);
});

Deno.test("docs/Pipeline_Logic.md lists all fifteen defects of issue 13 with behaviour, source, fix and test", () => {
  const table = section(
    read("docs/Pipeline_Logic.md"),
    "## Issue 13: what a first real deploy would hit",
  );
  const rows = table.split("\n").filter((l) => /^\|\s*\d+\s*\|/.test(l));
  assert.deepEqual(
    rows.map((r) => Number(r.split("|")[1])),
    [...Array(15).keys()].map((i) => i + 1),
  );
  for (const row of rows) {
    const cells = row.split("|").slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 5, row);
    for (const cell of cells) assert.ok(cell.length > 0, row);
    assert.match(cells[4]!, /`[\w./-]+`/, `row ${cells[0]} names a test`);
  }
  // The rows this part of the work delivers name tests that exist.
  for (const n of [5, 7, 8, 13, 15]) {
    const tests = [...rows[n - 1]!.split("|")[5]!.matchAll(/`(tests\/pipeline\/[\w./-]+)`/g)];
    assert.ok(tests.length > 0, `row ${n}`);
    for (const [, file] of tests) assert.ok(existsSync(join(ROOT, file!)), file);
  }
});

/** Rows `| n | ... |` of the table in `text`, as trimmed cells. */
function numberedRows(text: string): string[][] {
  return text.split("\n").filter((l) => /^\|\s*\d+\s*\|/.test(l)).map((r) =>
    r.split("|").slice(1, -1).map((c) => c.trim())
  );
}

Deno.test("docs/IaC_Design.md lists all fifteen defects of issue 13 with behaviour, source and test", () => {
  const rows = numberedRows(
    section(read("docs/IaC_Design.md"), "## First real deploy: Azure behaviours designed for"),
  );
  assert.deepEqual(rows.map((r) => Number(r[0])), [...Array(15).keys()].map((i) => i + 1));
  for (const cells of rows) {
    assert.equal(cells.length, 4, cells.join(" | "));
    for (const cell of cells) assert.ok(cell.length > 0, cells.join(" | "));
    assert.match(cells[3]!, /`(tests|infra)\/[\w./-]+`/, `item ${cells[0]} names a test file`);
  }
});

Deno.test("every test file, test name and tofu run the issue 13 tables cite exists", () => {
  const runs = new Set(
    ["infra/tests/stack.tftest.hcl", "infra/bootstrap/tests/bootstrap.tftest.hcl"].flatMap((f) =>
      [...read(f).matchAll(/^run "(\w+)"/gm)].map((m) => m[1]!)
    ),
  );
  const tables: [file: string, heading: string][] = [
    ["docs/Pipeline_Logic.md", "## Issue 13: what a first real deploy would hit"],
    ["docs/IaC_Design.md", "## First real deploy: Azure behaviours designed for"],
  ];
  for (const [file, heading] of tables) {
    // The last cell of every table row is its test column.
    const cells = section(read(file), heading).split("\n").filter((l) => l.startsWith("| "))
      .map((row) => row.split("|").slice(1, -1).at(-1)!.trim());
    for (const cell of cells) {
      for (const [, path] of cell.matchAll(/`((?:tests|infra)\/[\w./-]*)`/g)) {
        assert.ok(existsSync(join(ROOT, path!)), `${file} cites ${path}, which does not exist`);
      }
      // Tofu runs: bare identifiers outside parentheses (`stack`), and every identifier in a
      // "(run `x`" or "(runs `x`, `y`)" remark; other remarks name resources or attributes.
      const remarks = [...cell.matchAll(/\(([^()]*)\)/g)].map((m) => m[1]!);
      const named = [
        cell.replace(/\([^()]*\)/g, ""),
        ...remarks.filter((r) => /^runs? `/.test(r)),
      ];
      for (const [, run] of named.join(" ").matchAll(/`(\w+)`/g)) {
        assert.ok(runs.has(run!), `${file} cites tofu run ${run}, which does not exist`);
      }
      for (const [, name] of cell.matchAll(/\("([^"]+)"\)/g)) {
        assert.ok(testNamed(name!), `${file} cites the test "${name}", which does not exist`);
      }
    }
  }
});

/** Whether some test file under tests/ declares a test with exactly this name. */
function testNamed(name: string): boolean {
  const walk = (dir: string): boolean =>
    [...Deno.readDirSync(dir)].some((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory) return walk(p);
      return e.name.endsWith("_test.ts") && Deno.readTextFileSync(p).includes(JSON.stringify(name));
    });
  return walk(join(ROOT, "tests"));
}

Deno.test("QUICKSTART.md explains resuming a deploy, with flags deno task deploy --help lists", () => {
  const quickstart = read("QUICKSTART.md");
  const local = section(quickstart, "## 2. Local: rehearse the whole delivery");
  assert.match(local, /A rerun after a kill converges/);
  const help = read("tasks/deploy.ts");
  for (const flag of ["--fresh", "--host-restart-ms"]) {
    assert.match(local, new RegExp(`\`${flag}\\b`), `QUICKSTART section 2 mentions ${flag}`);
    assert.match(help, new RegExp(`^  ${flag}\\b`, "m"), `deno task deploy --help lists ${flag}`);
  }
});

Deno.test("QUICKSTART.md's first deploy applies infra/bootstrap and sets prod's vault access before the first push", () => {
  const steps = section(read("QUICKSTART.md"), "### First deploy");
  const at = (re: RegExp) => {
    const i = steps.search(re);
    assert.ok(i >= 0, String(re));
    return i;
  };
  const bootstrap = at(/^1\. `infra\/bootstrap` applied/m);
  const vault = at(/Prod Key Vault access/);
  const push = at(/^\d\. Push to `develop`/m);
  assert.ok(bootstrap < vault && vault < push, "bootstrap, then variables, then the first push");
});
