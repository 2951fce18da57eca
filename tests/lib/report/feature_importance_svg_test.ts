import assert from "node:assert/strict";
import { featureImportanceSvg, rankFeatures } from "../../../lib/report/feature_importance_svg.ts";
import { assertInvalidInput } from "../metrics/assert_invalid_input.ts";

function bars(svg: string): { feature: string; width: number }[] {
  return [...svg.matchAll(/class="fi-bar"[^>]* width="([\d.]+)"[^>]*data-feature="([^"]*)"/g)].map((
    m,
  ) => ({ feature: m[2]!, width: Number(m[1]) }));
}

Deno.test("rankFeatures() sorts by importance, keeps input order on ties and keeps the top n", () => {
  const ranked = rankFeatures(["a", "b", "c", "d"], [0.1, 0.4, 0.1, 0.4], 3);
  assert.deepEqual(ranked.map((f) => f.name), ["b", "d", "a"]);
  assert.deepEqual(rankFeatures(["a"], [1], 0), []);
});

Deno.test("featureImportanceSvg() draws bars as long as each importance relative to the largest", () => {
  const svg = featureImportanceSvg(["x", "y", "z", "neg"], [0.2, 0.5, 0.1, -0.05]);
  const drawn = bars(svg);
  assert.deepEqual(drawn.map((b) => b.feature), ["y", "x", "z", "neg"]);
  const top = drawn[0]!.width;
  assert.ok(Math.abs(drawn[1]!.width - top * 0.4) < 0.01);
  assert.ok(Math.abs(drawn[2]!.width - top * 0.2) < 0.01);
  assert.equal(drawn[3]!.width, 0);
  assert.match(svg, />0\.500<\/text>/);
  assert.match(svg, />-0\.050<\/text>/);
});

Deno.test("featureImportanceSvg() draws empty bars when no importance is positive", () => {
  const svg = featureImportanceSvg(["a", "b"], [0, 0]);
  assert.deepEqual(bars(svg).map((b) => b.width), [0, 0]);
});

Deno.test("featureImportanceSvg() shortens long names and keeps the full name in the tooltip", () => {
  const name = "a_feature_name_that_goes_on_and_on_for_a_long_while";
  const svg = featureImportanceSvg([name], [1]);
  assert.match(svg, /a_feature_name_that_goes_on_and…<\/text>/);
  assert.match(svg, new RegExp(`<title>${name}</title>`));
});

Deno.test("rankFeatures() rejects mismatched lengths and non-finite importances", () => {
  assertInvalidInput(() => rankFeatures(["a", "b"], [1]), "2 feature names but 1 importances");
  assertInvalidInput(
    () => rankFeatures(["a", "b"], [1, Infinity]),
    "importances[1]: expected a finite number, got Infinity",
  );
});
