/**
 * Number, time and text formatting for the report's tables and charts.
 * @module
 */

/** Formats a metric with fixed decimals, or an em dash for `null` and non-finite values. */
export function formatMetric(value: number | null, digits = 4): string {
  return value === null || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

/** Formats a count with thousands separators: `12345` becomes `"12,345"`. */
export function formatCount(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Formats a duration in seconds: `"0.42 s"`, `"12.3 s"`, `"4 min 05 s"`, `"2 h 03 min"`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) {
    return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  }
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Formats an ISO 8601 timestamp as `"2024-05-01 12:34 UTC"`; other text is returned as is. */
export function formatTimestamp(text: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return text;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Shortens `text` to at most `max` characters (code points), ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, Math.max(1, max - 1)).join("") + "…";
}

/** Length of `text` in code points, for estimating how wide an SVG label is. */
export function textLength(text: string): number {
  return Array.from(text).length;
}
