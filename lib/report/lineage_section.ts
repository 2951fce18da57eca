/**
 * The report's "Data and lineage" card: the data a model was trained and evaluated on, with
 * its sha256, and the commit and CI job that built it.
 * @module
 */
import type { DataLineage, DataRecord } from "../data/lineage.ts";
import type { BuildInfo } from "../training/provenance.ts";
import { escapeHtml as esc } from "./escape.ts";
import { formatCount } from "./format.ts";

/** What the lineage card shows. */
export interface LineageInput {
  readonly data?: DataLineage | undefined;
  readonly build?: BuildInfo | undefined;
}

function row(role: string, r: DataRecord): string {
  const blob = [r.version_id ? `version ${r.version_id}` : "", r.etag ? `ETag ${r.etag}` : ""]
    .filter(Boolean).join(", ");
  return `<tr><td>${role}</td><td class="mono">${esc(r.uri)}</td><td>${formatCount(r.rows)} x ${
    formatCount(r.columns)
  }</td><td class="mono" title="${esc(r.sha256)}">${
    esc(r.sha256.slice(0, 16))
  }…</td><td class="mono">${esc(blob || "—")}</td></tr>`;
}

/** The lineage card, or an empty string when nothing was recorded. */
export function lineageSection({ data, build }: LineageInput): string {
  if (!data && !build) return "";
  const rows = data
    ? [row("train", data.train), ...(data.eval ? [row("eval", data.eval)] : [])]
    : [];
  const fact = (name: string, value: string | undefined) =>
    value ? `<div><dt>${name}</dt><dd class="mono">${esc(value)}</dd></div>` : "";
  const heldOut = data?.held_out
    ? `<p class="hint">Evaluated on ${
      data.held_out.test_size * 100
    }% of the training rows held out by a stratified split with seed ${data.held_out.seed}.</p>`
    : "";
  return `<section class="card wide" id="lineage">
<h2>Data and lineage</h2>
<p class="hint">Which bytes made this model (SHA-256 of the data read) and what built it.</p>
${
    rows.length
      ? `<table id="lineage-table">
<thead><tr><th>Role</th><th>URI</th><th>Rows x columns</th><th>SHA-256</th><th>Blob</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`
      : ""
  }
${heldOut}
<dl class="facts">
${fact("Git commit", build?.git_commit)}
${fact("CI pipeline", build?.ci_pipeline_id)}
${fact("CI job", build?.ci_job_id)}
</dl>
</section>`;
}
