import assert from "node:assert/strict";
import { colorStops, needsLightText, sequentialColor } from "../../../lib/report/color_scale.ts";

Deno.test("sequentialColor() runs from the first stop to the last and clamps outside [0, 1]", () => {
  const stops = colorStops();
  assert.equal(sequentialColor(0), stops[0]![1]);
  assert.equal(sequentialColor(1), stops[stops.length - 1]![1]);
  assert.equal(sequentialColor(-3), sequentialColor(0));
  assert.equal(sequentialColor(7), sequentialColor(1));
  assert.equal(sequentialColor(NaN), sequentialColor(0));
  assert.match(sequentialColor(0.4), /^#[0-9a-f]{6}$/);
});

Deno.test("sequentialColor() darkens as the share grows", () => {
  const brightness = (hex: string) =>
    [1, 3, 5].reduce((sum, i) => sum + parseInt(hex.slice(i, i + 2), 16), 0);
  let previous = Infinity;
  for (let t = 0; t <= 1; t += 0.1) {
    const b = brightness(sequentialColor(t));
    assert.ok(b < previous, `t=${t}`);
    previous = b;
  }
  assert.equal(needsLightText(0.2), false);
  assert.equal(needsLightText(0.9), true);
});
