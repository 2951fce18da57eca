/**
 * The confusion-matrix heat map of the report, as inline SVG.
 * @module
 */

import type { Label } from "../data/dataset.ts";
import { InvalidInput } from "../errors.ts";
import { colorStops, needsLightText, sequentialColor } from "./color_scale.ts";
import { escapeHtml as esc } from "./escape.ts";
import { formatCount, textLength, truncate } from "./format.ts";

const CHAR_W = 7; // rough width of one 12px system-font character, in viewBox units
const LABEL_CHARS = 16;

/** Options of {@link confusionMatrixSvg}. */
export interface ConfusionMatrixOptions {
  /** Target side of the grid in viewBox units; cells stay between 22 and 120 units. */
  size?: number;
}

/**
 * Draws `matrix` (rows = true class, columns = predicted class) as a grid of `<rect
 * class="cm-cell">`, shaded by each cell's share of its row so small classes read as clearly
 * as large ones, with the count written in each cell and the class labels on both axes.
 *
 * @returns an `<svg id="confusion-matrix">` element
 */
export function confusionMatrixSvg(
  matrix: readonly (readonly number[])[],
  classes: readonly Label[],
  { size = 380 }: ConfusionMatrixOptions = {},
): string {
  const k = classes.length;
  if (matrix.length !== k || matrix.some((row) => row.length !== k)) {
    throw new InvalidInput(
      `confusionMatrixSvg(): expected a ${k} x ${k} matrix for ${k} classes`,
    );
  }
  const labels = classes.map((c) => String(c));
  const shown = labels.map((l) => truncate(l, LABEL_CHARS));
  const longest = Math.max(1, ...shown.map(textLength));

  const cell = Math.max(22, Math.min(120, Math.floor(size / k)));
  const grid = cell * k;
  const gridX = 26 + longest * CHAR_W + 10;
  const gridY = 8;
  const rotate = longest * CHAR_W > cell - 6;
  const bottomLabelH = rotate ? Math.ceil(longest * CHAR_W * 0.72) + 14 : 22;
  const legendX = gridX + grid + 22;
  const width = legendX + 14 + 44;
  const height = gridY + grid + bottomLabelH + 30;
  const showShare = cell >= 56;
  const countFont = showShare
    ? Math.min(20, Math.round(cell * 0.24))
    : Math.max(9, Math.min(14, Math.round(cell * 0.36)));

  const parts: string[] = [];
  parts.push(
    `<svg id="confusion-matrix" class="chart" viewBox="0 0 ${width} ${height}" ` +
      `style="max-width:${Math.round(width * 1.15)}px" role="img" data-classes="${k}" ` +
      `aria-labelledby="confusion-matrix-title">`,
    `<title id="confusion-matrix-title">Confusion matrix: rows are true classes, ` +
      `columns are predicted classes</title>`,
    `<defs><linearGradient id="confusion-matrix-scale" x1="0" y1="1" x2="0" y2="0">`,
    ...colorStops().map(([t, c]) => `<stop offset="${t}" stop-color="${c}"/>`),
    `</linearGradient></defs>`,
  );

  for (let r = 0; r < k; r++) {
    const row = matrix[r]!;
    const total = row.reduce((a, b) => a + b, 0);
    for (let c = 0; c < k; c++) {
      const count = row[c]!;
      const share = total === 0 ? 0 : count / total;
      const x = gridX + c * cell;
      const y = gridY + r * cell;
      const pct = `${(share * 100).toFixed(1)}%`;
      parts.push(
        `<rect class="cm-cell${r === c ? " cm-diagonal" : ""}" x="${x + 1}" y="${y + 1}" ` +
          `width="${cell - 2}" height="${cell - 2}" rx="3" fill="${sequentialColor(share)}" ` +
          `data-true="${r}" data-pred="${c}" data-count="${count}">` +
          `<title>True ${esc(labels[r]!)}, predicted ${esc(labels[c]!)}: ` +
          `${formatCount(count)} (${pct} of ${esc(labels[r]!)})</title></rect>`,
      );
      const text = formatCount(count);
      if (textLength(text) * countFont * 0.62 > cell - 4) continue;
      const fill = needsLightText(share) ? "#ffffff" : "#1f2937";
      const cx = x + cell / 2;
      const cy = y + cell / 2 + (showShare ? -countFont * 0.15 : countFont * 0.35);
      parts.push(
        `<text class="cm-count" x="${cx}" y="${cy.toFixed(1)}" text-anchor="middle" ` +
          `font-size="${countFont}" font-weight="600" fill="${fill}">${text}</text>`,
      );
      if (showShare) {
        parts.push(
          `<text class="cm-share" x="${cx}" y="${(cy + countFont * 0.95).toFixed(1)}" ` +
            `text-anchor="middle" font-size="${Math.round(countFont * 0.6)}" fill="${fill}" ` +
            `fill-opacity="0.8">${pct}</text>`,
        );
      }
    }
  }

  for (let i = 0; i < k; i++) {
    const label = esc(shown[i]!);
    const full = esc(labels[i]!);
    const mid = i * cell + cell / 2;
    parts.push(
      `<text class="cm-label cm-true-label" x="${gridX - 8}" y="${gridY + mid + 4}" ` +
        `text-anchor="end" font-size="12" fill="#374151"><title>${full}</title>${label}</text>`,
    );
    const bx = gridX + mid;
    const by = gridY + grid + 16;
    parts.push(
      rotate
        ? `<text class="cm-label cm-pred-label" x="${bx + 4}" y="${by - 4}" text-anchor="end" ` +
          `font-size="12" fill="#374151" transform="rotate(-45 ${bx + 4} ${
            by - 4
          })"><title>${full}</title>` +
          `${label}</text>`
        : `<text class="cm-label cm-pred-label" x="${bx}" y="${by}" text-anchor="middle" ` +
          `font-size="12" fill="#374151"><title>${full}</title>${label}</text>`,
    );
  }

  const axis = `font-size="12" font-weight="600" fill="#4b5563"`;
  const midY = gridY + grid / 2;
  parts.push(
    `<text class="cm-axis" x="12" y="${midY}" text-anchor="middle" ${axis} ` +
      `transform="rotate(-90 12 ${midY})">True class</text>`,
    `<text class="cm-axis" x="${gridX + grid / 2}" y="${height - 8}" text-anchor="middle" ` +
      `${axis}>Predicted class</text>`,
    `<rect x="${legendX}" y="${gridY + 1}" width="12" height="${grid - 2}" rx="2" ` +
      `fill="url(#confusion-matrix-scale)"><title>Share of the true class</title></rect>`,
  );
  for (const t of [0, 0.5, 1]) {
    const y = gridY + 1 + (grid - 2) * (1 - t);
    parts.push(
      `<text x="${legendX + 18}" y="${(y + 4).toFixed(1)}" font-size="11" fill="#6b7280">` +
        `${t * 100}%</text>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
