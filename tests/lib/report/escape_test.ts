import assert from "node:assert/strict";
import { escapeHtml } from "../../../lib/report/escape.ts";

Deno.test("escapeHtml() escapes the five characters that matter in HTML text and attributes", () => {
  const cases: [string | number, string][] = [
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    [`a & "b" 'c'`, "a &amp; &quot;b&quot; &#39;c&#39;"],
    ["&amp;", "&amp;amp;"],
    ["plain ünïcödé", "plain ünïcödé"],
    [42, "42"],
  ];
  for (const [input, expected] of cases) assert.equal(escapeHtml(input), expected);
});
