/**
 * The drift statistics against the reference implementations: scipy (KS statistic and p-value,
 * the one-sample KS distribution, the chi-square tail, Wasserstein, Jensen-Shannon, chi-square
 * tests) on generated data and on scikit-learn's bundled data sets, and Evidently's verdicts on
 * the same reference and current frames. Needs the test venv (.ci/setup_tools.sh): without it
 * and without CI=true the tests are skipped with a reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Rng } from "../../../lib/data/random.ts";
import { chi2Homogeneity } from "../../../lib/drift/binned_tests.ts";
import { driftOfTable, type DriftReport } from "../../../lib/drift/offline.ts";
import { chi2Gof, jsDistance } from "../../../lib/drift/stats/bins.ts";
import { chi2Sf } from "../../../lib/drift/stats/gamma.ts";
import { kolmogorovSf } from "../../../lib/drift/stats/kolmogorov.ts";
import { ks2Samp } from "../../../lib/drift/stats/ks.ts";
import { populationStd, wassersteinSorted } from "../../../lib/drift/stats/wasserstein.ts";
import type { DriftTable } from "../../../lib/drift/table_reader.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import {
  buildArtifact,
  classFrequencies,
  type LoadedModel,
  parseModel,
  serializeModel,
} from "../../../lib/model/artifact.ts";
import { featureStats } from "../../../lib/model/feature_stats.ts";
import { needsTool, pythonWith } from "../../support/python.ts";

const SCIPY = pythonWith("scipy");
const EVIDENTLY = pythonWith("evidently");
const HERE = import.meta.dirname!;

async function python(py: string, script: string, request: unknown): Promise<unknown> {
  const child = new Deno.Command(py, {
    args: [join(HERE, script)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(request)));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${script} failed: ${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout));
}

/** p-values agree within max(1e-4, 1%) of scipy's. */
function assertP(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= Math.max(1e-4, 0.01 * expected),
    `${what}: ${actual} vs scipy ${expected}`,
  );
}

function relClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(Math.abs(expected), 1e-300),
    `${what}: ${actual} vs scipy ${expected}`,
  );
}

function sample(rng: Rng, n: number, f: (rng: Rng) => number): number[] {
  return Array.from({ length: n }, () => f(rng));
}

/** Pairs of samples: exact and asymptotic sizes, equal and unequal, ties, shifts. */
function ksCases(): [number[], number[]][] {
  const rng = new Rng(17);
  const u = (s: number) => (r: Rng) => r.next() + s;
  const n = (s: number) => (r: Rng) => r.normal() + s;
  const ints = (k: number) => (r: Rng) => r.int(k);
  return [
    [sample(rng, 1, u(0)), sample(rng, 1, u(0.5))],
    [sample(rng, 3, u(0)), sample(rng, 7, u(0))],
    [sample(rng, 8, n(0)), sample(rng, 8, n(1))],
    [sample(rng, 40, n(0)), sample(rng, 60, n(0.3))],
    [sample(rng, 200, n(0)), sample(rng, 200, n(0.1))],
    [sample(rng, 500, ints(5)), sample(rng, 300, ints(6))],
    [sample(rng, 1000, n(0)), sample(rng, 999, n(0.05))],
    [sample(rng, 3000, n(0)), sample(rng, 2000, n(0.02))],
    [sample(rng, 10000, n(0)), sample(rng, 10000, n(0.01))],
    [sample(rng, 12000, n(0)), sample(rng, 80, n(0.2))],
    [sample(rng, 15000, n(0)), sample(rng, 400, n(0.1))],
    [sample(rng, 20000, n(0)), sample(rng, 20000, n(0.015))],
    [sample(rng, 11000, ints(20)), sample(rng, 5000, ints(20))],
  ];
}

Deno.test({
  name: "KS statistic and p-value equal scipy.stats.ks_2samp, exact and asymptotic",
  ...needsTool(SCIPY !== undefined, "the test venv's scipy"),
  async fn() {
    const cases = ksCases();
    const ref = await python(SCIPY!, "scipy_reference.py", { ks: cases }) as {
      ks: [number, number][];
    };
    cases.forEach(([a, b], i) => {
      const ours = ks2Samp(a, b);
      const [stat, p] = ref.ks[i]!;
      const what = `ks2Samp(${a.length}, ${b.length}) ${ours.method}`;
      assert.ok(Math.abs(ours.statistic - stat) <= 1e-9, `${what} statistic`);
      assertP(ours.pValue, p, what);
    });
  },
});

Deno.test({
  name: "the one-sample KS tail equals scipy.stats.kstwo.sf in every region of its algorithm",
  ...needsTool(SCIPY !== undefined, "the test venv's scipy"),
  async fn() {
    const grid: [number, number][] = [];
    for (const n of [1, 2, 5, 20, 100, 140, 141, 500, 3000, 60000, 150000]) {
      for (const d of [0.001, 0.008, 0.02, 0.05, 0.09, 0.15, 0.3, 0.5, 0.7, 0.95]) {
        grid.push([d, n]);
      }
    }
    const ref = await python(SCIPY!, "scipy_reference.py", { kstwo_sf: grid }) as {
      kstwo_sf: number[];
    };
    grid.forEach(([d, n], i) => assertP(kolmogorovSf(n, d), ref.kstwo_sf[i]!, `kstwo(${d}, ${n})`));
  },
});

Deno.test({
  name: "the chi-square tail equals scipy.stats.chi2.sf to 1e-9 relative",
  ...needsTool(SCIPY !== undefined, "the test venv's scipy"),
  async fn() {
    const grid: [number, number][] = [];
    for (const k of [1, 2, 3, 4, 9, 10, 25, 99, 250]) {
      for (const x of [1e-6, 0.01, 0.5, 1, 3, 8.9, 9, 20, 60, 200, 700]) grid.push([x, k]);
    }
    const ref = await python(SCIPY!, "scipy_reference.py", { chi2_sf: grid }) as {
      chi2_sf: number[];
    };
    grid.forEach(([x, k], i) => {
      const want = ref.chi2_sf[i]!;
      if (want < 1e-290) assert.ok(chi2Sf(x, k) < 1e-280, `chi2(${x}, ${k})`);
      else relClose(chi2Sf(x, k), want, 1e-9, `chi2Sf(${x}, ${k})`);
    });
  },
});

Deno.test({
  name: "Wasserstein (normalised), Jensen-Shannon and the chi-square tests equal scipy's",
  ...needsTool(SCIPY !== undefined, "the test venv's scipy"),
  async fn() {
    const pairs = ksCases().slice(1);
    const hist: [number[], number[]][] = [
      [[10, 10, 10, 10], [5, 15, 10, 10]],
      [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]],
      [[1, 0, 0], [0, 0, 1]],
      [[3, 4, 7, 10, 10, 10, 10, 13, 16, 17], Array(10).fill(10)],
    ];
    const contingency: [number[], number[]][] = [
      [[30, 25, 45], [0.3, 0.3, 0.4]],
      [[3, 4, 7, 10, 10, 10, 10, 13, 16, 17], Array(10).fill(0.1)],
    ];
    const ref = await python(SCIPY!, "scipy_reference.py", {
      wasserstein: pairs,
      js: hist,
      chisquare: hist.filter(([, e]) => e.every((v) => v > 0)).map(([o, e]) => {
        const so = o.reduce((s, v) => s + v, 0);
        const se = e.reduce((s, v) => s + v, 0);
        return [o, e.map((v) => (v / se) * so)];
      }),
      contingency: contingency.map(([o, f]) => [o, f.map((v) => v * 800)]),
    }) as { wasserstein: number[]; js: number[]; chisquare: number[]; contingency: number[] };
    pairs.forEach(([a, b], i) => {
      const sa = Float64Array.from(a).sort();
      const sb = Float64Array.from(b).sort();
      const ours = wassersteinSorted(sa, sb) / populationStd(sa);
      relClose(ours, ref.wasserstein[i]!, 1e-6, `wasserstein(${a.length}, ${b.length})`);
    });
    hist.forEach(([p, q], i) => relClose(jsDistance(p, q), ref.js[i]!, 1e-9, `js #${i}`));
    const gof = hist.filter(([, e]) => e.every((v) => v > 0));
    gof.forEach(([o, e], i) => {
      const se = e.reduce((s, v) => s + v, 0);
      relClose(chi2Gof(e.map((v) => v / se), o).pValue, ref.chisquare[i]!, 1e-9, `gof #${i}`);
    });
    contingency.forEach(([o, f], i) => {
      relClose(chi2Homogeneity(f, 800, o).pValue, ref.contingency[i]!, 1e-9, `contingency #${i}`);
    });
  },
});

interface Bundled {
  names: string[];
  x: number[][];
  y: number[];
}

/** A model trained on `train` rows (a few trees: only its statistics matter here). */
function modelFor(names: string[], x: number[][], y: number[]): LoadedModel {
  const classes = [...new Set(y)].sort((a, b) => a - b);
  const flat = Float64Array.from(x.flat());
  const yi = Int32Array.from(y, (v) => classes.indexOf(v));
  const ds = {
    featureNames: names,
    target: "target",
    nRows: x.length,
    nFeatures: names.length,
    x: flat,
    y: yi,
    classes,
  };
  const forest = trainForest({ ...ds, nClasses: classes.length }, { n_estimators: 3, seed: 1 });
  return parseModel(serializeModel(buildArtifact({
    target: "target",
    classes,
    features: featureStats(names, flat, x.length),
    classFrequencies: classFrequencies(yi, classes.length),
    forest,
    params: {},
    metrics: { n_train: x.length },
    engine: { name: "native", version: "1.0.0" },
  })));
}

function tableOf(rows: number[][], p: number): DriftTable {
  return {
    x: Float64Array.from(rows.flat()),
    nRows: rows.length,
    missing: new Uint32Array(p),
    nonNumeric: new Uint32Array(p),
  };
}

/** A seeded half-half split of the rows. */
function split(n: number, seed: number): [number[], number[]] {
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return [order.slice(0, n >> 1), order.slice(n >> 1)];
}

interface Frame {
  name: string;
  names: string[];
  reference: number[][];
  current: number[][];
  report: DriftReport;
  chi2: DriftReport;
  shifted: number | null;
}

/** Unshifted halves of each bundled data set, and the same with one feature moved one sigma. */
async function frames(): Promise<Frame[]> {
  const sets = ["breast_cancer", "wine", "iris"];
  const got = await python(SCIPY!, "scipy_reference.py", { datasets: sets }) as {
    datasets: Record<string, Bundled>;
  };
  const out: Frame[] = [];
  for (const name of sets) {
    const d = got.datasets[name]!;
    const [a, b] = split(d.x.length, 7);
    const reference = a.map((i) => d.x[i]!);
    const current = b.map((i) => d.x[i]!);
    const model = modelFor(d.names, reference, a.map((i) => d.y[i]!));
    const p = d.names.length;
    const ref = { name: "train", table: tableOf(reference, p) };
    const f = 0;
    const col = Float64Array.from(reference, (r) => r[f]!);
    const sigma = populationStd(col);
    const moved = current.map((r) => r.map((v, j) => (j === f ? v + sigma : v)));
    for (const [rows, shifted] of [[current, null], [moved, f]] as const) {
      out.push({
        name: `${name}${shifted === null ? "" : ` with ${d.names[f]} + 1 sigma`}`,
        names: d.names,
        reference,
        current: [...rows],
        report: driftOfTable(model, tableOf([...rows], p), { data: name, reference: ref }),
        chi2: driftOfTable(model, tableOf([...rows], p), { data: name }),
        shifted,
      });
    }
  }
  return out;
}

Deno.test({
  name:
    "real data: KS and Wasserstein equal scipy's; unshifted halves raise no alarm; one feature moved one sigma is flagged alone",
  ...needsTool(SCIPY !== undefined, "the test venv's scipy and scikit-learn"),
  async fn() {
    const all = await frames();
    const pairs: [number[], number[]][] = [];
    for (const fr of all) {
      fr.names.forEach((_, j) =>
        pairs.push([fr.reference.map((r) => r[j]!), fr.current.map((r) => r[j]!)])
      );
    }
    const ref = await python(SCIPY!, "scipy_reference.py", {
      ks: pairs,
      wasserstein: pairs,
    }) as { ks: [number, number][]; wasserstein: number[] };
    let k = 0;
    for (const fr of all) {
      for (const name of fr.names) {
        const f = fr.report.features[name]!;
        const [stat, p] = ref.ks[k]!;
        assert.ok(Math.abs(f.ks_statistic! - stat) <= 1e-9, `${fr.name} ${name} KS`);
        assertP(f.ks_p_value!, p, `${fr.name} ${name} KS p`);
        relClose(f.wasserstein_norm!, ref.wasserstein[k]!, 1e-6, `${fr.name} ${name} W`);
        k++;
      }
      const drifted = Object.entries(fr.report.features).filter(([, f]) => f.drifted).map(([n]) =>
        n
      );
      const chi2Drifted = Object.entries(fr.chi2.features).filter(([, f]) => f.drifted).map(([n]) =>
        n
      );
      if (fr.shifted === null) {
        assert.deepEqual(drifted, [], `${fr.name}: KS false alarm`);
        assert.deepEqual(chi2Drifted, [], `${fr.name}: chi-square false alarm`);
        assert.equal(fr.report.dataset_drift, false);
      } else {
        assert.deepEqual(drifted, [fr.names[fr.shifted]], `${fr.name}: KS`);
        assert.deepEqual(chi2Drifted, [fr.names[fr.shifted]], `${fr.name}: chi-square`);
        assert.equal(fr.report.dataset_drift, false, "one feature is not half of them");
      }
    }
  },
});

Deno.test({
  name:
    "Evidently agrees on which features drift, by KS at alpha / features and Wasserstein at 0.1",
  ...needsTool(SCIPY !== undefined && EVIDENTLY !== undefined, "the test venv's evidently"),
  async fn() {
    const all = await frames();
    const got = await python(EVIDENTLY!, "evidently_reference.py", {
      frames: all.map((fr) => ({
        names: fr.names,
        reference: fr.reference,
        current: fr.current,
        ks_threshold: 0.05 / fr.names.length,
        wasserstein_threshold: 0.1,
      })),
    }) as Record<string, { ks_p: number; ks_drift: boolean; wasserstein_drift: boolean }>[];
    all.forEach((fr, i) => {
      for (const name of fr.names) {
        const ours = fr.report.features[name]!;
        const theirs = got[i]![name]!;
        assertP(ours.ks_p_value!, theirs.ks_p, `${fr.name} ${name}: Evidently's KS p`);
        assert.equal(ours.drifted, theirs.ks_drift, `${fr.name} ${name}: KS verdict`);
        assert.equal(
          ours.wasserstein_norm! >= 0.1,
          theirs.wasserstein_drift,
          `${fr.name} ${name}: Wasserstein verdict`,
        );
      }
    });
  },
});
