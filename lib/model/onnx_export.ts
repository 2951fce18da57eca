/**
 * ONNX export: a FluxOps forest as an ONNX `TreeEnsembleClassifier` (domain ai.onnx.ml, opset 3)
 * that any ONNX runtime can score, with the class labels and the feature order.
 *
 * Precision. ONNX's `nodes_values` and `class_weights` are float32. By default (`float64`) the
 * model instead carries the thresholds and weights as float64 tensors (`nodes_values_as_tensor`,
 * `class_weights_as_tensor`, allowed since opset 3) and takes a float64 input, so every row
 * takes exactly the branches FluxOps takes; ONNX Runtime still returns the probabilities as
 * float32, so they match FluxOps' to float32 rounding (|difference| under 1e-7). With `float32`
 * the input, thresholds and weights are float32, for runtimes without double support: each
 * threshold t is stored rounded UP to a float32 (the smallest float32 >= t), so every row
 * FluxOps sends left (x <= t) also goes left (float32(x) <= t32, rounding being monotone); a
 * row with t < x within one float32 step of t can go left too. Splits are `BRANCH_LEQ`
 * (x <= threshold goes to the true branch, the left child), as FluxOps and scikit-learn split.
 *
 * Probabilities are the mean over trees of the leaf class frequencies: each leaf's weights are
 * its frequencies divided by the number of trees, summed by the runtime. With two classes only
 * class 1's frequencies are written (under class id 0) and the runtime returns [1 - s, s]: the
 * ONNX-ML binary case, as skl2onnx writes scikit-learn forests.
 * @module
 */
import type { Label } from "../data/dataset.ts";
import type { Forest } from "../forest/forest.ts";
import { littleEndian, ProtoWriter } from "./protobuf.ts";

/** Number precision of an exported model. */
export type OnnxPrecision = "float64" | "float32";

/** What the export needs from a model. */
export interface OnnxExportInput {
  readonly forest: Forest;
  readonly classes: readonly Label[];
  readonly featureNames: readonly string[];
  /** Stored in the model's metadata (`fluxops_version`). */
  readonly version?: string;
  /** Stored in the model's metadata (`target`). */
  readonly target?: string;
}

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** Input, threshold and weight precision; default "float64" (see the module comment). */
  readonly precision?: OnnxPrecision;
}

/** Names of the graph's input and outputs. */
export const ONNX_INPUT = "input";
/** Output: the predicted label of each row. */
export const ONNX_LABEL = "label";
/** Output: the class probabilities, rows x classes. */
export const ONNX_PROBABILITIES = "probabilities";

// ONNX TensorProto.DataType values.
const FLOAT = 1, INT64 = 7, STRING = 8, DOUBLE = 11;
// ONNX AttributeProto.AttributeType values.
const A_STRING = 3, A_TENSOR = 4, A_FLOATS = 6, A_INTS = 7, A_STRINGS = 8;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest float32 that is >= v (v finite). */
export function float32AtLeast(v: number): number {
  const r = Math.fround(v);
  if (r >= v) return r;
  f32[0] = r;
  // r < v: step one float32 towards +infinity.
  if (r === 0) u32[0] = 1; // -0 or 0 below a positive v: the smallest positive subnormal
  else if (r > 0) u32[0] = u32[0]! + 1;
  else u32[0] = u32[0]! - 1;
  return f32[0]!;
}

function attrInts(name: string, v: ArrayLike<number>): ProtoWriter {
  return new ProtoWriter().string(1, name).int(20, A_INTS).packedInts(8, v);
}

function attrFloats(name: string, v: ArrayLike<number>): ProtoWriter {
  return new ProtoWriter().string(1, name).int(20, A_FLOATS).packedFloats(7, v);
}

function attrString(name: string, v: string): ProtoWriter {
  return new ProtoWriter().string(1, name).int(20, A_STRING).string(4, v);
}

function attrStrings(name: string, v: readonly string[]): ProtoWriter {
  const a = new ProtoWriter().string(1, name).int(20, A_STRINGS);
  for (const s of v) a.string(9, s);
  return a;
}

function attrDoubles(name: string, v: Float64Array): ProtoWriter {
  const tensor = new ProtoWriter().int(1, v.length).int(2, DOUBLE).string(8, name)
    .bytes(9, new Uint8Array(littleEndian(v)));
  return new ProtoWriter().string(1, name).int(20, A_TENSOR).message(5, tensor);
}

/** A tensor ValueInfo with a symbolic first dimension `N` and the given other dimensions. */
function valueInfo(name: string, elemType: number, dims: readonly number[]): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, "N"));
  for (const d of dims) shape.message(1, new ProtoWriter().int(1, d));
  const tensor = new ProtoWriter().int(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
}

/** Integer class labels go out as int64 labels; any other set of labels as strings. */
function intLabels(classes: readonly Label[]): number[] | undefined {
  return classes.every((c) => typeof c === "number" && Number.isSafeInteger(c) && c >= 0)
    ? classes as number[]
    : undefined;
}

/** The TreeEnsembleClassifier node of a forest. */
function ensembleNode(input: OnnxExportInput, precision: OnnxPrecision): ProtoWriter {
  const { feature, threshold, right, leafValues, treeOffsets, nClasses: k } = input.forest;
  const nTrees = treeOffsets.length - 1;
  const n = feature.length;
  const treeIds = new Int32Array(n), nodeIds = new Int32Array(n), featureIds = new Int32Array(n);
  const trueIds = new Int32Array(n), falseIds = new Int32Array(n);
  const values = new Float64Array(n);
  const modes: string[] = new Array(n);
  const cTree: number[] = [], cNode: number[] = [], cClass: number[] = [], cWeight: number[] = [];
  for (let t = 0; t < nTrees; t++) {
    const from = treeOffsets[t]!;
    for (let i = from; i < treeOffsets[t + 1]!; i++) {
      treeIds[i] = t;
      nodeIds[i] = i - from;
      const f = feature[i]!;
      if (f >= 0) {
        modes[i] = "BRANCH_LEQ";
        featureIds[i] = f;
        values[i] = precision === "float32" ? float32AtLeast(threshold[i]!) : threshold[i]!;
        trueIds[i] = i + 1 - from;
        falseIds[i] = right[i]! - from;
        continue;
      }
      modes[i] = "LEAF";
      const leaf = right[i]!;
      let pure = -1;
      for (let c = 0; c < k; c++) if (leafValues[leaf + c] === 1) pure = c;
      // Two classes: the ONNX-ML binary case. Only class 1's frequency is written, under class
      // id 0, and the runtime returns [1 - s, s]; that is how skl2onnx writes scikit-learn
      // forests, and the only layout ONNX Runtime 1.32 reads as [p0, p1] (weights under both
      // ids come out as [0, s] or [-s, s]: measured).
      for (let c = k === 2 ? 1 : 0; c < k; c++) {
        const v = pure >= 0 ? (c === pure ? 1 : 0) : leafValues[leaf + c]!;
        if (v === 0) continue;
        cTree.push(t);
        cNode.push(i - from);
        cClass.push(k === 2 ? 0 : c);
        cWeight.push(v / nTrees);
      }
    }
  }
  const node = new ProtoWriter().string(1, ONNX_INPUT).string(2, ONNX_LABEL)
    .string(2, ONNX_PROBABILITIES).string(3, "fluxops_forest").string(4, "TreeEnsembleClassifier")
    .string(7, "ai.onnx.ml");
  const attrs = [
    attrInts("nodes_treeids", treeIds),
    attrInts("nodes_nodeids", nodeIds),
    attrInts("nodes_featureids", featureIds),
    attrStrings("nodes_modes", modes),
    attrInts("nodes_truenodeids", trueIds),
    attrInts("nodes_falsenodeids", falseIds),
    precision === "float32"
      ? attrFloats("nodes_values", values)
      : attrDoubles("nodes_values_as_tensor", values),
    attrInts("class_treeids", cTree),
    attrInts("class_nodeids", cNode),
    attrInts("class_ids", cClass),
    precision === "float32"
      ? attrFloats("class_weights", cWeight)
      : attrDoubles("class_weights_as_tensor", Float64Array.from(cWeight)),
    attrString("post_transform", "NONE"),
  ];
  const ints = intLabels(input.classes);
  attrs.push(
    ints ? attrInts("classlabels_int64s", ints) : attrStrings(
      "classlabels_strings",
      input.classes.map(String),
    ),
  );
  for (const a of attrs) node.message(5, a);
  return node;
}

/**
 * The forest as an ONNX model (bytes of a ModelProto): input `input` (rows x features, float64
 * or float32), outputs `label` (int64 or string) and `probabilities` (float32, rows x classes).
 *
 * @example
 * ```ts
 * import { trainForest } from "../forest/train.ts";
 * import { exportOnnx } from "./onnx_export.ts";
 * const forest = trainForest({ nRows: 4, nFeatures: 2, nClasses: 2,
 *   x: new Float64Array([0, 0, 1, 1, 2, 2, 3, 3]), y: new Int32Array([0, 0, 1, 1]) });
 * const onnx = exportOnnx({ forest, classes: [0, 1], featureNames: ["a", "b"] });
 * // the bytes of model.onnx: await Deno.writeFile("model.onnx", onnx)
 * ```
 */
export function exportOnnx(
  input: OnnxExportInput,
  { precision = "float64" }: OnnxExportOptions = {},
): Uint8Array {
  const { forest } = input;
  if (input.classes.length !== forest.nClasses || input.featureNames.length !== forest.nFeatures) {
    throw new RangeError("exportOnnx: classes or feature names do not match the forest");
  }
  const ints = intLabels(input.classes);
  const graph = new ProtoWriter()
    .message(1, ensembleNode(input, precision))
    .string(2, "fluxops_random_forest")
    .message(
      11,
      valueInfo(ONNX_INPUT, precision === "float32" ? FLOAT : DOUBLE, [forest.nFeatures]),
    )
    .message(12, valueInfo(ONNX_LABEL, ints ? INT64 : STRING, []))
    .message(12, valueInfo(ONNX_PROBABILITIES, FLOAT, [forest.nClasses]));
  const meta: [string, string][] = [
    ["feature_names", JSON.stringify(input.featureNames)],
    ["class_labels", JSON.stringify(input.classes)],
    ["precision", precision],
  ];
  if (input.version !== undefined) meta.push(["fluxops_version", input.version]);
  if (input.target !== undefined) meta.push(["target", input.target]);
  const model = new ProtoWriter()
    .int(1, 8) // IR version 8 (ONNX 1.10+): opset 3 of ai.onnx.ml and 17 of the default domain
    .string(2, "fluxops")
    .string(3, "1")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, 17))
    .message(8, new ProtoWriter().string(1, "ai.onnx.ml").int(2, 3));
  for (const [key, value] of meta) {
    model.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return model.finish();
}
