import assert from "node:assert/strict";
import { createHandler } from "../../function/handler.ts";
import { predictProba } from "../../lib/forest/predict.ts";
import { ModelHolder } from "../../function/serving/model_holder.ts";
import { smallModel } from "../support/models.ts";

const intModel = smallModel({ nFeatures: 3, classes: [0, 1, 2] });
const strModel = smallModel({ nFeatures: 3, classes: ["a", "b"] });

function handlerFor(model = intModel, loaded = true) {
  const holder = new ModelHolder();
  if (loaded) holder.set(model);
  return createHandler({ holder, log: () => {}, modelName: "iris" });
}

const infer = (body: unknown, path = "/v2/models/iris/infer") =>
  new Request(`http://fn${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const ROWS = [[0.1, 0.2, 0.3], [1, -1, 2]];

Deno.test("V2 health, server and model metadata follow the Open Inference Protocol", async () => {
  const h = handlerFor();
  assert.deepEqual(await (await h(new Request("http://fn/v2/health/live"))).json(), { live: true });
  assert.deepEqual(await (await h(new Request("http://fn/v2/health/ready"))).json(), {
    ready: true,
  });
  const server = await (await h(new Request("http://fn/v2"))).json();
  assert.equal(server.name, "fluxops");
  const meta = await (await h(new Request("http://fn/v2/models/iris"))).json();
  assert.equal(meta.name, "iris");
  assert.deepEqual(meta.versions, [intModel.artifact.version]);
  assert.deepEqual(meta.inputs, [{ name: "input", datatype: "FP64", shape: [-1, 3] }]);
  assert.deepEqual(meta.outputs.map((o: { name: string }) => o.name), ["label", "probabilities"]);
  assert.equal(meta.outputs[0].datatype, "INT64");
  const ready = await h(new Request("http://fn/v2/models/iris/ready"));
  assert.deepEqual(await ready.json(), { name: "iris", ready: true });
});

Deno.test("V2 readiness is 503 until a model is loaded", async () => {
  const h = handlerFor(intModel, false);
  assert.equal((await h(new Request("http://fn/v2/health/live"))).status, 200);
  assert.equal((await h(new Request("http://fn/v2/health/ready"))).status, 503);
  assert.equal((await h(new Request("http://fn/v2/models/iris/ready"))).status, 503);
  const res = await h(infer({ inputs: [] }));
  assert.equal(res.status, 503);
  assert.match((await res.json()).error, /no model/);
});

for (const [layout, data] of [["nested", ROWS], ["flat row-major", ROWS.flat()]] as const) {
  Deno.test(`V2 infer takes ${layout} FP64 data and returns labels and probabilities`, async () => {
    const res = await handlerFor()(infer({
      id: "req-1",
      inputs: [{ name: "input", shape: [2, 3], datatype: "FP64", data }],
    }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.model_name, "iris");
    assert.equal(body.id, "req-1");
    const [label, proba] = body.outputs;
    assert.deepEqual([label.name, label.datatype, label.shape], ["label", "INT64", [2]]);
    assert.deepEqual([proba.name, proba.datatype, proba.shape], ["probabilities", "FP64", [2, 3]]);
    const expected = predictProba(intModel.forest, Float64Array.from(ROWS.flat()), 2);
    assert.deepEqual(proba.data, Array.from(expected));
  });
}

Deno.test("V2 infer rounds FP32 input to single precision and honours requested outputs", async () => {
  const res = await handlerFor(strModel)(infer({
    inputs: [{ name: "input", shape: [1, 3], datatype: "FP32", data: [0.1, 0.2, 0.3] }],
    outputs: [{ name: "label" }],
  }));
  const body = await res.json();
  assert.equal(body.outputs.length, 1);
  assert.equal(body.outputs[0].datatype, "BYTES");
  assert.ok(["a", "b"].includes(body.outputs[0].data[0]));
});

/** Builds a Triton binary-extension request: JSON header, then the raw tensor bytes. */
function binaryRequest(rows: number[][], datatype: "FP32" | "FP64", binaryOut: boolean): Request {
  const flat = rows.flat();
  const tensor = datatype === "FP32" ? new Float32Array(flat) : new Float64Array(flat);
  const header = new TextEncoder().encode(JSON.stringify({
    inputs: [{
      name: "input",
      shape: [rows.length, rows[0]!.length],
      datatype,
      parameters: { binary_data_size: tensor.byteLength },
    }],
    outputs: [
      { name: "label", parameters: { binary_data: binaryOut } },
      { name: "probabilities", parameters: { binary_data: binaryOut } },
    ],
  }));
  const body = new Uint8Array(header.length + tensor.byteLength);
  body.set(header);
  body.set(new Uint8Array(tensor.buffer), header.length);
  return new Request("http://fn/v2/models/iris/infer", {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(header.length),
    },
    body,
  });
}

Deno.test("V2 infer reads binary tensors and writes binary outputs (Triton's extension)", async () => {
  for (const model of [intModel, strModel]) {
    const res = await handlerFor(model)(binaryRequest(ROWS, "FP64", true));
    assert.equal(res.status, 200);
    const headerLength = Number(res.headers.get("inference-header-content-length"));
    const bytes = new Uint8Array(await res.arrayBuffer());
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, headerLength)));
    const [label, proba] = header.outputs;
    const k = model.artifact.classes.length;
    assert.equal(proba.parameters.binary_data_size, 2 * k * 8);
    const labelBytes = bytes.slice(headerLength, headerLength + label.parameters.binary_data_size);
    const probaBytes = bytes.slice(headerLength + label.parameters.binary_data_size);
    const probs = new Float64Array(probaBytes.buffer);
    const expected = predictProba(model.forest, Float64Array.from(ROWS.flat()), 2);
    assert.deepEqual(Array.from(probs), Array.from(expected));
    if (label.datatype === "INT64") {
      assert.equal(new BigInt64Array(labelBytes.buffer).length, 2);
    } else {
      const view = new DataView(labelBytes.buffer);
      const n = view.getUint32(0, true);
      assert.ok(["a", "b"].includes(new TextDecoder().decode(labelBytes.subarray(4, 4 + n))));
    }
  }
  const json = await handlerFor()(binaryRequest(ROWS, "FP32", false));
  assert.equal(json.headers.get("content-type"), "application/json");
  assert.equal((await json.json()).outputs[1].shape[0], 2);
});

const bad: [string, unknown, number, RegExp][] = [
  ["no inputs", {}, 400, /inputs: expected exactly one input tensor/],
  ["two inputs", { inputs: [{}, {}] }, 400, /exactly one/],
  [
    "an input without a name",
    { inputs: [{ shape: [1, 3], datatype: "FP64", data: [1, 2, 3] }] },
    400,
    /inputs\[0\]\.name/,
  ],
  [
    "an INT32 input",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "INT32", data: [1, 2, 3] }] },
    400,
    /datatype: expected "FP32" or "FP64", got "INT32"/,
  ],
  [
    "a wrong feature count",
    { inputs: [{ name: "x", shape: [1, 4], datatype: "FP64", data: [1, 2, 3, 4] }] },
    400,
    /takes 3 features, got 4/,
  ],
  [
    "a 3-d shape",
    { inputs: [{ name: "x", shape: [1, 1, 3], datatype: "FP64", data: [1, 2, 3] }] },
    400,
    /shape: expected \[rows, 3\]/,
  ],
  [
    "too little data for the shape",
    { inputs: [{ name: "x", shape: [2, 3], datatype: "FP64", data: [1, 2, 3] }] },
    400,
    /needs 6 values, got 3/,
  ],
  [
    "a string in the data",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [1, "2", 3] }] },
    400,
    /inputs\[0\]\.data\[1\]: expected a finite number, got "2"/,
  ],
  [
    "an empty batch",
    { inputs: [{ name: "x", shape: [0, 3], datatype: "FP64", data: [] }] },
    400,
    /batch is empty/,
  ],
  [
    "too many rows",
    { inputs: [{ name: "x", shape: [9, 3], datatype: "FP64", data: [] }] },
    413,
    /over the limit of 4/,
  ],
  [
    "an unknown output",
    {
      inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [1, 2, 3] }],
      outputs: [{ name: "logits" }],
    },
    400,
    /outputs\[0\]\.name/,
  ],
  ["a numeric id", { id: 5, inputs: [] }, 400, /id: expected a string/],
  [
    "request parameters that are not an object",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [1, 2, 3] }], parameters: [] },
    400,
    /^parameters: expected an object/,
  ],
  [
    "tensor parameters that are not an object",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [1, 2, 3], parameters: 1 }] },
    400,
    /^inputs\[0\]\.parameters: expected an object/,
  ],
  [
    "an output that is not an object",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [1, 2, 3] }], outputs: [null] },
    400,
    /^outputs\[0\]: expected an object/,
  ],
  [
    "data that is a number, not an array",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: 5 }] },
    400,
    /^inputs\[0\]\.data: expected an array of numbers, got 5/,
  ],
  [
    "data nested deeper than rows",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [[[1, 2, 3]]] }] },
    400,
    /^inputs\[0\]\.data\[0\]\[0\]: expected a finite number, got \[1,2,3\]/,
  ],
  [
    "an FP32 value beyond the range of FP32",
    { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 1e39, 3] }] },
    400,
    /^inputs\[0\]\.data\[1\]: 1e\+39 is outside the range of FP32/,
  ],
];
for (const [what, body, status, message] of bad) {
  Deno.test(`V2 infer answers ${status} {"error"} to ${what}`, async () => {
    const holder = new ModelHolder();
    holder.set(intModel);
    const h = createHandler({ holder, log: () => {}, modelName: "iris", maxInstances: 4 });
    const res = await h(infer(body));
    assert.equal(res.status, status);
    const json = await res.json();
    assert.equal(typeof json.error, "string");
    assert.match(json.error, message);
  });
}

Deno.test("V2 answers 404 for another model name or version and 405 for a wrong method", async () => {
  const h = handlerFor();
  const other = await h(new Request("http://fn/v2/models/other"));
  assert.equal(other.status, 404);
  assert.match((await other.json()).error, /model "other" not found/);
  const version = await h(new Request("http://fn/v2/models/iris/versions/nope/ready"));
  assert.equal(version.status, 404);
  const ok = await h(
    new Request(`http://fn/v2/models/iris/versions/${intModel.artifact.version}/ready`),
  );
  assert.equal(ok.status, 200);
  const wrong = await h(new Request("http://fn/v2/models/iris/infer"));
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  const badBinary = await h(
    new Request("http://fn/v2/models/iris/infer", {
      method: "POST",
      headers: { "inference-header-content-length": "999" },
      body: "{}",
    }),
  );
  assert.equal(badBinary.status, 400);
  assert.equal((await h(new Request("http://fn/v2/nothing"))).status, 404);
});
