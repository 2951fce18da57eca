import assert from "node:assert/strict";
import { DriftMonitor } from "../../../lib/drift/monitor.ts";
import { DriftRowRelay, type RowBatch } from "../../../lib/drift/row_relay.ts";
import { Rng, uniformModel, uniformRows } from "../../support/drift.ts";

const MODEL = uniformModel({ nFeatures: 3, classFrequencies: [0.5, 0.5] });

function relay(maxValues?: number) {
  const sent: RowBatch[] = [];
  const r = new DriftRowRelay({
    send: (b) => sent.push(b),
    ...(maxValues === undefined ? {} : { maxValues }),
  });
  return { r, sent };
}

Deno.test("rows, predictions and refusals passed through the relay give the window the same figures as observed directly", () => {
  const { r, sent } = relay();
  const direct = new DriftMonitor();
  const far = new DriftMonitor();
  const rng = new Rng(3);
  for (let i = 0; i < 700; i++) {
    const n = 1 + (i % 3);
    const x = uniformRows(rng, n, 3, { 1: 0.4 });
    const predicted = Int32Array.from({ length: n }, (_, j) => (i + j) % 3 === 0 ? 1 : 0);
    direct.observe(MODEL, x, n, predicted);
    r.observe(MODEL, x, n, predicted);
    if (i % 97 === 0) {
      direct.refuse(MODEL, 'instances[0][1]: expected a finite number, got "x"');
      r.refuse(MODEL, 'instances[0][1]: expected a finite number, got "x"');
    }
    if (i % 50 === 0) r.take();
  }
  r.take();
  assert.equal(r.pending, 0);
  for (const b of sent) {
    assert.equal(b.sha256, MODEL.artifact.sha256);
    far.observe(MODEL, b.x, b.nRows, b.predicted);
    far.addRefusals(MODEL, b.refused);
  }
  const snap = direct.snapshot(MODEL);
  assert.deepEqual(far.snapshot(MODEL), snap);
  assert.equal(snap.quality.refused.non_numeric, 8);
  assert.equal(snap.prediction.available && snap.prediction.rows, 1000);
});

Deno.test("the relay sends at once when its buffer fills, and never mixes two models in a batch", () => {
  const other = { ...MODEL, artifact: { ...MODEL.artifact, sha256: "another model" } };
  const { r, sent } = relay(30);
  const rng = new Rng(1);
  r.observe(MODEL, uniformRows(rng, 4, 3), 4);
  assert.equal(sent.length, 0);
  r.observe(other, uniformRows(rng, 2, 3), 2);
  assert.deepEqual(sent.map((b) => [b.sha256, b.nRows]), [[MODEL.artifact.sha256, 4]]);
  r.observe(other, uniformRows(rng, 9, 3), 9); // 11 rows, 33 values: over 30
  assert.deepEqual(sent.map((b) => b.nRows), [4, 11]);
  assert.equal(sent[1]!.x.length, 33);
  r.take();
  assert.equal(sent.length, 2, "nothing waiting, nothing sent");
});

Deno.test("the relay keeps no window: asking it for figures is a programming error", () => {
  assert.throws(() => relay().r.snapshot(MODEL), /kept by the main thread/);
});
