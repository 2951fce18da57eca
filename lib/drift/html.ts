/**
 * drift.html: one self-contained page with the drift of a file of recent rows against a model's
 * training data: the data set's verdict, a table of every feature's tests (PSI, Jensen-Shannon,
 * chi-square, and KS and Wasserstein against a reference) and quality, prediction drift and
 * performance, and per feature the training and recent distributions side by side. Inline SVG
 * and CSS only, under the same Content-Security-Policy as report.html: it loads nothing and
 * runs no script.
 * @module
 */
import { escapeHtml as esc } from "../report/escape.ts";
import { formatCount, formatTimestamp } from "../report/format.ts";
import { pageStart } from "../report/styles.ts";
import { driftHistogramSvg, RECENT_COLOR, TRAINING_COLOR } from "./histogram_svg.ts";
import type { DriftReport, FeatureDriftDetail } from "./drift_report.ts";
import type { DriftStatus } from "./psi.ts";

const DRIFT_CSS = `
.status { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px;
  font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; white-space: nowrap; }
.status-ok { background: #dcfce7; color: #166534; }
.status-warn { background: #fef3c7; color: #92400e; }
.status-alert { background: #fee2e2; color: #991b1b; }
.card h2 { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px;
  overflow-wrap: anywhere; }
.card h2 .psi { color: var(--muted); font-weight: 500; font-size: 13px;
  font-variant-numeric: tabular-nums; }
.legend { display: flex; gap: 14px; color: var(--muted); font-size: 12px; margin: 0 0 6px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; }
td.feature { overflow-wrap: anywhere; font-weight: 500; min-width: 6em; }
.verdict-drift { color: #991b1b; }
.verdict-ok { color: #166534; }
`;

function badge(status: DriftStatus): string {
  return `<span class="status status-${status}">${status}</span>`;
}

function psiText(v: number): string {
  return v.toFixed(4);
}

/** A figure for a table cell: 4 decimals, small p-values in exponent form, "–" when absent. */
function num(v: number | null | undefined, p = false): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (p && v < 1e-4) return v === 0 ? "0" : v.toExponential(1);
  return v.toFixed(4);
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

/**
 * Renders drift.html. Features are listed and drawn from the smallest p-value (the strongest
 * evidence of drift) up, ties by PSI. Every string from the report is escaped. The table is
 * `#drift-table`; each feature's card is `section.feature` with `data-feature`, holding its
 * chart `svg.drift-chart`; prediction drift is `#prediction`, performance `#performance`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedWorkload } from "../data/make_classification.ts";
 * import { parseModel, serializeModel } from "../model/artifact.ts";
 * import { trainModel } from "../training/train_model.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const model = parseModel(serializeModel(artifact));
 * import { renderDriftReport } from "./html.ts";
 * import { driftOfRows } from "./offline.ts";
 * const rows = seedWorkload();
 * const html = renderDriftReport(driftOfRows(model, rows.x, rows.nRows, { data: "seed" }));
 * assert.ok(html.startsWith("<!doctype html>"));
 * ```
 */
export function renderDriftReport(report: DriftReport): string {
  const features = Object.entries(report.features)
    .map(([name, f], i) => ({ name, f, i }))
    .sort((a, b) => a.f.p_value - b.f.p_value || b.f.psi - a.f.psi || a.i - b.i);
  const drifted = features.filter((x) => x.f.drifted).length;
  const chip = (name: string, value: string) => `<span class="chip">${name} <b>${value}</b></span>`;
  const kpi = (id: string, label: string, value: string, note: string) =>
    `<div class="kpi" id="kpi-${id}"><div class="label">${label}</div>` +
    `<div class="value">${value}</div><div class="note">${note}</div></div>`;
  const s = report.settings;
  const ks = report.test === "ks";
  const rows = features.map(({ name, f }) =>
    `<tr data-feature="${esc(name)}"><td class="feature">${esc(name)}</td>` +
    `<td>${badge(f.status)}</td><td class="num">${num(f.p_value, true)}</td>` +
    `<td class="num">${psiText(f.psi)}</td><td class="num">${num(f.js_distance)}</td>` +
    `<td class="num">${num(f.chi2_p_value, true)}</td>` +
    (ks
      ? `<td class="num">${num(f.ks_statistic)}</td><td class="num">${num(f.ks_p_value, true)}` +
        `</td><td class="num">${num(f.wasserstein_norm)}</td>`
      : "") +
    `<td class="num">${pct(f.quality.share_out_of_range)}</td>` +
    `<td class="num">${pct(f.quality.share_missing)}</td>` +
    `<td class="num">${pct(f.quality.share_non_numeric)}</td></tr>`
  );
  const cards = features.map(({ name, f, i }) => featureCard(name, f, i));
  const verdict = report.dataset_drift
    ? `<span class="verdict-drift">drifted</span>`
    : `<span class="verdict-ok">no drift</span>`;
  const testName = ks ? "two-sample Kolmogorov-Smirnov against the reference" : "chi-square " +
    "on the training deciles";
  return `${pageStart(`Drift · model ${esc(report.model_version)}`, DRIFT_CSS)}
<header id="report-header">
<h1>Drift</h1>
<div class="meta">
${chip("Model", "v" + esc(report.model_version))}
${chip("Data", esc(report.data))}
${report.reference === null ? "" : chip("Reference", esc(report.reference))}
${chip("Rows", formatCount(report.window))}
<span class="chip">Computed <b><time datetime="${esc(report.created_at)}">${
    esc(formatTimestamp(report.created_at))
  }</time></b></span>
</div>
</header>
<section class="kpis" id="summary">
${
    kpi(
      "dataset",
      "Data set",
      verdict,
      `drifted when ${pct(s.share)} or more of the features drift`,
    )
  }
${kpi("share", "Features drifted", `${drifted} of ${features.length}`, pct(report.share_drifted))}
${
    kpi(
      "test",
      "Test",
      ks ? "KS" : "χ²",
      `${esc(testName)}; α ${s.alpha}, ${
        s.correction === "fdr" ? "Benjamini-Hochberg" : "Bonferroni"
      }`,
    )
  }
${kpi("overall-psi", "Overall PSI", psiText(report.overall_psi), "mean over features")}
</section>
<div class="grid">
<section class="card wide" id="features">
<h2>Features</h2>
<p class="hint">Each feature's test of the recent rows against the training data, strongest evidence first. <b>p</b> is the p-value that decides (${
    esc(testName)
  }); a feature drifted (alert) when p is under ${
    s.correction === "fdr"
      ? `the Benjamini-Hochberg bound at α ${s.alpha}`
      : `α / features = ${num(s.alpha / Math.max(1, features.length))}`
  }, and is worth a look (warn) when p is under α alone. PSI, Jensen-Shannon distance (0 same, 1 disjoint) and the chi-square p-value are over the training deciles${
    ks ? "; Wasserstein is in standard deviations of the reference" : ""
  }. Quality: share of values outside the training range, missing, not numeric.</p>
<div class="table-wrap"><table id="drift-table">
<thead><tr><th>Feature</th><th>Status</th><th class="num">p</th><th class="num">PSI</th><th class="num">JS</th><th class="num">χ² p</th>${
    ks ? `<th class="num">KS</th><th class="num">KS p</th><th class="num">Wass.</th>` : ""
  }<th class="num">Out of range</th><th class="num">Missing</th><th class="num">Not numeric</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>
</section>
${predictionCard(report)}
${performanceCard(report)}
${cards.join("\n")}
</div>
<footer>Generated by FluxOps · a self-contained page: it needs no network and runs no script.</footer>
</main>
</body>
</html>
`;
}

function predictionCard(report: DriftReport): string {
  const p = report.prediction;
  if (!p.available) {
    return `<section class="card" id="prediction"><h2>Prediction drift</h2>` +
      `<p class="hint">Unavailable: ${esc(p.reason)}.</p></section>`;
  }
  const rows = Object.keys(p.training).map((c) =>
    `<tr data-class="${esc(c)}"><td class="feature">${esc(c)}</td>` +
    `<td class="num">${pct(p.training[c]!)}</td><td class="num">${pct(p.recent[c] ?? 0)}</td></tr>`
  );
  return `<section class="card" id="prediction" data-drifted="${p.drifted}">
<h2>Prediction drift ${badge(p.drifted ? "alert" : "ok")}</h2>
<p class="hint">The classes predicted for ${
    formatCount(p.rows)
  } recent rows against the training class frequencies: χ² p ${num(p.chi2_p_value, true)}, ` +
    `Jensen-Shannon ${num(p.js_distance)}; drifted when p is under α (${report.settings.alpha}).</p>
<div class="table-wrap"><table><thead><tr><th>Class</th><th class="num">Training</th><th class="num">Predicted</th></tr></thead>
<tbody>${rows.join("")}</tbody></table></div>
</section>`;
}

function performanceCard(report: DriftReport): string {
  const perf = report.performance;
  if (perf === null) {
    return `<section class="card" id="performance"><h2>Performance</h2>` +
      `<p class="hint">The recent rows have no target column: no accuracy or F1.</p></section>`;
  }
  return `<section class="card" id="performance">
<h2>Performance</h2>
<p class="hint">The model on ${formatCount(perf.rows)} labelled recent rows${
    perf.unknown_labels > 0 ? ` (${formatCount(perf.unknown_labels)} with an unknown label)` : ""
  }, beside its held-out metrics at training.</p>
<div class="table-wrap"><table><thead><tr><th>Metric</th><th class="num">Recent</th><th class="num">Training</th></tr></thead>
<tbody><tr data-metric="accuracy"><td>Accuracy</td><td class="num">${
    num(perf.accuracy)
  }</td><td class="num">${num(perf.training.accuracy)}</td></tr>
<tr data-metric="f1"><td>F1</td><td class="num">${num(perf.f1)}</td><td class="num">${
    num(perf.training.f1)
  }</td></tr></tbody></table></div>
</section>`;
}

function featureCard(name: string, f: FeatureDriftDetail, index: number): string {
  const edges = f.bin_edges;
  const n = f.training.length;
  const lo = edges[1] ?? edges[0]!;
  const hi = edges[n - 1] ?? edges[n]!;
  return `<section class="card feature" id="feature-${index}" data-feature="${esc(name)}" ` +
    `data-psi="${f.psi}" data-status="${f.status}" data-drifted="${f.drifted}">
<h2><span class="name">${esc(name)}</span> ${badge(f.status)} <span class="psi">p ${
      num(f.p_value, true)
    } · PSI ${psiText(f.psi)}</span></h2>
<p class="hint">Bins are the training deciles: bin 1 below ${
      esc(String(Number(lo.toPrecision(4))))
    }, bin ${n} from ${esc(String(Number(hi.toPrecision(4))))}.</p>
<div class="legend"><span><span class="swatch" style="background:${TRAINING_COLOR}"></span>training</span>` +
    `<span><span class="swatch" style="background:${RECENT_COLOR}"></span>recent</span></div>
${driftHistogramSvg(name, f.training, f.recent, edges, { id: `drift-chart-${index}` })}
</section>`;
}
