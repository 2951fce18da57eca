/**
 * The `POST /api/predict` answer as JSON text, built from the probabilities with the model's
 * fixed parts (version, labels, keys) formatted once per model: the same text as
 * `JSON.stringify` of the answer object, without building that object (one object and one array
 * per row of a batch) on every request.
 * @module
 */
import type { ServedModel } from "./model_holder.ts";

/** A model's answer pieces, already JSON. */
interface Parts {
  /** `{"model_version":"...","prediction":` */
  readonly singleHead: string;
  /** Each label as JSON. */
  readonly labels: readonly string[];
  /** `,"probabilities":{"<key0>":` then `,"<key1>":`, ... */
  readonly keys: readonly string[];
  /** `{"model_version":"...","classes":[...],"predictions":[` */
  readonly batchHead: string;
}

const cache = new WeakMap<ServedModel, Parts>();
const q = JSON.stringify;

function parts(served: ServedModel): Parts {
  let p = cache.get(served);
  if (p) return p;
  const { artifact } = served.model;
  const version = q(artifact.version);
  p = {
    singleHead: `{"model_version":${version},"prediction":`,
    labels: artifact.classes.map((c) => q(c)),
    keys: served.labelKeys.map((k, c) => `${c === 0 ? ',"probabilities":{' : ","}${q(k)}:`),
    batchHead: `{"model_version":${version},"classes":${q(artifact.classes)},"predictions":[`,
  };
  cache.set(served, p);
  return p;
}

/**
 * The answer to a one-row request (`{"features": ...}`):
 * `{"model_version", "prediction", "probabilities": {"<label>": p, ...}}`.
 */
export function singleReply(served: ServedModel, proba: Float64Array, predicted: number): string {
  const p = parts(served);
  const keys = p.keys;
  let s = p.singleHead + p.labels[predicted]!;
  // A probability is a finite number, whose JSON is its String().
  for (let c = 0; c < keys.length; c++) s += keys[c]! + proba[c]!;
  return s + "}}";
}

/**
 * The answer to a batch (`{"instances": [...]}`):
 * `{"model_version", "classes", "predictions": [...], "probabilities": [[...], ...]}`.
 */
export function batchReply(
  served: ServedModel,
  proba: Float64Array,
  predicted: Int32Array,
  nRows: number,
): string {
  const p = parts(served);
  const labels = p.labels;
  const k = labels.length;
  let s = p.batchHead;
  for (let i = 0; i < nRows; i++) s += (i === 0 ? "" : ",") + labels[predicted[i]!]!;
  s += '],"probabilities":[';
  for (let i = 0, o = 0; i < nRows; i++) {
    s += i === 0 ? "[" : ",[";
    for (let c = 0; c < k; c++, o++) s += (c === 0 ? "" : ",") + proba[o]!;
    s += "]";
  }
  return s + "]}";
}
