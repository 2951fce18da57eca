/**
 * The report's sequential colour scale, light to dark blue, for heat maps.
 * @module
 */

type Rgb = readonly [number, number, number];

const STOPS: readonly (readonly [number, Rgb])[] = [
  [0, [244, 247, 251]],
  [0.25, [198, 219, 239]],
  [0.5, [107, 174, 214]],
  [0.75, [33, 113, 181]],
  [1, [8, 48, 107]],
];

/** The scale's stops as `[offset, "#rrggbb"]`, for an SVG gradient legend. */
export function colorStops(): [number, string][] {
  return STOPS.map(([t, rgb]) => [t, hex(rgb)]);
}

/** Returns the scale's colour at `t` in [0, 1] (clamped) as `"#rrggbb"`. */
export function sequentialColor(t: number): string {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, c1] = STOPS[i]!;
    if (x <= t1) {
      const [t0, c0] = STOPS[i - 1]!;
      const f = (x - t0) / (t1 - t0);
      const mix = (j: 0 | 1 | 2) => c0[j] + (c1[j] - c0[j]) * f;
      return hex([mix(0), mix(1), mix(2)]);
    }
  }
  return hex(STOPS[STOPS.length - 1]![1]);
}

/** Whether text on the scale's colour at `t` should be light for contrast. */
export function needsLightText(t: number): boolean {
  return t > 0.55;
}

function hex(rgb: Rgb): string {
  return "#" + rgb.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
}
