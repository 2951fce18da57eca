/**
 * The ROC-curve chart of the report, as inline SVG.
 * @module
 */

import { InvalidInput } from "../errors.ts";
import { formatMetric } from "./format.ts";

/** A ROC curve to draw: matching false- and true-positive rates, and its area. */
export interface RocPoints {
  fpr: readonly number[];
  tpr: readonly number[];
  auc: number;
}

const PLOT = 360;
const LEFT = 52;
const TOP = 14;

/**
 * Draws the ROC curve as a `<polyline class="roc-line">` over a shaded area, with the chance
 * diagonal, a 0.2 grid and a legend giving the AUC.
 *
 * @returns an `<svg id="roc-curve">` element
 */
export function rocCurveSvg(roc: RocPoints): string {
  const { fpr, tpr } = roc;
  if (fpr.length !== tpr.length || fpr.length < 2) {
    throw new InvalidInput(
      `rocCurveSvg(): expected matching fpr and tpr with at least 2 points, got ` +
        `${fpr.length} and ${tpr.length}`,
    );
  }
  const check = (name: string, values: readonly number[]) =>
    values.forEach((v, i) => {
      if (!(v >= 0 && v <= 1)) {
        throw new InvalidInput(`rocCurveSvg(): ${name}[${i}]: expected a rate in [0, 1], got ${v}`);
      }
    });
  check("fpr", fpr);
  check("tpr", tpr);

  const px = (v: number) => (LEFT + v * PLOT).toFixed(2);
  const py = (v: number) => (TOP + (1 - v) * PLOT).toFixed(2);
  const points = fpr.map((f, i) => `${px(f)},${py(tpr[i]!)}`).join(" ");
  const width = LEFT + PLOT + 16;
  const height = TOP + PLOT + 46;
  const bottom = TOP + PLOT;
  const auc = formatMetric(roc.auc, 3);

  const parts: string[] = [
    `<svg id="roc-curve" class="chart" viewBox="0 0 ${width} ${height}" ` +
    `style="max-width:${Math.round(width * 1.15)}px" role="img" data-auc="${roc.auc}" ` +
    `aria-labelledby="roc-curve-title">`,
    `<title id="roc-curve-title">ROC curve, AUC ${auc}</title>`,
  ];
  for (let t = 0; t <= 5; t++) {
    const v = t / 5;
    const label = v.toFixed(1);
    parts.push(
      `<line x1="${px(v)}" y1="${TOP}" x2="${px(v)}" y2="${bottom}" stroke="#eef0f3"/>`,
      `<line x1="${LEFT}" y1="${py(v)}" x2="${LEFT + PLOT}" y2="${py(v)}" stroke="#eef0f3"/>`,
      `<text x="${px(v)}" y="${bottom + 16}" text-anchor="middle" font-size="11" ` +
        `fill="#6b7280">${label}</text>`,
      `<text x="${LEFT - 6}" y="${(Number(py(v)) + 4).toFixed(2)}" text-anchor="end" ` +
        `font-size="11" fill="#6b7280">${label}</text>`,
    );
  }
  parts.push(
    `<rect x="${LEFT}" y="${TOP}" width="${PLOT}" height="${PLOT}" fill="none" stroke="#d1d5db"/>`,
    `<line class="roc-diagonal" x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" ` +
      `stroke="#9ca3af" stroke-dasharray="5 4"><title>Chance (AUC 0.5)</title></line>`,
    `<polygon class="roc-area" points="${px(0)},${py(0)} ${points} ${px(1)},${py(0)}" ` +
      `fill="#2563eb" fill-opacity="0.08"/>`,
    `<polyline class="roc-line" points="${points}" fill="none" stroke="#2563eb" ` +
      `stroke-width="2.25" stroke-linejoin="round" data-points="${fpr.length}">` +
      `<title>ROC curve (AUC ${auc})</title></polyline>`,
    `<text x="${LEFT + PLOT / 2}" y="${height - 8}" text-anchor="middle" font-size="12" ` +
      `font-weight="600" fill="#4b5563">False positive rate</text>`,
    `<text x="14" y="${TOP + PLOT / 2}" text-anchor="middle" font-size="12" font-weight="600" ` +
      `fill="#4b5563" transform="rotate(-90 14 ${TOP + PLOT / 2})">True positive rate</text>`,
  );
  const lx = LEFT + PLOT - 150;
  const ly = bottom - 52;
  parts.push(
    `<g class="roc-legend">`,
    `<rect x="${lx}" y="${ly}" width="140" height="42" rx="4" fill="#ffffff" ` +
      `fill-opacity="0.92" stroke="#e5e7eb"/>`,
    `<line x1="${lx + 10}" y1="${ly + 14}" x2="${lx + 30}" y2="${ly + 14}" stroke="#2563eb" ` +
      `stroke-width="2.25"/>`,
    `<text x="${lx + 36}" y="${ly + 18}" font-size="12" fill="#111827">ROC (AUC = ${auc})</text>`,
    `<line x1="${lx + 10}" y1="${ly + 31}" x2="${lx + 30}" y2="${ly + 31}" stroke="#9ca3af" ` +
      `stroke-dasharray="5 4"/>`,
    `<text x="${lx + 36}" y="${ly + 35}" font-size="12" fill="#4b5563">Chance</text>`,
    `</g>`,
    `</svg>`,
  );
  return parts.join("\n");
}
