/**
 * The Open Inference Protocol (KServe V2) REST tensors: request parsing, with Triton's binary
 * tensor extension that the standard Python clients use by default, and responses.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";
import type { ServedModel } from "./model_holder.ts";
import { HttpError } from "./http_error.ts";

/** The output tensors a FluxOps model produces. */
export const V2_OUTPUTS = ["label", "probabilities"] as const;
type OutputName = typeof V2_OUTPUTS[number];

/** A requested output and whether it goes back as binary data. */
export interface RequestedOutput {
  readonly name: OutputName;
  readonly binary: boolean;
}

/** A parsed inference request. */
export interface InferRequest {
  readonly id: string | undefined;
  readonly x: Float64Array;
  readonly nRows: number;
  /** Outputs in the order asked, or both (as JSON) when none were named. */
  readonly outputs: readonly RequestedOutput[];
}

interface TensorJson {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
  parameters?: { binary_data_size?: unknown; binary_data?: unknown } | null;
}

function bad(message: string): InvalidInput {
  return new InvalidInput(message);
}

/** A JSON object: not null, not an array. */
function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Refuses `parameters` that is present but not an object, as the protocol defines it. */
function checkParameters(v: unknown, where: string): void {
  if (v !== undefined && !isObject(v)) throw bad(`${where}: expected an object`);
}

/** A value as a message shows it: JSON, cut short. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? "nothing";
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

/**
 * Flattens tensor data given flat (`[1, 2, 3, 4]`) or nested by rows (`[[1, 2], [3, 4]]`),
 * row-major, checking each value.
 */
function flatten(data: unknown, where: string, out: number[], depth = 0): void {
  if (Array.isArray(data) && depth < 2) {
    for (let i = 0; i < data.length; i++) flatten(data[i], `${where}[${i}]`, out, depth + 1);
    return;
  }
  if (depth === 0) throw bad(`${where}: expected an array of numbers, got ${show(data)}`);
  if (typeof data !== "number" || !Number.isFinite(data)) {
    throw bad(`${where}: expected a finite number, got ${show(data)}`);
  }
  out.push(data);
}

/** Decodes JSON text, naming the part that is wrong. */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bad(`${what}: not valid JSON`);
  }
}

/**
 * Parses an infer request body. `headerLength` is the `Inference-Header-Content-Length` header:
 * when present the first that many bytes are the JSON and the rest holds binary tensors.
 */
export function parseInferRequest(
  body: Uint8Array,
  headerLength: number | undefined,
  nFeatures: number,
  maxInstances: number,
): InferRequest {
  const jsonEnd = headerLength ?? body.length;
  if (!(Number.isInteger(jsonEnd) && jsonEnd >= 0 && jsonEnd <= body.length)) {
    throw bad(
      `Inference-Header-Content-Length: ${headerLength} does not fit a ${body.length}-byte body`,
    );
  }
  const req = parseJson(new TextDecoder().decode(body.subarray(0, jsonEnd)), "body");
  if (!isObject(req)) throw bad('body: expected a JSON object with "inputs"');
  const r = req as Record<string, unknown>;
  if (r.id !== undefined && typeof r.id !== "string") throw bad("id: expected a string");
  checkParameters(r.parameters, "parameters");
  const inputs = r.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw bad(`inputs: expected exactly one input tensor of shape [rows, ${nFeatures}]`);
  }
  const t = inputs[0] as TensorJson;
  if (!isObject(t)) throw bad("inputs[0]: expected a tensor object");
  checkParameters(t.parameters, "inputs[0].parameters");
  if (typeof t.name !== "string") throw bad("inputs[0].name: expected a string");
  if (t.datatype !== "FP32" && t.datatype !== "FP64") {
    throw bad(
      `inputs[0].datatype: expected "FP32" or "FP64", got ${
        JSON.stringify(t.datatype) ?? "nothing"
      }`,
    );
  }
  const shape = t.shape;
  if (
    !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0) ||
    !(shape.length === 2 || shape.length === 1)
  ) {
    throw bad(
      `inputs[0].shape: expected [rows, ${nFeatures}], got ${JSON.stringify(shape) ?? "nothing"}`,
    );
  }
  const [nRows, p] = shape.length === 2
    ? [shape[0] as number, shape[1] as number]
    : [1, shape[0] as number];
  if (p !== nFeatures) {
    throw bad(`inputs[0].shape: the model takes ${nFeatures} features, got ${p}`);
  }
  if (nRows === 0) throw bad("inputs[0].shape: the batch is empty");
  if (nRows > maxInstances) {
    throw new HttpError(
      "payload_too_large",
      `inputs[0].shape: ${nRows} rows is over the limit of ${maxInstances}`,
    );
  }
  const expected = nRows * p;
  let x: Float64Array;
  const binSize = t.parameters?.binary_data_size;
  if (binSize !== undefined) {
    const width = t.datatype === "FP32" ? 4 : 8;
    if (binSize !== expected * width || jsonEnd + expected * width > body.length) {
      throw bad(
        `inputs[0].parameters.binary_data_size: expected ${
          expected * width
        } bytes of ${t.datatype}`,
      );
    }
    const bytes = body.slice(jsonEnd, jsonEnd + expected * width);
    const view = new DataView(bytes.buffer);
    x = new Float64Array(expected);
    for (let i = 0; i < expected; i++) {
      const v = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
      if (!Number.isFinite(v)) {
        throw bad(`inputs[0].data[${i}]: expected a finite number, got ${v}`);
      }
      x[i] = v;
    }
  } else {
    const flat: number[] = [];
    flatten(t.data, "inputs[0].data", flat);
    if (flat.length !== expected) {
      throw bad(
        `inputs[0].data: shape ${
          JSON.stringify(shape)
        } needs ${expected} values, got ${flat.length}`,
      );
    }
    x = Float64Array.from(flat);
    if (t.datatype === "FP32") {
      for (let i = 0; i < expected; i++) {
        const v = Math.fround(x[i]!);
        // 1e39 is a finite JSON number but no FP32 value: it would round to Infinity.
        if (!Number.isFinite(v)) {
          throw bad(`inputs[0].data[${i}]: ${x[i]} is outside the range of FP32`);
        }
        x[i] = v;
      }
    }
  }
  const binaryAll =
    (r.parameters as Record<string, unknown> | undefined)?.binary_data_output === true;
  let outputs: RequestedOutput[];
  if (r.outputs === undefined) {
    outputs = V2_OUTPUTS.map((name) => ({ name, binary: binaryAll }));
  } else {
    if (!Array.isArray(r.outputs) || r.outputs.length === 0) {
      throw bad("outputs: expected a non-empty array of {name}");
    }
    outputs = r.outputs.map((o: TensorJson, i: number) => {
      if (!isObject(o)) throw bad(`outputs[${i}]: expected an object with "name"`);
      checkParameters(o.parameters, `outputs[${i}].parameters`);
      if (!V2_OUTPUTS.includes(o.name as OutputName)) {
        throw bad(
          `outputs[${i}].name: expected "label" or "probabilities", got ${
            JSON.stringify(o.name) ?? "nothing"
          }`,
        );
      }
      return {
        name: o.name as OutputName,
        binary: o.parameters?.binary_data === true || binaryAll,
      };
    });
  }
  return { id: r.id as string | undefined, x, nRows, outputs };
}

/** Whether a model's labels are all integers, so the label tensor can be INT64. */
function integerLabels(served: ServedModel): boolean {
  return served.model.artifact.classes.every((c) => typeof c === "number" && Number.isInteger(c));
}

/** Model metadata: `GET /v2/models/{name}`. */
export function modelMetadata(served: ServedModel, name: string): Record<string, unknown> {
  const { artifact } = served.model;
  const p = served.model.featureNames.length;
  return {
    name,
    versions: [artifact.version],
    platform: "fluxops_random_forest",
    inputs: [{ name: "input", datatype: "FP64", shape: [-1, p] }],
    outputs: [
      { name: "label", datatype: integerLabels(served) ? "INT64" : "BYTES", shape: [-1] },
      { name: "probabilities", datatype: "FP64", shape: [-1, artifact.classes.length] },
    ],
    parameters: { features: served.model.featureNames, classes: artifact.classes },
  };
}

/** An encoded infer response: JSON alone, or JSON followed by binary tensors. */
export interface EncodedResponse {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly headers: Record<string, string>;
}

/** Builds the infer response for predictions `predicted` and probabilities `proba`. */
export function inferResponse(
  served: ServedModel,
  name: string,
  req: InferRequest,
  predicted: Int32Array,
  proba: Float64Array,
): EncodedResponse {
  const { artifact } = served.model;
  const k = artifact.classes.length;
  const ints = integerLabels(served);
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const outputs = req.outputs.map((o) => {
    if (o.name === "probabilities") {
      if (o.binary) {
        chunks.push(new Uint8Array(proba.buffer, proba.byteOffset, proba.byteLength));
        return {
          name: o.name,
          datatype: "FP64",
          shape: [req.nRows, k],
          parameters: { binary_data_size: proba.byteLength },
        };
      }
      return { name: o.name, datatype: "FP64", shape: [req.nRows, k], data: Array.from(proba) };
    }
    const labels = Array.from(predicted, (c) => artifact.classes[c]!);
    if (!o.binary) {
      return { name: o.name, datatype: ints ? "INT64" : "BYTES", shape: [req.nRows], data: labels };
    }
    let bytes: Uint8Array;
    if (ints) {
      const a = new BigInt64Array(labels.map((l) => BigInt(l as number)));
      bytes = new Uint8Array(a.buffer);
    } else {
      const parts = labels.map((l) => enc.encode(String(l)));
      bytes = new Uint8Array(parts.reduce((s, b) => s + 4 + b.length, 0));
      const view = new DataView(bytes.buffer);
      let at = 0;
      for (const b of parts) {
        view.setUint32(at, b.length, true);
        bytes.set(b, at + 4);
        at += 4 + b.length;
      }
    }
    chunks.push(bytes);
    return {
      name: o.name,
      datatype: ints ? "INT64" : "BYTES",
      shape: [req.nRows],
      parameters: { binary_data_size: bytes.length },
    };
  });
  const json = enc.encode(JSON.stringify({
    model_name: name,
    model_version: artifact.version,
    ...(req.id === undefined ? {} : { id: req.id }),
    outputs,
  }));
  if (chunks.length === 0) {
    return { body: json, headers: { "content-type": "application/json" } };
  }
  const total = chunks.reduce((s, c) => s + c.length, json.length);
  const body = new Uint8Array(total);
  body.set(json, 0);
  let at = json.length;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return {
    body,
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(json.length),
    },
  };
}
