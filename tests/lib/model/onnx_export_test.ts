import assert from "node:assert/strict";
import { trainForest } from "../../../lib/forest/train.ts";
import { exportOnnx, float32AtLeast } from "../../../lib/model/onnx_export.ts";
import { ProtoWriter } from "../../../lib/model/protobuf.ts";
import { asTraining, easyData } from "../../support/fixtures.ts";

Deno.test("float32AtLeast() returns the smallest float32 at or above a double", () => {
  const cases: [number, number][] = [
    [0, 0],
    [1, 1],
    [0.1, 0.10000000149011612],
    [-0.1, -0.09999999403953552],
    [5.4, 5.400000095367432],
    [1e-46, 1.401298464324817e-45],
    [-1e-46, -0],
    [3.4028234663852886e38, 3.4028234663852886e38],
  ];
  for (const [v, want] of cases) {
    const got = float32AtLeast(v);
    assert.ok(Object.is(got, want), `${v}: got ${got}, want ${want}`);
    assert.ok(got >= v && Math.fround(got) === got);
  }
});

Deno.test("ProtoWriter writes varints, strings, packed numbers and nested messages", () => {
  const inner = new ProtoWriter().int(1, 300);
  const bytes = new ProtoWriter().int(1, 8).string(2, "hé").packedInts(3, [1, 128])
    .message(4, inner).finish();
  assert.deepEqual(
    Array.from(bytes),
    [0x08, 8, 0x12, 3, 0x68, 0xc3, 0xa9, 0x1a, 3, 1, 0x80, 1, 0x22, 3, 0x08, 0xac, 0x02],
  );
  assert.throws(() => new ProtoWriter().int(1, -1), RangeError);
});

Deno.test("exportOnnx() writes an IR 8 model with a TreeEnsembleClassifier of ai.onnx.ml", () => {
  const ds = easyData(3, 120, 2);
  const forest = trainForest(asTraining(ds), { n_estimators: 3 });
  const input = { forest, classes: ["a", "b", "c"], featureNames: ds.featureNames };
  const bytes = exportOnnx(input);
  assert.deepEqual(Array.from(bytes.subarray(0, 2)), [0x08, 8]);
  const text = new TextDecoder("latin1").decode(bytes);
  for (
    const s of ["TreeEnsembleClassifier", "ai.onnx.ml", "nodes_values_as_tensor", "BRANCH_LEQ"]
  ) {
    assert.ok(text.includes(s), `missing ${s}`);
  }
  const f32 = new TextDecoder("latin1").decode(exportOnnx(input, { precision: "float32" }));
  assert.ok(f32.includes("nodes_values") && !f32.includes("nodes_values_as_tensor"));
  assert.throws(() => exportOnnx({ ...input, classes: ["a", "b"] }), RangeError);
});
