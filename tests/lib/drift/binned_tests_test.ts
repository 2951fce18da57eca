import assert from "node:assert/strict";
import {
  binnedFigures,
  chi2Critical,
  chi2Homogeneity,
  chi2Statistic,
} from "../../../lib/drift/binned_tests.ts";
import { driftReference } from "../../../lib/drift/reference.ts";
import { chi2Gof } from "../../../lib/drift/stats/bins.ts";
import { chi2Sf } from "../../../lib/drift/stats/gamma.ts";
import { uniformStats } from "../../support/drift.ts";

Deno.test("chi2Critical() is the statistic whose tail is alpha (scipy.stats.chi2.isf)", () => {
  // scipy.stats.chi2.isf(0.05, 9) and chi2.isf(0.0005, 9)
  assert.ok(Math.abs(chi2Critical(9, 0.05) - 16.918977604620448) < 1e-9);
  assert.ok(Math.abs(chi2Critical(9, 0.0005) - 29.66580810359614) < 1e-8);
  for (const [dof, alpha] of [[1, 0.01], [4, 0.0001], [30, 0.2]] as const) {
    assert.ok(Math.abs(chi2Sf(chi2Critical(dof, alpha), dof) - alpha) < 1e-12 * 1e3);
  }
});

Deno.test("chi2Statistic() is the statistic of the test binnedFigures() reports, with and without the training row count", () => {
  const counts = [3, 4, 7, 10, 10, 10, 10, 13, 16, 17, ...new Array<number>(10).fill(10)];
  for (const trainRows of [0, 800]) {
    const ref = driftReference(uniformStats(["a", "b"]), "m", trainRows);
    const { statistic, dof } = chi2Statistic(ref, counts, 100, 0);
    const full = trainRows > 0
      ? chi2Homogeneity(ref.expected, trainRows, counts, 0, 0, 10)
      : chi2Gof(ref.expected, counts, 0, 10);
    assert.equal(statistic, full.statistic);
    assert.equal(dof, 9);
    assert.equal(binnedFigures(ref, counts, 100, 0).chi2_p_value, full.pValue);
  }
});
