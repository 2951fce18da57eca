/**
 * The import graph of the repository's own TypeScript and the layering it must keep: `lib/` is
 * the pure core and imports only itself; `function/` and `trainer/` are thin entry points over
 * `lib/`; `tasks/` wires everything (it packages the function, starts the trainer, deploys);
 * `bench/` measures everything. Nothing in these folders imports `tests/` or any other file
 * outside them, and no file reaches itself through its imports. README.md's "Architecture"
 * section states the same table; `tests/architecture_test.ts` checks that it does.
 *
 * The graph comes from `deno info --json` (the module graph Deno itself builds, so comments and
 * strings that look like imports are not edges), run once over a root that imports every file;
 * `--no-npm --no-remote` keeps it offline. Static, dynamic (`import("./x.ts")`) and type-only
 * imports all count: a type-only import still ties the two files' designs together.
 * @module
 */
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The folders of the graph, each a layer. */
export const LAYERS = ["lib", "function", "trainer", "tasks", "bench"] as const;
/** One of {@link LAYERS}. */
export type Layer = (typeof LAYERS)[number];

/** What each layer may import, itself included; npm and node: packages are not policed. */
export const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  lib: ["lib"],
  function: ["function", "lib"],
  trainer: ["trainer", "lib"],
  tasks: ["tasks", "function", "trainer", "lib"],
  bench: ["bench", "tasks", "function", "trainer", "lib"],
};

/** Repository-relative, `/`-separated paths of files to the files they import. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The layer a repository-relative path belongs to, or undefined outside the layers. */
export function layerOf(path: string): Layer | undefined {
  const top = path.split("/")[0];
  return LAYERS.find((l) => l === top);
}

/**
 * The imports that break `rules`: one line per edge, naming both files and the rule, e.g.
 * `lib/a.ts imports function/b.ts: lib/ may import only lib/`. Files outside every layer (say
 * `tests/`) are out of scope as importers; as targets they are always forbidden.
 */
export function forbiddenImports(
  graph: ImportGraph,
  rules: Readonly<Record<Layer, readonly Layer[]>> = MAY_IMPORT,
): string[] {
  const out: string[] = [];
  for (const [from, targets] of [...graph].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    const layer = layerOf(from);
    if (!layer) continue;
    const allowed = rules[layer];
    for (const to of [...targets].sort()) {
      const target = layerOf(to);
      if (target !== undefined && allowed.includes(target)) continue;
      out.push(
        `${from} imports ${to}: ${layer}/ may import only ${
          allowed.map((l) => `${l}/`).join(", ")
        }`,
      );
    }
  }
  return out;
}

/**
 * Every import cycle, one per strongly connected component, as a closed path starting and
 * ending at the component's first file in sort order, e.g. `["a.ts", "b.ts", "a.ts"]`; a file
 * that imports itself is a cycle of one edge. Iterative (Tarjan), so depth is no limit.
 */
export function importCycles(graph: ImportGraph): string[][] {
  const nodes = new Set<string>(graph.keys());
  for (const targets of graph.values()) for (const t of targets) nodes.add(t);
  const next = (v: string) => graph.get(v) ?? [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  for (const start of [...nodes].sort()) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = next(frame.v);
      if (frame.i < targets.length) {
        const w = targets[frame.i++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        if (component.length > 1 || next(frame.v).includes(frame.v)) components.push(component);
      }
    }
  }
  return components.map((c) => shortestCycle(graph, new Set(c))).sort((a, b) =>
    a[0]! < b[0]! ? -1 : 1
  );
}

/** The shortest cycle through the first file (in sort order) of a strongly connected set. */
function shortestCycle(graph: ImportGraph, component: ReadonlySet<string>): string[] {
  const first = [...component].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [first];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!component.has(w)) continue;
      if (w === first) {
        const path = [first];
        for (let at: string | undefined = v; at !== undefined && at !== first;) {
          path.push(at);
          at = cameFrom.get(at);
        }
        return [first, ...path.slice(1).reverse(), first];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [first, first];
}

/** Every problem of `graph`: forbidden imports, then cycles as `import cycle: a -> b -> a`. */
export function checkImportGraph(
  graph: ImportGraph,
  rules: Readonly<Record<Layer, readonly Layer[]>> = MAY_IMPORT,
): string[] {
  return [
    ...forbiddenImports(graph, rules),
    ...importCycles(graph).map((c) => `import cycle: ${c.join(" -> ")}`),
  ];
}

/** Every `.ts` file under `root`'s layer folders, repository-relative. */
export async function layerFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory && entry.name !== "node_modules" && !entry.name.startsWith(".")) {
        await walk(path);
      } else if (entry.isFile && /\.(ts|tsx|mts)$/.test(entry.name)) {
        files.push(relative(root, path).split(sep).join("/"));
      }
    }
  };
  for (const layer of LAYERS) await walk(join(root, layer));
  return files.sort();
}

interface InfoModule {
  readonly specifier: string;
  readonly error?: string;
  readonly dependencies?: readonly {
    readonly specifier: string;
    readonly code?: { readonly specifier?: string; readonly error?: string };
    readonly type?: { readonly specifier?: string; readonly error?: string };
  }[];
}

/**
 * The import graph of the layer folders of the repository at `root`, restricted to its own
 * files (imports of npm and node: packages are left out).
 * @throws {Error} if `deno info` fails or a file of the repository cannot be resolved or read,
 *   naming it.
 */
export async function loadImportGraph(root: string): Promise<Map<string, string[]>> {
  const abs = resolve(root);
  const files = await layerFiles(abs);
  const tmp = await Deno.makeTempDir({ prefix: "fluxops-import-graph-" });
  try {
    const entry = join(tmp, "all.ts");
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(pathToFileURL(join(abs, f)).href)};\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "info",
        "--json",
        "--no-npm",
        "--no-remote",
        "--no-lock",
        "--config",
        // The tools config: its import map is the root's plus the test and tool packages
        // (tasks/scan_secrets.ts imports secretlint).
        join(abs, "tools", "deno.json"),
        entry,
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const prefix = pathToFileURL(abs).href + "/";
    const rel = (url: string) => fileURLToPath(url).slice(abs.length + 1).split(sep).join("/");
    const graph = new Map<string, string[]>(files.map((f) => [f, []]));
    for (const m of info.modules) {
      if (!m.specifier.startsWith(prefix)) continue;
      const from = rel(m.specifier);
      if (m.error) throw new Error(`${from}: ${m.error}`);
      const targets = new Set<string>();
      for (const dep of m.dependencies ?? []) {
        for (const r of [dep.code, dep.type]) {
          if (r?.error) throw new Error(`${from}: import "${dep.specifier}": ${r.error}`);
          if (r?.specifier?.startsWith(prefix)) targets.add(rel(r.specifier));
        }
      }
      graph.set(from, [...targets].sort());
    }
    return graph;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
