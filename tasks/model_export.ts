/**
 * `deno task model export`: a FluxOps model in a format other runtimes read. `onnx` is written
 * here (lib/model/onnx_export.ts); `sklearn` (a pickled scikit-learn RandomForestClassifier with
 * the same trees) is written by the Python helper bench/fluxops_to_sklearn.py, run with a Python
 * that has scikit-learn.
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/fs/atomic.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { latestModelPath, resolveModelPath } from "../lib/model/local_store.ts";
import { exportOnnx, type OnnxPrecision } from "../lib/model/onnx_export.ts";

/** The Python helper that writes `--format sklearn`. */
export const SKLEARN_HELPER = join(import.meta.dirname!, "..", "bench", "fluxops_to_sklearn.py");

/** Options of {@link exportModel}. */
export interface ExportOptions {
  readonly format: string | undefined;
  readonly out: string | undefined;
  readonly precision: string | undefined;
  readonly python: string | undefined;
}

/** What an export wrote. */
export interface ExportResult {
  readonly format: "onnx" | "sklearn";
  readonly model: string;
  readonly out: string;
  readonly bytes: number;
  readonly trees: number;
  readonly nodes: number;
  readonly classes: readonly (string | number)[];
  readonly precision?: OnnxPrecision;
}

/** The Python that runs the sklearn helper: --python, FLUXOPS_PYTHON, bench/.venv, python3. */
async function pythonFor(flag: string | undefined): Promise<string> {
  if (flag) return flag;
  const env = Deno.env.get("FLUXOPS_PYTHON");
  if (env) return env;
  const venv = join(import.meta.dirname!, "..", "bench", ".venv", "bin", "python");
  try {
    await Deno.stat(venv);
    return venv;
  } catch {
    return "python3";
  }
}

/** Exports MODEL (a model.json or its folder; default the newest local model). */
export async function exportModel(
  modelArg: string | undefined,
  opts: ExportOptions,
): Promise<ExportResult> {
  const format = opts.format ?? "onnx";
  if (format !== "onnx" && format !== "sklearn") {
    throw new UsageError(`--format: expected onnx or sklearn, got "${format}"`);
  }
  if (!opts.out) throw new UsageError("export: --out FILE is required (see --help)");
  const precision = opts.precision ?? "float64";
  if (precision !== "float64" && precision !== "float32") {
    throw new UsageError(`--precision: expected float64 or float32, got "${precision}"`);
  }
  if (format !== "onnx" && opts.precision !== undefined) {
    throw new UsageError("--precision applies to --format onnx only");
  }
  const path = modelArg ? await resolveModelPath(modelArg) : await latestModelPath();
  const model = await loadModel(path);
  const { forest, artifact } = model;
  const summary = {
    model: path,
    out: opts.out,
    trees: forest.treeOffsets.length - 1,
    nodes: forest.feature.length,
    classes: artifact.classes,
  };
  if (format === "onnx") {
    const bytes = exportOnnx({
      forest,
      classes: artifact.classes,
      featureNames: model.featureNames,
      version: artifact.version,
      target: artifact.target,
    }, { precision });
    await writeFileAtomic(opts.out, bytes);
    return { format, ...summary, bytes: bytes.length, precision };
  }
  const python = await pythonFor(opts.python);
  const tmp = `${opts.out}.${Deno.pid}.tmp`;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: [SKLEARN_HELPER, "--model", path, "--out", tmp, "--json"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error(
      `cannot run ${python} (${(err as Error).message}): --format sklearn needs Python 3 with ` +
        "scikit-learn (bench/setup_python.sh, or --python PATH)",
    );
  }
  if (!out.success) {
    await Deno.remove(tmp).catch(() => {});
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
    throw new Error(`${python} ${SKLEARN_HELPER} failed (exit ${out.code}): ${err}`);
  }
  await Deno.rename(tmp, opts.out);
  return { format, ...summary, bytes: (await Deno.stat(opts.out)).size };
}
