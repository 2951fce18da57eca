import assert from "node:assert/strict";
import {
  DriftEvent,
  driftEventLevel,
  driftLogLine,
  DriftMonitor,
  type DriftMonitorOptions,
} from "../../../lib/drift/monitor.ts";
import { FluxError } from "../../../lib/errors.ts";
import { parseModel, serializeModel } from "../../../lib/model/artifact.ts";
import { Rng, uniformModel, uniformRows, uniformStats } from "../../support/drift.ts";

const MODEL = uniformModel({ nFeatures: 3 });
const P = 3;

function setup(opts: DriftMonitorOptions = {}) {
  const events: DriftEvent[] = [];
  const monitor = new DriftMonitor({ ...opts, onEvent: (e) => events.push(e) });
  return { monitor, events };
}

/** Feeds `n` rows in requests of `batch` rows. */
function feed(
  monitor: DriftMonitor,
  rng: Rng,
  n: number,
  { batch = 1, shift = {} }: { batch?: number; shift?: Record<number, number> } = {},
  model = MODEL,
): void {
  for (let done = 0; done < n; done += batch) {
    const rows = Math.min(batch, n - done);
    monitor.observe(model, uniformRows(rng, rows, P, shift), rows);
  }
}

Deno.test("DriftMonitor announces nothing while the rows look like the training data", () => {
  const { monitor, events } = setup();
  feed(monitor, new Rng(1), 1500, { batch: 7 });
  assert.equal(events.length, 0);
  const s = monitor.snapshot(MODEL);
  assert.equal(s.window, 1000);
  assert.equal(s.capacity, 1000);
  assert.equal(s.rows_seen, 1500);
  assert.equal(s.ready, true);
  assert.equal(s.status, "ok");
  for (const f of Object.values(s.features)) assert.ok(f.psi < 0.03, String(f.psi));
});

Deno.test("DriftMonitor announces a shifted feature once per change of status, and its return to ok", () => {
  const { monitor, events } = setup();
  const rng = new Rng(2);
  feed(monitor, rng, 1000);
  feed(monitor, rng, 3000, { shift: { 1: 0.5 } });
  const intoAlert = events.filter((e) => e.status === "alert");
  assert.equal(intoAlert.length, 1, JSON.stringify(events));
  assert.ok(events.every((e) => e.feature === "f1"), "only the shifted feature");
  assert.deepEqual(events.map((e) => e.previous), [
    "ok",
    ...events.slice(0, -1).map((e) => e.status),
  ]);
  const alert = intoAlert[0]!;
  assert.equal(alert.msg, "drift");
  assert.equal(alert.model_version, MODEL.artifact.version);
  assert.equal(alert.window, 1000);
  assert.equal(alert.drifted, true);
  assert.ok(alert.chi2_p_value < 0.005 / 3);
  assert.equal(monitor.snapshot(MODEL).features.f1!.status, "alert");

  const before = events.length;
  feed(monitor, rng, 2000);
  const back = events.slice(before);
  assert.equal(back.at(-1)!.status, "ok");
  assert.equal(back.at(-1)!.feature, "f1");
  assert.ok(back.every((e) => e.feature === "f1"), JSON.stringify(back));
  assert.equal(monitor.snapshot(MODEL).status, "ok");
});

Deno.test("DriftMonitor announces nothing before the window holds the minimum rows", () => {
  const { monitor, events } = setup({ window: 1000, minRows: 500, checkEvery: 50 });
  const rng = new Rng(3);
  feed(monitor, rng, 499, { batch: 10, shift: { 0: 2 } });
  assert.equal(events.length, 0);
  const early = monitor.snapshot(MODEL);
  assert.equal(early.ready, false);
  assert.equal(early.min_rows, 500);
  assert.ok(early.features.f0!.chi2_p_value < 1e-10, "the figures are there");
  assert.equal(early.features.f0!.status, "ok", "but no status before the minimum rows");
  assert.equal(early.features.f0!.drifted, false);
  assert.equal(early.dataset_drift, false);
  assert.equal(events.length, 0);
  feed(monitor, rng, 1, { shift: { 0: 2 } });
  assert.deepEqual(events.map((e) => [e.feature, e.status, e.window]), [["f0", "alert", 500]]);
});

Deno.test("DriftMonitor evaluates statuses every checkEvery rows, not on every request", () => {
  // A small window is noisy (PSI near 9 / n on unshifted features), so only f2 is followed.
  const { monitor, events } = setup({ window: 100, minRows: 10, checkEvery: 40 });
  const rng = new Rng(4);
  feed(monitor, rng, 39, { shift: { 2: 5 } });
  assert.equal(events.length, 0);
  feed(monitor, rng, 1, { shift: { 2: 5 } });
  const f2 = events.filter((e) => e.feature === "f2");
  assert.deepEqual(f2.map((e) => [e.status, e.window]), [["alert", 40]]);
  // A snapshot evaluates at once, so no figure shows a status that was not announced.
  const quiet = setup({ window: 100, minRows: 10, checkEvery: 40 });
  feed(quiet.monitor, rng, 20, { shift: { 2: 5 } });
  assert.equal(quiet.events.length, 0);
  assert.equal(quiet.monitor.snapshot(MODEL).features.f2!.status, "alert");
  assert.deepEqual(quiet.events.filter((e) => e.feature === "f2").map((e) => e.window), [20]);
});

Deno.test("DriftMonitor starts a new window for a new model and keeps it for a reload of the same one", () => {
  const { monitor, events } = setup();
  const rng = new Rng(5);
  feed(monitor, rng, 1000, { batch: 10, shift: { 0: 1 } });
  assert.equal(events.length, 1);
  const reloaded = parseModel(serializeModel(MODEL.artifact));
  assert.notEqual(reloaded, MODEL);
  const kept = monitor.snapshot(reloaded);
  assert.equal(kept.window, 1000);
  assert.equal(kept.features.f0!.status, "alert");

  const other = uniformModel({ nFeatures: 3, seed: 9 });
  assert.notEqual(other.artifact.version, MODEL.artifact.version);
  const fresh = monitor.snapshot(other);
  assert.equal(fresh.window, 0);
  assert.equal(fresh.rows_seen, 0);
  assert.equal(fresh.model_version, other.artifact.version);
  assert.equal(fresh.status, "ok");
  feed(monitor, rng, 1000, { batch: 10, shift: { 0: 1 } }, other);
  assert.deepEqual(events.map((e) => [e.feature, e.status, e.previous, e.model_version]), [
    ["f0", "alert", "ok", MODEL.artifact.version],
    ["f0", "alert", "ok", other.artifact.version],
  ]);
});

Deno.test("DriftMonitor cannot monitor a model without training histograms, and says so", () => {
  const stats = uniformStats(["f0", "f1", "f2"]).map(({ bin_edges: _, ...rest }) => rest);
  const model = uniformModel({ nFeatures: 3, features: stats as never });
  const { monitor, events } = setup();
  monitor.observe(model, new Float64Array(3), 1);
  assert.throws(() => monitor.snapshot(model), (err: unknown) => {
    assert.ok(err instanceof FluxError);
    assert.equal(err.code, "invalid_model");
    assert.match(err.message, /feature "f0" has no training histogram/);
    return true;
  });
  assert.equal(events.length, 0);
});

const BAD_OPTIONS: [string, DriftMonitorOptions, RegExp][] = [
  ["a window of 0 rows", { window: 0 }, /window must be a positive integer, got 0/],
  ["a fractional window", { window: 10.5 }, /window must be a positive integer, got 10.5/],
  ["a minimum of 0 rows", { minRows: 0 }, /minRows must be a positive integer/],
  ["a minimum over the window", { window: 100, minRows: 101 }, /minRows \(101\) cannot exceed/],
  ["checking every 0 rows", { checkEvery: 0 }, /checkEvery must be a positive integer/],
];
for (const [what, options, message] of BAD_OPTIONS) {
  Deno.test(`DriftMonitor refuses ${what}`, () => {
    assert.throws(() => new DriftMonitor(options), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("DriftMonitor defaults to a 1,000-row window, 100 rows before events, checks every 50, alpha 0.005", () => {
  const m = new DriftMonitor();
  assert.deepEqual([m.capacity, m.minRows, m.checkEvery], [1000, 100, 50]);
  assert.deepEqual(m.settings, { alpha: 0.005, correction: "bonferroni", share: 0.5 });
  const small = new DriftMonitor({ window: 80 });
  assert.deepEqual([small.capacity, small.minRows, small.checkEvery], [80, 80, 4]);
});

Deno.test("driftLogLine() writes time and level first, at error into alert, warn into warn, info back to ok", () => {
  const event: DriftEvent = {
    msg: "drift",
    feature: "f1",
    status: "alert",
    previous: "warn",
    drifted: true,
    chi2_p_value: 1e-6,
    js_distance: 0.2,
    psi: 0.31,
    dataset_drift: false,
    share_drifted: 0.25,
    model_version: "v1",
    window: 1000,
  };
  const line = driftLogLine(event, new Date("2026-01-02T03:04:05Z"));
  assert.equal(
    line,
    '{"time":"2026-01-02T03:04:05.000Z","level":"error","msg":"drift","feature":"f1",' +
      '"status":"alert","previous":"warn","drifted":true,"chi2_p_value":0.000001,' +
      '"js_distance":0.2,"psi":0.31,"dataset_drift":false,"share_drifted":0.25,' +
      '"model_version":"v1","window":1000}',
  );
  assert.equal(driftEventLevel({ ...event, status: "warn", previous: "ok" }), "warn");
  assert.equal(driftEventLevel({ ...event, status: "ok", previous: "alert" }), "info");
});
