import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  checkImportGraph,
  importCycles,
  type ImportGraph,
  LAYERS,
  loadImportGraph,
  MAY_IMPORT,
} from "./support/import_graph.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

const CASES: readonly {
  readonly name: string;
  readonly graph: Record<string, string[]>;
  readonly problems: readonly string[];
}[] = [
  {
    name: "a layered graph without cycles",
    graph: {
      "lib/a.ts": ["lib/b.ts"],
      "lib/b.ts": [],
      "function/main.ts": ["lib/a.ts", "function/handler.ts"],
      "function/handler.ts": ["lib/b.ts"],
      "tasks/build.ts": ["function/handler.ts", "trainer/main.ts", "lib/a.ts"],
      "trainer/main.ts": ["lib/a.ts"],
      "bench/x.ts": ["tasks/build.ts"],
      "tests/a_test.ts": ["tests/support/s.ts", "bench/x.ts"],
    },
    problems: [],
  },
  {
    name: "lib/ importing an entry point",
    graph: { "lib/a.ts": ["function/handler.ts"], "function/handler.ts": [] },
    problems: ["lib/a.ts imports function/handler.ts: lib/ may import only lib/"],
  },
  {
    name: "a type-only edge counts like any other",
    graph: { "lib/a.ts": ["tasks/deploy/steps.ts"] },
    problems: ["lib/a.ts imports tasks/deploy/steps.ts: lib/ may import only lib/"],
  },
  {
    name: "function/ importing tasks/",
    graph: { "function/main.ts": ["tasks/start.ts", "lib/a.ts"] },
    problems: [
      "function/main.ts imports tasks/start.ts: function/ may import only function/, lib/",
    ],
  },
  {
    name: "trainer/ importing function/",
    graph: { "trainer/main.ts": ["function/handler.ts"] },
    problems: [
      "trainer/main.ts imports function/handler.ts: trainer/ may import only trainer/, lib/",
    ],
  },
  {
    name: "tasks/ importing bench/",
    graph: { "tasks/start.ts": ["bench/x.ts"] },
    problems: [
      "tasks/start.ts imports bench/x.ts: tasks/ may import only tasks/, function/, trainer/, lib/",
    ],
  },
  {
    name: "a layer importing tests/",
    graph: { "bench/soak.ts": ["tests/support/slow.ts"] },
    problems: [
      "bench/soak.ts imports tests/support/slow.ts: bench/ may import only bench/, tasks/, " +
      "function/, trainer/, lib/",
    ],
  },
  {
    name: "a two-file cycle",
    graph: {
      "lib/drift/offline.ts": ["lib/drift/html.ts"],
      "lib/drift/html.ts": ["lib/drift/offline.ts"],
    },
    problems: ["import cycle: lib/drift/html.ts -> lib/drift/offline.ts -> lib/drift/html.ts"],
  },
  {
    name: "a three-file cycle behind an acyclic part",
    graph: {
      "tasks/t.ts": ["lib/c.ts"],
      "lib/a.ts": ["lib/b.ts"],
      "lib/b.ts": ["lib/c.ts", "lib/d.ts"],
      "lib/c.ts": ["lib/a.ts"],
      "lib/d.ts": [],
    },
    problems: ["import cycle: lib/a.ts -> lib/b.ts -> lib/c.ts -> lib/a.ts"],
  },
  {
    name: "a file importing itself",
    graph: { "lib/a.ts": ["lib/a.ts"] },
    problems: ["import cycle: lib/a.ts -> lib/a.ts"],
  },
  {
    name: "a forbidden edge that also closes a cycle",
    graph: { "lib/a.ts": ["function/b.ts"], "function/b.ts": ["lib/a.ts"] },
    problems: [
      "lib/a.ts imports function/b.ts: lib/ may import only lib/",
      "import cycle: function/b.ts -> lib/a.ts -> function/b.ts",
    ],
  },
];

for (const c of CASES) {
  Deno.test(`checkImportGraph() reports ${c.name} as ${c.problems.length} problem(s)`, () => {
    assert.deepEqual(checkImportGraph(graph(c.graph)), c.problems);
  });
}

Deno.test("importCycles() finds one cycle per strongly connected set on a long chain", () => {
  // A 20,000-file ring: deep enough to overflow a recursive search.
  const n = 20_000;
  const edges = new Map<string, string[]>();
  for (let i = 0; i < n; i++) edges.set(`lib/f${i}.ts`, [`lib/f${(i + 1) % n}.ts`]);
  const cycles = importCycles(edges);
  assert.equal(cycles.length, 1);
  assert.equal(cycles[0]!.length, n + 1);
});

Deno.test("the rules let every layer import itself and lib/, and lib/ nothing else", () => {
  for (const layer of LAYERS) {
    assert.ok(MAY_IMPORT[layer].includes(layer), layer);
    assert.ok(MAY_IMPORT[layer].includes("lib"), layer);
  }
  assert.deepEqual(MAY_IMPORT.lib, ["lib"]);
});

Deno.test("the repository's import graph keeps the layers and has no cycle", async () => {
  const t0 = performance.now();
  const real = await loadImportGraph(ROOT);
  const ms = performance.now() - t0;
  // The graph really is the tree's: a handful of edges every version of it has.
  assert.ok(real.size > 100, `only ${real.size} files`);
  assert.ok(real.get("tasks/deploy.ts")?.includes("tasks/deploy/steps.ts"));
  assert.ok(real.get("function/main.ts")?.some((f) => f.startsWith("lib/")));
  assert.deepEqual(checkImportGraph(real), []);
  console.log(`import graph: ${real.size} files in ${ms.toFixed(0)} ms`);
});

/** README.md's "## Architecture" section, up to the next heading of level 2. */
async function architectureSection(): Promise<string> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const start = readme.indexOf("\n## Architecture\n");
  assert.ok(start >= 0, 'README.md has no "## Architecture" section');
  const body = readme.slice(start + 1);
  const end = body.indexOf("\n## ", 1);
  return end < 0 ? body : body.slice(0, end);
}

/** The cross-folder imports MAY_IMPORT allows, as "from -> to". */
const allowedCrossEdges = () =>
  LAYERS.flatMap((from) =>
    MAY_IMPORT[from].filter((to) => to !== from).map((to) => `${from} -> ${to}`)
  )
    .sort();

Deno.test("README's Architecture table lists each folder with exactly what the rules let it import", async () => {
  const rows = new Map<string, string[]>();
  for (const line of (await architectureSection()).split("\n")) {
    const m = /^\|\s*`(\w+)\/`\s*\|([^|]*)\|\s*$/.exec(line);
    if (!m) continue;
    rows.set(m[1]!, [...m[2]!.matchAll(/`(\w+)\/`/g)].map((x) => x[1]!).sort());
  }
  assert.deepEqual(
    Object.fromEntries(rows),
    Object.fromEntries(LAYERS.map((l) => [l, [...MAY_IMPORT[l]].sort()])),
  );
});

Deno.test("README's Architecture diagram draws exactly the cross-folder imports the rules allow", async () => {
  const section = await architectureSection();
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(diagram, "no mermaid diagram in the Architecture section");
  const edges = [...diagram.matchAll(/^\s*(\w+)(?:\[[^\]]*\])?\s*-->\s*(\w+)/gm)].map((m) =>
    `${m[1]} -> ${m[2]}`
  ).sort();
  assert.deepEqual(edges, allowedCrossEdges());
});
