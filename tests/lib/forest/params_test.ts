import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import {
  DEFAULT_PARAMS,
  featuresPerSplit,
  type MaxFeatures,
  parseMaxFeatures,
  resolveParams,
} from "../../../lib/forest/params.ts";

Deno.test("resolveParams() fills scikit-learn's defaults", () => {
  assert.deepEqual(resolveParams(), DEFAULT_PARAMS);
  assert.equal(resolveParams({ n_estimators: 7 }).n_estimators, 7);
});

const badParams: [Record<string, unknown>, RegExp][] = [
  [{ n_estimators: 0 }, /n_estimators: expected an integer >= 1, got 0/],
  [{ n_estimators: 2.5 }, /n_estimators/],
  [{ max_depth: 0 }, /max_depth/],
  [{ min_samples_split: 1 }, /min_samples_split: expected an integer >= 2/],
  [{ min_samples_leaf: 0 }, /min_samples_leaf/],
  [{ seed: -1 }, /seed/],
  [{ max_features: 0 }, /max_features/],
  [{ max_features: 1.5 }, /max_features/],
  [{ max_features: "half" }, /max_features: .*got "half"/],
];
for (const [given, message] of badParams) {
  Deno.test(`resolveParams() rejects ${JSON.stringify(given)} naming the parameter`, () => {
    assert.throws(() => resolveParams(given as never), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.match(err.message, message);
      return true;
    });
  });
}

const parsed: [string, MaxFeatures][] = [
  ["sqrt", "sqrt"],
  ["log2", "log2"],
  ["all", "all"],
  ["5", 5],
  ["0.5", 0.5],
  [".25", 0.25],
  ["1.0", "all"],
];
for (const [text, expected] of parsed) {
  Deno.test(`parseMaxFeatures() reads "${text}"`, () => {
    assert.equal(parseMaxFeatures(text), expected);
  });
}

for (const text of ["", "0", "1.5", "-2", "abc", "0.0"]) {
  Deno.test(`parseMaxFeatures() rejects "${text}"`, () => {
    assert.throws(() => parseMaxFeatures(text), InvalidInput);
  });
}

const perSplit: [MaxFeatures, number, number][] = [
  ["sqrt", 64, 8],
  ["sqrt", 10, 3],
  ["log2", 64, 6],
  ["all", 13, 13],
  [4, 10, 4],
  [40, 10, 10],
  [0.5, 10, 5],
  [0.01, 10, 1],
  ["log2", 1, 1],
];
for (const [mf, p, expected] of perSplit) {
  Deno.test(`featuresPerSplit(${JSON.stringify(mf)}, ${p}) is ${expected}`, () => {
    assert.equal(featuresPerSplit(mf, p), expected);
  });
}
