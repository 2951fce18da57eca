import assert from "node:assert/strict";
import type { Dataset } from "../../../lib/data/dataset.ts";
import { stratifiedSplit } from "../../../lib/data/split.ts";
import { InvalidInput } from "../../../lib/errors.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import {
  buildArtifact,
  type LoadedModel,
  parseModel,
  serializeModel,
} from "../../../lib/model/artifact.ts";
import { featureStats } from "../../../lib/model/feature_stats.ts";
import { compareModels, type GateMetric, ModelsDiffer } from "../../../lib/training/gate.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";

const ALL = easyData(2, 400, 3);
const { train, test } = stratifiedSplit(ALL, { testSize: 0.3, seed: 1 });

function model(ds: Dataset, params: Record<string, number>): LoadedModel {
  const forest = trainForest(asTraining(ds), params);
  const artifact = buildArtifact({
    target: ds.target,
    classes: ds.classes,
    features: featureStats(ds.featureNames, ds.x, ds.nRows),
    forest,
    params,
    metrics: {},
    engine: { name: "native", version: "1.0.0" },
  });
  return parseModel(serializeModel(artifact));
}

const strong = model(train, { n_estimators: 30, seed: 1 });
const weak = model(train, { n_estimators: 1, max_depth: 1, seed: 1 });

Deno.test("the gate refuses a worse candidate on every metric, naming both figures", () => {
  for (const metric of ["accuracy", "f1", "roc_auc", "log_loss"] as GateMetric[]) {
    const r = compareModels({ candidate: weak, champion: strong, rows: test, source: "t", metric });
    assert.equal(r.accepted, false, metric);
    assert.equal(r.higher_is_better, metric !== "log_loss");
    assert.ok(r.champion !== null);
    assert.equal(r.difference, r.candidate.value - r.champion.value);
    assert.match(
      r.message,
      new RegExp(`^REFUSED: ${metric} candidate .* vs champion .*difference`),
    );
  }
});

Deno.test("the gate accepts an equal candidate and a better one, and anything without a champion", () => {
  const same = compareModels({ candidate: strong, champion: strong, rows: test, source: "t" });
  assert.equal(same.accepted, true);
  assert.equal(same.difference, 0);
  const better = compareModels({
    candidate: strong,
    champion: weak,
    rows: test,
    source: "t",
    metric: "log_loss",
  });
  assert.equal(better.accepted, true);
  const first = compareModels({ candidate: weak, rows: test, source: "t" });
  assert.equal(first.accepted, true);
  assert.equal(first.champion, null);
  assert.match(first.message, /^no champion yet/);
});

Deno.test("the tolerance decides at its edge: within it passes, beyond it is refused", () => {
  const r = compareModels({ candidate: weak, champion: strong, rows: test, source: "t" });
  const gap = -r.difference!;
  const at = (tolerance: number) =>
    compareModels({ candidate: weak, champion: strong, rows: test, source: "t", tolerance })
      .accepted;
  assert.equal(at(gap + 1e-9), true);
  assert.equal(at(gap - 1e-3), false);
  assert.throws(() => at(-0.1), InvalidInput);
  assert.throws(() => at(Number.NaN), InvalidInput);
});

Deno.test("the gate refuses to compare models with other features or classes", () => {
  const renamed: Dataset = { ...train, featureNames: train.featureNames.map((n) => `z_${n}`) };
  const relabelled: Dataset = { ...train, classes: ["a", "b"] };
  const cases: [string, LoadedModel, RegExp][] = [
    ["other features", model(renamed, { n_estimators: 2 }), /have different features/],
    ["other classes", model(relabelled, { n_estimators: 2 }), /have different classes/],
  ];
  for (const [what, champion, message] of cases) {
    assert.throws(
      () => compareModels({ candidate: strong, champion, rows: test, source: "t" }),
      (err: unknown) => err instanceof ModelsDiffer && message.test(err.message),
      what,
    );
  }
  const noColumn: Dataset = { ...test, featureNames: test.featureNames.map((n, i) => i ? n : "x") };
  assert.throws(
    () => compareModels({ candidate: strong, rows: noColumn, source: "rows.csv" }),
    /rows\.csv: has no column/,
  );
});
