#!/usr/bin/env python3
"""Scores rows with a model exported by `deno task model export`, for tests/tasks/model_export_test.ts.

Usage: score_exported.py onnx|sklearn MODEL ROWS.f64 N_FEATURES OUT.f64
ROWS.f64 holds the rows as little-endian float64, row-major. Writes the probabilities to OUT.f64
(little-endian float64, rows x classes) and prints one JSON document: the labels, the classes
and the runtime's version. ONNX models run in ONNX Runtime on one thread, fed float64 or float32
as the model's input declares.
"""

import json
import pickle
import sys

import numpy as np


def main() -> int:
    kind, model, rows, p, out = sys.argv[1:6]
    x = np.fromfile(rows, dtype="<f8").reshape(-1, int(p))
    if kind == "onnx":
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        feed = x.astype(np.float32) if inp.type == "tensor(float)" else x
        names = [o.name for o in sess.get_outputs()]
        labels, proba = sess.run(names, {inp.name: feed})
        meta = sess.get_modelmeta().custom_metadata_map
        doc = {"runtime": ort.__version__, "input": inp.name, "input_type": inp.type,
               "outputs": names, "labels": [v.item() if hasattr(v, "item") else v for v in labels],
               "metadata": meta}
    else:
        import sklearn

        with open(model, "rb") as f:
            rf = pickle.load(f)
        proba = rf.predict_proba(x)
        doc = {"runtime": sklearn.__version__, "labels": rf.predict(x).tolist(),
               "classes": rf.classes_.tolist()}
    np.asarray(proba, dtype="<f8").tofile(out)
    json.dump(doc, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
