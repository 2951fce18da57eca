import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidInput } from "../../lib/errors.ts";
import { main, parseLcov, toCobertura } from "../../tasks/lcov_to_cobertura.ts";

const ROOT = "/repo";
const LCOV = `TN:
SF:/repo/lib/a.ts
FN:1,alpha
FN:5,beta
FNDA:3,alpha
FNDA:0,beta
DA:1,3
DA:2,3
DA:5,0
BRDA:2,0,0,3
BRDA:2,0,1,-
LF:3
LH:2
BRF:2
BRH:1
end_of_record
SF:/repo/lib/deploy/b&c.ts
DA:1,1
end_of_record
SF:/elsewhere/npm/x.js
DA:1,0
end_of_record
SF:/repo/lib/a.ts
DA:5,2
end_of_record
`;

Deno.test("parseLcov() merges records per file, relative to the root, and drops outside files", () => {
  const files = parseLcov(LCOV, { root: ROOT });
  assert.deepEqual(files.map((f) => f.path), ["lib/a.ts", "lib/deploy/b&c.ts"]);
  const a = files[0]!;
  assert.deepEqual([...a.lines], [[1, 3], [2, 3], [5, 2]]);
  assert.deepEqual([...a.branches], [[2, { total: 2, taken: 1 }]]);
  assert.deepEqual(a.functions, [{ name: "alpha", line: 1, hits: 3 }, {
    name: "beta",
    line: 5,
    hits: 0,
  }]);
});

Deno.test("toCobertura() writes GitLab's Cobertura XML with rates, branches and escaped names", () => {
  const xml = toCobertura(parseLcov(LCOV, { root: ROOT }), { root: ROOT, timestamp: 1 });
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE coverage SYSTEM/);
  assert.match(
    xml,
    /<coverage line-rate="1.0000" branch-rate="0.5000" lines-covered="4" lines-valid="4" branches-covered="1" branches-valid="2" complexity="0" version="fluxops" timestamp="1">/,
  );
  assert.match(xml, /<source>\/repo<\/source>/);
  assert.match(xml, /<package name="lib" line-rate="1.0000" branch-rate="0.5000"/);
  assert.match(xml, /<package name="lib.deploy" /);
  assert.match(
    xml,
    /<class name="b&amp;c.ts" filename="lib\/deploy\/b&amp;c.ts" line-rate="1.0000"/,
  );
  assert.match(xml, /<line number="2" hits="3" branch="true" condition-coverage="50% \(1\/2\)"\/>/);
  assert.match(xml, /<line number="5" hits="2" branch="false"\/>/);
  assert.match(xml, /<method name="beta" signature="" line-rate="0"/);
  // Well-formed enough for GitLab: every opened element is closed.
  for (const tag of ["coverage", "sources", "packages", "package", "classes", "class", "lines"]) {
    const open = xml.match(new RegExp(`<${tag}[ >]`, "g"))?.length ?? 0;
    const close = xml.match(new RegExp(`</${tag}>`, "g"))?.length ?? 0;
    assert.equal(open, close, tag);
  }
});

Deno.test("toCobertura() of an empty report is valid and counts nothing", () => {
  const xml = toCobertura([], { root: ROOT, timestamp: 1 });
  assert.match(xml, /line-rate="1" branch-rate="1" lines-covered="0" lines-valid="0"/);
  assert.ok(xml.includes("<packages>\n  </packages>"));
});

Deno.test("parseLcov() rejects malformed records, naming the line", () => {
  const cases: [string, RegExp][] = [
    ["DA:1,1\n", /lcov line 1: DA record outside a file/],
    ["SF:/repo/a.ts\nDA:x,1\n", /lcov line 2: expected a count, got "x"/],
    ["SF:/repo/a.ts\nDA:1\n", /lcov line 2: expected a count, got undefined/],
    ["SF:/repo/a.ts\nXX:1\n", /lcov line 2: unknown LCOV record "XX"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseLcov(text, { root: ROOT }), (err) => {
      assert.ok(err instanceof InvalidInput);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("deno task lcov:cobertura converts a file, and exits 2 on bad usage, 1 on bad input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lcov = join(dir, "cov.lcov");
    await Deno.writeTextFile(lcov, LCOV.replaceAll("/repo", dir));
    assert.equal(await main([lcov, "--root", dir, "--out", join(dir, "cov.xml")]), 0);
    assert.match(await Deno.readTextFile(join(dir, "cov.xml")), /filename="lib\/a.ts"/);
    assert.equal(await main([]), 2);
    assert.equal(await main([lcov, "--bogus"]), 2);
    await Deno.writeTextFile(lcov, "DA:1,1\n");
    assert.equal(await main([lcov, "--out", join(dir, "bad.xml")]), 1);
    await assert.rejects(() => Deno.stat(join(dir, "bad.xml")), Deno.errors.NotFound);
    assert.equal(await main([join(dir, "missing.lcov")]), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
