import assert from "node:assert/strict";
import {
  checkDriftSettings,
  decideDrift,
  DEFAULT_DRIFT_SETTINGS,
  type DriftSettings,
} from "../../../lib/drift/verdict.ts";

Deno.test("decideDrift() flags features under alpha / features, warns under alpha, and the data set at the share", () => {
  const v = decideDrift([0.001, 0.03, 0.6, 0.0001], DEFAULT_DRIFT_SETTINGS);
  assert.deepEqual(v.drifted, [true, false, false, true]);
  assert.deepEqual(v.status, ["alert", "warn", "ok", "alert"]);
  assert.equal(v.share_drifted, 0.5);
  assert.equal(v.dataset_drift, true, "half of the features is the default share");
  assert.equal(decideDrift([0.001, 0.5, 0.6], DEFAULT_DRIFT_SETTINGS).dataset_drift, false);
  assert.deepEqual(decideDrift([], DEFAULT_DRIFT_SETTINGS), {
    drifted: [],
    status: [],
    share_drifted: 0,
    dataset_drift: false,
  });
});

const BAD: [Partial<DriftSettings>, RegExp][] = [
  [{ alpha: 0 }, /alpha must be between 0 and 1 \(exclusive\), got 0/],
  [{ alpha: 1 }, /alpha must be between 0 and 1/],
  [{ share: 0 }, /share must be in \(0, 1\], got 0/],
  [{ share: 1.5 }, /share must be in \(0, 1\]/],
  [{ correction: "holm" as never }, /correction must be bonferroni or fdr, got holm/],
];
for (const [patch, message] of BAD) {
  Deno.test(`checkDriftSettings() refuses ${JSON.stringify(patch)}`, () => {
    assert.throws(() => checkDriftSettings({ ...DEFAULT_DRIFT_SETTINGS, ...patch }), message);
  });
}
