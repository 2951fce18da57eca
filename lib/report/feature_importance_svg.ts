/**
 * The feature-importance bar chart of the report, as inline SVG.
 * @module
 */

import { InvalidInput } from "../errors.ts";
import { escapeHtml as esc } from "./escape.ts";
import { textLength, truncate } from "./format.ts";

/** Options of {@link featureImportanceSvg}. */
export interface FeatureImportanceOptions {
  /** Most features to draw; the rest are left out. Default 30. */
  top?: number;
  /** Width of the drawing in viewBox units, about its width in CSS pixels. Default 520. */
  width?: number;
}

/** A feature and its importance, as ranked for the chart. */
export interface RankedFeature {
  name: string;
  importance: number;
}

const CHAR_W = 6.8; // rough width of one 12px system-font character, in viewBox units
const LABEL_CHARS = 32;
const BAR_H = 18;
const ROW_H = 24;

/**
 * Sorts features by importance, highest first (ties keep their input order), and keeps the
 * first `top`.
 */
export function rankFeatures(
  names: readonly string[],
  importances: readonly number[],
  top = 30,
): RankedFeature[] {
  if (names.length !== importances.length) {
    throw new InvalidInput(
      `rankFeatures(): ${names.length} feature names but ${importances.length} importances`,
    );
  }
  importances.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      throw new InvalidInput(
        `rankFeatures(): importances[${i}]: expected a finite number, got ${v}`,
      );
    }
  });
  return names
    .map((name, i) => ({ name, importance: importances[i]!, i }))
    .sort((a, b) => b.importance - a.importance || a.i - b.i)
    .slice(0, Math.max(0, top))
    .map(({ name, importance }) => ({ name, importance }));
}

/**
 * Draws the `top` most important features as horizontal `<rect class="fi-bar">` bars, longest
 * first, each as long as its importance relative to the largest and labelled with the feature
 * name and value. Negative importances draw as empty bars.
 *
 * @returns an `<svg id="feature-importance">` element
 */
export function featureImportanceSvg(
  names: readonly string[],
  importances: readonly number[],
  { top = 30, width = 520 }: FeatureImportanceOptions = {},
): string {
  const ranked = rankFeatures(names, importances, top);
  const shown = ranked.map((f) => truncate(f.name, LABEL_CHARS));
  const labelW = Math.ceil(Math.max(4, ...shown.map(textLength)) * CHAR_W) + 12;
  const valueW = 52;
  const barMax = Math.max(40, width - labelW - valueW);
  const max = Math.max(0, ...ranked.map((f) => f.importance));
  // One number of decimals for every value, enough for three significant digits of the largest.
  const digits = max > 0 ? Math.min(6, Math.max(0, 3 - Math.ceil(Math.log10(max)))) : 3;
  const height = ranked.length * ROW_H + 8;

  const parts: string[] = [
    `<svg id="feature-importance" class="chart" viewBox="0 0 ${
      labelW + barMax + valueW
    } ${height}" ` +
    `style="max-width:${
      Math.round((labelW + barMax + valueW) * 1.15)
    }px" role="img" data-features="${ranked.length}" ` +
    `aria-labelledby="feature-importance-title">`,
    `<title id="feature-importance-title">Feature importance, the ${ranked.length} most ` +
    `important features</title>`,
    `<line x1="${labelW}" y1="0" x2="${labelW}" y2="${height - 4}" stroke="#d1d5db"/>`,
  ];
  ranked.forEach((f, i) => {
    const y = 4 + i * ROW_H;
    const w = max > 0 && f.importance > 0 ? (f.importance / max) * barMax : 0;
    const value = f.importance.toFixed(digits);
    parts.push(
      `<text class="fi-label" x="${labelW - 8}" y="${y + BAR_H / 2 + 4}" text-anchor="end" ` +
        `font-size="12" fill="#374151"><title>${esc(f.name)}</title>${esc(shown[i]!)}</text>`,
      `<rect class="fi-bar" x="${labelW}" y="${y}" width="${w.toFixed(2)}" height="${BAR_H}" ` +
        `rx="2" fill="${i === 0 ? "#2563eb" : "#60a5fa"}" data-feature="${esc(f.name)}" ` +
        `data-importance="${f.importance}"><title>${esc(f.name)}: ${value}</title></rect>`,
      `<text class="fi-value" x="${(labelW + w + 6).toFixed(2)}" y="${y + BAR_H / 2 + 4}" ` +
        `font-size="11" fill="#4b5563">${value}</text>`,
    );
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}
