import assert from "node:assert/strict";
import { ModelHolder } from "../../../function/serving/model_holder.ts";
import { batchReply, singleReply } from "../../../function/serving/predict_reply.ts";
import { smallModel } from "../../support/models.ts";

Deno.test("the predict answers are the text JSON.stringify gives for them", async () => {
  const holder = new ModelHolder();
  holder.set(await smallModel());
  const served = holder.served!;
  const { classes, version } = served.model.artifact;
  const k = classes.length;
  const proba = Float64Array.from({ length: 3 * k }, (_, i) => (i % k === 0 ? 1 / 3 : i / 7));
  const predicted = Int32Array.from([0, k - 1, 0]);
  const probabilities: Record<string, number> = {};
  for (let c = 0; c < k; c++) probabilities[String(classes[c])] = proba[c]!;
  assert.equal(
    singleReply(served, proba, k - 1),
    JSON.stringify({ model_version: version, prediction: classes[k - 1], probabilities }),
  );
  assert.equal(
    batchReply(served, proba, predicted, 3),
    JSON.stringify({
      model_version: version,
      classes,
      predictions: Array.from(predicted, (c) => classes[c]),
      probabilities: [0, 1, 2].map((i) => Array.from(proba.subarray(i * k, i * k + k))),
    }),
  );
});
