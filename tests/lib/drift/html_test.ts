import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { driftHistogramSvg } from "../../../lib/drift/histogram_svg.ts";
import { renderDriftReport } from "../../../lib/drift/html.ts";
import { driftOfRows, type DriftReport } from "../../../lib/drift/offline.ts";
import { chromiumPath, withPage } from "../../support/chromium.ts";
import { Rng, uniformModel, uniformRows, uniformStats } from "../../support/drift.ts";
import { withTempDir } from "../../support/fixtures.ts";
import { assertInvalidInput } from "../metrics/assert_invalid_input.ts";

const HOSTILE = ["<script>window.pwned = 1</script>", `<img src=x onerror="pwned=1">`, "plain"];

/** A report on features named `names` where the second one is shifted into alert. */
function report(names: string[] = ["f0", "f1", "f2"], data = "recent.csv"): DriftReport {
  const model = uniformModel({
    nFeatures: names.length,
    features: uniformStats(names),
    classFrequencies: [0.5, 0.5],
  });
  const x = uniformRows(new Rng(6), 500, names.length, { 1: 0.4 });
  return driftOfRows(model, x, 500, { data, createdAt: new Date("2026-03-04T05:06:07Z") });
}

Deno.test("renderDriftReport() lists every feature from the smallest p-value up, with status badges", () => {
  const r = report();
  const html = renderDriftReport(r);
  assert.match(html, /^<!doctype html>/);
  const order = [...html.matchAll(/<tr data-feature="([^"]*)"/g)].map((m) => m[1]);
  const expected = Object.entries(r.features)
    .sort((a, b) => a[1].p_value - b[1].p_value || b[1].psi - a[1].psi).map(([n]) => n);
  assert.deepEqual(order, expected);
  assert.equal(order[0], "f1");
  assert.match(
    html,
    /<tr data-feature="f1"><td class="feature">f1<\/td><td><span class="status status-alert">alert<\/span><\/td><td class="num">/,
  );
  assert.match(html, /Data set<\/div><div class="value"><span class="verdict-ok">no drift/);
  assert.match(html, /Features drifted<\/div><div class="value">1 of 3</);
  assert.match(html, /id="prediction"/);
  assert.match(html, /id="performance"/);
  assert.equal([...html.matchAll(/<section class="card feature"/g)].length, 3);
  assert.equal([...html.matchAll(/<svg id="drift-chart-\d"/g)].length, 3);
  assert.match(html, /Rows <b>500<\/b>/);
  assert.match(html, /2026-03-04 05:06 UTC/);
  assert.match(html, new RegExp(`Overall PSI</div><div class="value">${r.overall_psi.toFixed(4)}`));
});

Deno.test("renderDriftReport() escapes hostile feature names, data paths and versions", () => {
  const r = { ...report(HOSTILE, `"><script>alert(1)</script>.csv`), model_version: "<b>v</b>" };
  const html = renderDriftReport(r);
  assert.doesNotMatch(html, /<script|<img|<b>v<\/b>/i);
  assert.match(html, /Model <b>v&lt;b&gt;v&lt;\/b&gt;<\/b>/);
  assert.match(html, /&lt;script&gt;window\.pwned = 1&lt;\/script&gt;/);
  assert.match(html, /data-feature="&lt;img src=x onerror=&quot;pwned=1&quot;&gt;"/);
  assert.match(html, /&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;\.csv/);
});

Deno.test("renderDriftReport() references no external resource and runs no script", () => {
  const html = renderDriftReport(report());
  assert.doesNotMatch(html, /https?:\/\//i);
  assert.doesNotMatch(html, /\b(src|href|xlink:href)\s*=/i);
  assert.doesNotMatch(html, /<script|\bon[a-z]+\s*=/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

Deno.test("driftHistogramSvg() draws a training and a recent bar per bin on one scale", () => {
  const svg = driftHistogramSvg("f", [0.5, 0.25, 0.25], [0.25, 0.25, 0.5], [0, 1, 2, 3], {
    id: "c",
  });
  const heights = (cls: string) =>
    [...svg.matchAll(new RegExp(`class="${cls}"[^>]*height="([\\d.]+)"`, "g"))].map((m) =>
      Number(m[1])
    );
  const training = heights("bin-training");
  const recent = heights("bin-recent");
  assert.equal(training.length, 3);
  assert.equal(training[0], recent[2]);
  assert.ok(Math.abs(training[1]! * 2 - training[0]!) < 0.02);
  assert.match(svg, /bin 1 \(below 1\): training 50\.0%, recent 25\.0%/);
  assert.match(svg, /bin 2 \(1 to 2\)/);
  assert.match(svg, /bin 3 \(from 2\)/);
});

Deno.test("driftHistogramSvg() refuses fractions and edges that do not fit together", () => {
  const cases: [number[], number[], number[], string][] = [
    [[0.5, 0.5], [1], [0, 1, 2], "2 training fractions, 1 recent ones and 3 edges"],
    [[0.5, 0.5], [0.5, 0.5], [0, 2], "2 training fractions, 2 recent ones and 2 edges"],
    [[], [], [0], "0 training fractions"],
  ];
  for (const [t, r, e, message] of cases) {
    assertInvalidInput(() => driftHistogramSvg("f", t, r, e, { id: "c" }), message);
  }
});

// Like the training report's test: Chromium is required in CI, skipped with a note elsewhere.
const CHROMIUM = chromiumPath();
const IN_CI = Deno.env.get("CI") === "true";
if (CHROMIUM === undefined && !IN_CI) {
  console.warn(
    "html_test.ts: skipping the headless-browser drift report tests: Chromium not found " +
      "(apt-get install -y chromium, or set CHROMIUM_BIN)",
  );
}

interface Check {
  charts: {
    feature: string;
    training: { fraction: number; height: number }[];
    recent: { fraction: number; height: number }[];
  }[];
  outside: string[];
  overflowX: number;
  sections: Record<string, { width: number; height: number; text: string } | null>;
  pwned: boolean;
  bodyText: string;
}

const CHECK = `(() => {
  const box = (el) => el.getBoundingClientRect();
  const bars = (svg, cls) => [...svg.querySelectorAll("rect." + cls)].map((r) => ({
    fraction: Number(r.dataset.fraction), height: box(r).height }));
  const charts = [...document.querySelectorAll("section.feature")].map((s) => {
    const svg = s.querySelector("svg.drift-chart");
    return { feature: s.dataset.feature, training: bars(svg, "bin-training"), recent: bars(svg, "bin-recent") };
  });
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
  const sections = Object.fromEntries(["summary", "features", "prediction", "performance"].map((id) => {
    const el = document.getElementById(id);
    return [id, el ? { width: box(el).width, height: box(el).height, text: el.innerText } : null];
  }));
  return { charts, outside, sections, overflowX: document.documentElement.scrollWidth - window.innerWidth,
    pwned: "pwned" in window, bodyText: document.body.innerText };
})()`;

for (
  const [what, width, names] of [
    ["a wide screen", 1280, ["f0", "f1", "f2"]],
    ["a narrow screen, hostile names shown as text", 420, HOSTILE],
  ] as const
) {
  Deno.test({
    name: `drift.html renders every feature's histograms in headless Chromium on ${what}`,
    ignore: CHROMIUM === undefined && !IN_CI,
    async fn() {
      if (CHROMIUM === undefined) {
        throw new Error(
          "CI=true but Chromium was not found: the drift report test cannot be skipped",
        );
      }
      const r = report([...names]);
      await withTempDir(async (dir) => {
        const path = join(dir, "drift.html");
        await Deno.writeTextFile(path, renderDriftReport(r));
        const { check, errors } = await withPage(pathToFileURL(path).href, async (page) => {
          const check = await page.evaluate<Check>(CHECK);
          await page.screenshot(`/tmp/fluxops-drift-${width}.png`);
          return { check, errors: page.errors() };
        }, { width, height: 900 });
        assert.deepEqual(errors, []);
        assert.equal(check.pwned, false);
        assert.equal(check.charts.length, 3);
        assert.equal(check.charts[0]!.feature, names[1], "the shifted feature comes first");
        for (const chart of check.charts) {
          const all = [...chart.training, ...chart.recent];
          assert.equal(chart.training.length, 10);
          const top = all.reduce((a, b) => (b.fraction > a.fraction ? b : a));
          assert.ok(top.height > 60, `${chart.feature}: tallest bar is ${top.height}px`);
          for (const bar of all) {
            const expected = (bar.fraction / top.fraction) * top.height;
            assert.ok(
              Math.abs(bar.height - expected) < 0.5,
              `${chart.feature}: ${bar.height} vs ${expected}`,
            );
          }
          const want = r.features[chart.feature]!;
          assert.deepEqual(chart.recent.map((b) => b.fraction), want.recent);
        }
        for (const name of names) assert.ok(check.bodyText.includes(name), name);
        for (const [id, box] of Object.entries(check.sections)) {
          assert.ok(
            box && box.width > 200 && box.height > 40,
            `#${id} is shown: ${JSON.stringify(box)}`,
          );
          assert.ok(box.width <= width, `#${id} fits the window`);
        }
        assert.match(check.sections.summary!.text, /Data set\s+no drift/i);
        assert.match(check.sections.prediction!.text, /Prediction drift/);
        assert.match(check.sections.prediction!.text, /against the training class frequencies/);
        assert.match(check.sections.features!.text, /Out of range/i);
        assert.deepEqual(check.outside, []);
        assert.ok(check.overflowX <= 0, `page is ${check.overflowX}px wider than the window`);
      });
    },
  });
}
