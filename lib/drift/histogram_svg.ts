/**
 * One feature's drift chart for drift.html, as inline SVG: for each training quantile bin, the
 * training fraction and the recent fraction side by side.
 * @module
 */
import { InvalidInput } from "../errors.ts";
import { escapeHtml as esc } from "../report/escape.ts";

/** Options of {@link driftHistogramSvg}. */
export interface DriftHistogramOptions {
  /** The element id. */
  readonly id: string;
  /** Width in viewBox units, about CSS pixels. Default 520. */
  readonly width?: number;
}

const HEIGHT = 190;
const LEFT = 40;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 26;
/** Fill of the training bars (the legend uses it too). */
export const TRAINING_COLOR = "#9ca3af";
/** Fill of the recent bars. */
export const RECENT_COLOR = "#2563eb";

/** A number short enough for a tooltip: 4 significant digits. */
function short(v: number): string {
  return String(Number(v.toPrecision(4)));
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

/**
 * Draws bins as pairs of bars, `<rect class="bin-training">` and `<rect class="bin-recent">`
 * with `data-bin` and `data-fraction`, heights on one scale (the largest fraction is the full
 * height), bins numbered 1 to n below, and a tooltip naming each bin's range and fractions.
 *
 * @param name the feature, for titles
 * @param edges the bin edges, `training.length + 1` of them
 * @throws {InvalidInput} when the three lengths do not fit together
 * @returns an `<svg class="chart drift-chart">` element
 */
export function driftHistogramSvg(
  name: string,
  training: readonly number[],
  recent: readonly number[],
  edges: readonly number[],
  { id, width = 520 }: DriftHistogramOptions,
): string {
  const n = training.length;
  if (n === 0 || recent.length !== n || edges.length !== n + 1) {
    throw new InvalidInput(
      `driftHistogramSvg(): ${n} training fractions, ${recent.length} recent ones and ` +
        `${edges.length} edges (expected n, n and n + 1, n >= 1)`,
    );
  }
  const plotW = width - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const max = Math.max(1e-9, ...training, ...recent);
  const group = plotW / n;
  const barW = Math.max(1, group * 0.36);
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const parts: string[] = [
    `<svg id="${esc(id)}" class="chart drift-chart" viewBox="0 0 ${width} ${HEIGHT}" ` +
    `style="max-width:${Math.round(width * 1.15)}px" role="img" data-bins="${n}" ` +
    `aria-labelledby="${esc(id)}-title">`,
    `<title id="${esc(id)}-title">${esc(name)}: training and recent fraction of rows in each ` +
    `of ${n} training quantile bins</title>`,
  ];
  for (const frac of [0, 0.5, 1]) {
    const gy = y(frac * max).toFixed(2);
    parts.push(
      `<line x1="${LEFT}" y1="${gy}" x2="${width - RIGHT}" y2="${gy}" stroke="#e5e7eb"/>`,
      `<text x="${LEFT - 4}" y="${(Number(gy) + 3.5).toFixed(2)}" text-anchor="end" ` +
        `font-size="10" fill="#6b7280">${percent(frac * max)}</text>`,
    );
  }
  for (let b = 0; b < n; b++) {
    const x0 = LEFT + b * group + (group - 2 * barW) / 2;
    const range = b === 0
      ? `below ${short(edges[1] ?? edges[0]!)}`
      : b === n - 1
      ? `from ${short(edges[b]!)}`
      : `${short(edges[b]!)} to ${short(edges[b + 1]!)}`;
    const tip = `bin ${b + 1} (${range}): training ${percent(training[b]!)}, recent ${
      percent(recent[b]!)
    }`;
    for (
      const [cls, v, x, color] of [
        ["bin-training", training[b]!, x0, TRAINING_COLOR],
        ["bin-recent", recent[b]!, x0 + barW, RECENT_COLOR],
      ] as const
    ) {
      const top = y(v);
      parts.push(
        `<rect class="${cls}" x="${x.toFixed(2)}" y="${top.toFixed(2)}" width="${
          barW.toFixed(2)
        }" height="${(TOP + plotH - top).toFixed(2)}" fill="${color}" data-bin="${b}" ` +
          `data-fraction="${v}"><title>${esc(tip)}</title></rect>`,
      );
    }
    parts.push(
      `<text class="bin-label" x="${(LEFT + (b + 0.5) * group).toFixed(2)}" y="${
        HEIGHT - BOTTOM + 14
      }" text-anchor="middle" font-size="10" fill="#6b7280">${b + 1}</text>`,
    );
  }
  parts.push(
    `<line x1="${LEFT}" y1="${TOP + plotH}" x2="${width - RIGHT}" y2="${TOP + plotH}" ` +
      `stroke="#9ca3af"/>`,
    `</svg>`,
  );
  return parts.join("\n");
}
