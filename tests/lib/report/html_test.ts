import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderReport, type ReportInput } from "../../../lib/report/html.ts";
import { chromiumPath, withPage } from "../../support/chromium.ts";
import { assertInvalidInput } from "../metrics/assert_invalid_input.ts";
import { binaryReport, multiclassReport } from "./report_fixture.ts";

const HOSTILE = "<script>alert(1)</script>";

/** Every `data-feature` value of the importance chart's bars, in document order. */
function barFeatures(html: string): string[] {
  return [...html.matchAll(/class="fi-bar"[^>]*data-feature="([^"]*)"/g)].map((m) => m[1]!);
}

Deno.test("renderReport() escapes hostile labels, names, titles and parameters", () => {
  const input: ReportInput = {
    ...multiclassReport([HOSTILE, `a&b "quoted" 'single'`, "<img src=x onerror=alert(2)>"]),
    title: `</title><script>alert(3)</script>`,
    engine: `<b onmouseover="alert(4)">engine</b>`,
    target: "<svg onload=alert(5)>",
    featureNames: ["<iframe>", "f2", "f3", "f4"],
    params: { "<key>": "<value>", nested: { html: "</td><script>" } },
  };
  const html = renderReport(input);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img|<iframe|<b |<svg onload|<key>|<value>/i);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /a&amp;b &quot;quoted&quot; &#39;single&#39;/);
  assert.match(html, /&lt;\/title&gt;&lt;script&gt;alert\(3\)&lt;\/script&gt;/);
  assert.match(html, /data-feature="&lt;iframe&gt;"/);
  assert.match(html, /\{&quot;html&quot;:&quot;&lt;\/td&gt;&lt;script&gt;&quot;\}/);
});

Deno.test("renderReport() shows the header, metric tables, charts and training parameters", () => {
  const input = binaryReport();
  const html = renderReport(input);
  assert.match(html, /^<!doctype html>/);
  for (
    const id of [
      "report-header",
      "summary",
      "metrics-table",
      "per-class-table",
      "confusion-matrix",
      "roc-curve",
      "feature-importance",
      "params-table",
    ]
  ) {
    assert.match(html, new RegExp(`id="${id}"`), id);
  }
  assert.match(html, /Model <b>v7<\/b>/);
  assert.match(html, /Engine <b>fluxops-forest 1\.0<\/b>/);
  assert.match(html, /2025-03-14 09:26 UTC/);
  const m = input.metrics;
  for (const value of [m.accuracy, m.precision, m.recall, m.f1, m.roc_auc ?? 0, m.log_loss]) {
    assert.ok(html.includes(`<td class="num">${value.toFixed(4)}</td>`), String(value));
  }
  assert.match(html, /<tr><td class="label">churned<span class="badge">positive<\/span>/);
  assert.equal([...html.matchAll(/class="cm-cell/g)].length, 4);
  assert.match(html, /ROC \(AUC = \d\.\d{3}\)/);
  assert.match(html, /<td class="mono">maxFeatures<\/td><td class="mono">sqrt<\/td>/);
  assert.match(html, /<td class="mono">classWeight<\/td><td class="mono">null<\/td>/);
});

Deno.test("renderReport() draws no ROC curve and macro labels for a multiclass model", () => {
  const html = renderReport(multiclassReport());
  assert.doesNotMatch(html, /id="roc-curve"/);
  assert.match(html, /Macro F1/);
  assert.match(html, /one-vs-rest, macro mean/);
  assert.equal([...html.matchAll(/class="cm-cell/g)].length, 9);
  assert.match(html, /<section class="card wide" id="importance">/);
});

Deno.test("renderReport() shows the 30 most important features, highest first", () => {
  const input = binaryReport();
  const html = renderReport(input);
  const expected = input.featureNames
    .map((name, i) => ({ name, importance: input.importances[i]! }))
    .sort((a, b) => b.importance - a.importance)
    .slice(0, 30)
    .map((f) => f.name);
  assert.equal(input.featureNames.length, 40);
  assert.deepEqual(barFeatures(html), expected);
  assert.match(html, /The 30 most important of 40 features/);
});

Deno.test("renderReport() references no external resource and runs no script", () => {
  for (const input of [binaryReport(), multiclassReport()]) {
    const html = renderReport(input);
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /\b(src|href|xlink:href)\s*=/i);
    assert.doesNotMatch(html, /@import|@font-face/i);
    assert.doesNotMatch(html, /<script|\bon[a-z]+\s*=/i);
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) assert.match(m[1]!, /^#/, m[0]);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  }
});

Deno.test("renderReport() says when a model has no features, parameters or ROC AUC", () => {
  const input = multiclassReport();
  const single = {
    ...input,
    featureNames: [],
    importances: [],
    params: {},
    metrics: { ...input.metrics, roc_auc: null },
  };
  const html = renderReport(single);
  assert.match(html, /<p class="empty" id="feature-importance">/);
  assert.match(html, /No parameters recorded/);
  assert.match(html, /undefined: one class in the test set/);
});

Deno.test("renderReport() writes any parameter value as readable text", () => {
  const html = renderReport({
    ...multiclassReport(),
    params: { list: [1, "a"], missing: undefined, big: 10n, fn: Math.max, text: "as is" },
  });
  const cell = (key: string) =>
    new RegExp(`<td class="mono">${key}</td><td class="mono">([^<]*)</td>`).exec(html)?.[1];
  assert.equal(cell("list"), "[1,&quot;a&quot;]");
  assert.equal(cell("missing"), "—");
  assert.equal(cell("big"), "10");
  assert.match(cell("fn") ?? "", /^function max\(\)/);
  assert.equal(cell("text"), "as is");
});

Deno.test("renderReport() draws a ROC curve given for a multiclass model without naming a positive class", () => {
  const roc = { fpr: [0, 0.5, 1], tpr: [0, 0.8, 1], auc: 0.65 };
  const html = renderReport({ ...multiclassReport(), roc });
  assert.match(html, /id="roc-curve"/);
  assert.match(html, /True against false positive rate as the decision threshold falls\./);
  assert.match(html, /<section class="card" id="importance">/);
});

Deno.test("renderReport() rejects inputs whose parts do not fit together", () => {
  const base = binaryReport();
  const cases: [string, ReportInput, string][] = [
    [
      "importances",
      { ...base, importances: base.importances.slice(1) },
      "40 feature names but 39 importances",
    ],
    [
      "non-finite importance",
      { ...base, importances: base.importances.map((v, i) => (i === 3 ? NaN : v)) },
      "importances[3]: expected a finite number, got NaN",
    ],
    ["classes", { ...base, classes: ["a", "b", "c"] }, "metrics has 2 classes but classes has 3"],
    [
      "matrix",
      { ...base, metrics: { ...base.metrics, confusion_matrix: [[1, 2]] } },
      "expected a 2 x 2 matrix for 2 classes",
    ],
    [
      "roc lengths",
      { ...base, roc: { fpr: [0, 1], tpr: [0], auc: 0.5 } },
      "expected matching fpr and tpr with at least 2 points, got 2 and 1",
    ],
    [
      "roc range",
      { ...base, roc: { fpr: [0, 1.5], tpr: [0, 1], auc: 0.5 } },
      "fpr[1]: expected a rate in [0, 1], got 1.5",
    ],
  ];
  for (const [, input, message] of cases) assertInvalidInput(() => renderReport(input), message);
});

// The browser test needs Chromium. CI must have it (the test fails there without it); on a
// developer machine without it the test is skipped with a note.
const CHROMIUM = chromiumPath();
const IN_CI = Deno.env.get("CI") === "true";
if (CHROMIUM === undefined && !IN_CI) {
  console.warn(
    "html_test.ts: skipping the headless-browser report tests: Chromium not found " +
      "(apt-get install -y chromium, or set CHROMIUM_BIN)",
  );
}

function requireChromium(): void {
  if (CHROMIUM === undefined) {
    throw new Error(
      "CI=true but Chromium was not found: install it (apt-get install -y chromium) or set " +
        "CHROMIUM_BIN; the report's browser test cannot be skipped in CI",
    );
  }
}

interface ChartCheck {
  cells: { width: number; height: number; count: number }[];
  bars: { feature: string; importance: number; width: number }[];
  rocPoints: number;
  rocBox: { width: number; height: number };
  /** Text elements drawn outside their chart's box (clipped labels). */
  outside: string[];
  overflowX: number;
  pwned: boolean;
  bodyText: string;
}

const CHECK_CHARTS = `(() => {
  const box = (el) => el.getBoundingClientRect();
  const cells = [...document.querySelectorAll("#confusion-matrix rect.cm-cell")].map((r) => ({
    width: box(r).width, height: box(r).height, count: Number(r.dataset.count) }));
  const bars = [...document.querySelectorAll("#feature-importance rect.fi-bar")].map((r) => ({
    feature: r.dataset.feature, importance: Number(r.dataset.importance), width: box(r).width }));
  const line = document.querySelector("#roc-curve polyline.roc-line");
  const roc = document.querySelector("#roc-curve");
  const outside = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const s = box(svg);
    for (const t of svg.querySelectorAll("text")) {
      const b = box(t);
      if (b.left < s.left - 1 || b.right > s.right + 1 || b.top < s.top - 1 || b.bottom > s.bottom + 1) {
        outside.push(svg.id + ": " + t.textContent);
      }
    }
  }
  return {
    cells, bars, outside,
    rocPoints: line ? line.points.numberOfItems : 0,
    rocBox: roc ? { width: box(roc).width, height: box(roc).height } : { width: 0, height: 0 },
    overflowX: document.documentElement.scrollWidth - window.innerWidth,
    pwned: "pwned" in window,
    bodyText: document.body.innerText,
  };
})()`;

async function writeReport(dir: string, name: string, input: ReportInput): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, renderReport(input));
  return pathToFileURL(path).href;
}

Deno.test({
  name: "report.html renders every chart in headless Chromium",
  ignore: CHROMIUM === undefined && !IN_CI,
  async fn() {
    requireChromium();
    const input = binaryReport();
    const dir = await Deno.makeTempDir({ prefix: "fluxops-report-" });
    try {
      const url = await writeReport(dir, "report.html", input);
      const started = performance.now();
      const { check, errors } = await withPage(url, async (page) => {
        const check = await page.evaluate<ChartCheck>(CHECK_CHARTS);
        await page.screenshot("/tmp/fluxops-report.png");
        return { check, errors: page.errors() };
      });
      console.log(`headless Chromium: ${Math.round(performance.now() - started)} ms`);

      assert.deepEqual(errors, []);
      assert.equal(check.cells.length, 4);
      assert.deepEqual(check.cells.map((c) => c.count), input.metrics.confusion_matrix.flat());
      for (const c of check.cells) assert.ok(c.width > 20 && c.height > 20, JSON.stringify(c));

      assert.equal(check.bars.length, 30);
      const top = check.bars[0]!;
      assert.ok(top.width > 200, `longest bar is ${top.width}px wide`);
      for (const bar of check.bars) {
        const expected = (bar.importance / top.importance) * top.width;
        assert.ok(
          Math.abs(bar.width - expected) < 0.5,
          `${bar.feature}: ${bar.width} vs ${expected}`,
        );
      }

      assert.equal(check.rocPoints, input.roc?.fpr.length);
      assert.ok(check.rocBox.width > 200 && check.rocBox.height > 200);
      assert.deepEqual(check.outside, []);
      assert.ok(check.overflowX <= 0, `page is ${check.overflowX}px wider than the window`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "report.html shows hostile labels as text on a narrow screen without running them",
  ignore: CHROMIUM === undefined && !IN_CI,
  async fn() {
    requireChromium();
    const labels = [
      "<script>window.pwned = 1</script>",
      "versicolor",
      `<img src=x onerror="pwned=1">`,
    ];
    const input = multiclassReport(labels);
    const dir = await Deno.makeTempDir({ prefix: "fluxops-report-" });
    try {
      const url = await writeReport(dir, "report.html", input);
      const { check, errors } = await withPage(url, async (page) => {
        const check = await page.evaluate<ChartCheck>(CHECK_CHARTS);
        await page.screenshot("/tmp/fluxops-report-narrow.png");
        return { check, errors: page.errors() };
      }, { width: 420, height: 900 });

      assert.deepEqual(errors, []);
      assert.equal(check.pwned, false);
      assert.ok(check.bodyText.includes(labels[0]!), "the label is shown as text");
      assert.equal(check.cells.length, 9);
      for (const c of check.cells) assert.ok(c.width > 5 && c.height > 5, JSON.stringify(c));
      assert.equal(check.bars.length, 4);
      assert.equal(check.rocPoints, 0);
      assert.deepEqual(check.outside, []);
      assert.ok(check.overflowX <= 0, `page is ${check.overflowX}px wider than the window`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
