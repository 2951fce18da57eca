/**
 * Escaping text for HTML and SVG markup.
 * @module
 */

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes `&`, `<`, `>`, `"` and `'` so any string is safe as element text or as a quoted
 * attribute value.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./escape.ts";
 * escapeHtml(`<script>alert("1")</script>`); // "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;"
 * ```
 */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}
