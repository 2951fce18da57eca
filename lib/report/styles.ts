/**
 * The report's style sheet, inlined into the page so it renders offline.
 * @module
 */

/** CSS for report.html: system fonts, a neutral palette with one blue accent, two columns. */
export const REPORT_CSS = `
:root {
  color-scheme: light;
  --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f5f6f8; --card: #ffffff;
  --accent: #2563eb; --accent-soft: #dbeafe;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif;
}
main { max-width: 1160px; margin: 0 auto; padding: 32px 24px 40px; }
header h1 { font-size: 24px; line-height: 1.25; margin: 0 0 10px; font-weight: 650;
  letter-spacing: -0.01em; overflow-wrap: anywhere; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 8px; color: var(--muted); font-size: 13px; }
.chip { background: var(--card); border: 1px solid var(--line); border-radius: 999px;
  padding: 2px 10px; overflow-wrap: anywhere; }
.chip b { color: var(--fg); font-weight: 600; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
  margin: 22px 0 16px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 16px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.05em; font-weight: 600; }
.kpi .value { font-size: 28px; line-height: 1.2; font-weight: 650; margin-top: 4px;
  font-variant-numeric: tabular-nums; }
.kpi .note { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px 20px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
h2 { font-size: 16px; margin: 0 0 2px; font-weight: 600; }
h3 { font-size: 13px; margin: 20px 0 6px; font-weight: 600; }
.hint { color: var(--muted); font-size: 12.5px; margin: 0 0 14px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
thead th { font-weight: 600; color: var(--muted); font-size: 11.5px; text-transform: uppercase;
  letter-spacing: 0.04em; border-bottom-color: #d1d5db; }
tbody tr:last-child td { border-bottom: 0; }
.num { text-align: right; white-space: nowrap; }
td.desc { color: var(--muted); font-size: 12.5px; }
td.name { white-space: nowrap; }
.table-wrap { overflow-x: auto; }
td.label { overflow-wrap: anywhere; font-weight: 500; min-width: 6em; }
td.bar { background-image: linear-gradient(90deg, var(--accent-soft) var(--w), transparent 0);
  background-repeat: no-repeat; background-size: calc(100% - 8px) 22px;
  background-position: 4px 4px; }
.badge { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 999px;
  background: var(--accent-soft); color: #1e40af; font-size: 11px; font-weight: 600;
  vertical-align: 1px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px;
  margin: 0 0 14px; }
.facts div { border-left: 3px solid var(--accent-soft); padding: 2px 10px; }
.facts dt { color: var(--muted); font-size: 12px; }
.facts dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 12.5px; }
td.mono { overflow-wrap: anywhere; }
.chart { display: block; width: 100%; height: auto; margin: 4px auto 0; }
.chart text { font-family: inherit; }
.card.wide .chart { margin-left: 0; }
.card.wide .table-wrap { max-width: 860px; }
#params-table td:first-child { width: 35%; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; text-align: center; }
@media (max-width: 880px) { .grid { grid-template-columns: 1fr; } main { padding: 20px 14px; } }
@media (max-width: 560px) {
  .desc { display: none; }
  .card { padding: 14px; }
  th, td { padding: 6px 4px; }
  thead th { letter-spacing: 0; font-size: 11px; }
}
@media print {
  body { background: #ffffff; }
  .card, .kpi { break-inside: avoid; }
}
`;

/**
 * The head of a self-contained report page, up to and including `<main>`: a strict CSP (no
 * scripts, no fetches; inline styles and data: images only), the report's CSS and `extraCss`.
 * `title` must already be HTML-escaped.
 */
export function pageStart(title: string, extraCss = ""): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="FluxOps">
<title>${title}</title>
<style>${REPORT_CSS}${extraCss}</style>
</head>
<body>
<main>`;
}
