import assert from "node:assert/strict";
import { confusionMatrixSvg } from "../../../lib/report/confusion_matrix_svg.ts";

function cells(svg: string): { row: number; col: number; count: number }[] {
  return [...svg.matchAll(/data-true="(\d+)" data-pred="(\d+)" data-count="(\d+)"/g)].map((m) => ({
    row: Number(m[1]),
    col: Number(m[2]),
    count: Number(m[3]),
  }));
}

Deno.test("confusionMatrixSvg() draws one cell per class pair, row by row", () => {
  const svg = confusionMatrixSvg([[5, 1, 0], [2, 7, 1], [0, 0, 4]], ["a", "b", "c"]);
  assert.match(svg, /^<svg id="confusion-matrix"/);
  assert.deepEqual(cells(svg).map((c) => c.count), [5, 1, 0, 2, 7, 1, 0, 0, 4]);
  assert.deepEqual(cells(svg).slice(0, 4).map((c) => [c.row, c.col]), [[0, 0], [0, 1], [0, 2], [
    1,
    0,
  ]]);
  assert.equal([...svg.matchAll(/class="cm-label cm-true-label"/g)].length, 3);
  assert.equal([...svg.matchAll(/class="cm-label cm-pred-label"/g)].length, 3);
  assert.match(svg, /<title>True b, predicted a: 2 \(20\.0% of b\)<\/title>/);
});

Deno.test("confusionMatrixSvg() shades a class with no rows as zero", () => {
  const svg = confusionMatrixSvg([[3, 0], [0, 0]], ["seen", "unseen"]);
  assert.match(svg, /predicted unseen: 0 \(0\.0% of unseen\)/);
});

Deno.test("confusionMatrixSvg() rotates long axis labels and leaves out counts too wide for small cells", () => {
  const k = 30;
  const labels = Array.from({ length: k }, (_, i) => `a long class label ${i}`);
  const matrix = Array.from(
    { length: k },
    (_, r) => Array.from({ length: k }, (_, c) => (r === c ? 123456 : 1)),
  );
  const svg = confusionMatrixSvg(matrix, labels);
  assert.match(svg, /class="cm-label cm-pred-label"[^>]*transform="rotate\(-45/);
  assert.match(svg, /a long class la…/);
  const counts = [...svg.matchAll(/class="cm-count"[^>]*>([^<]*)</g)].map((m) => m[1]);
  assert.equal(counts.length, k * k - k, "the 7-character counts on the diagonal are left out");
  assert.equal(cells(svg).length, k * k);
});
