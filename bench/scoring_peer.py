#!/usr/bin/env python3
"""Python peers of the FluxOps scoring benchmark (`deno task bench:compare`, bench/side_by_side.ts).

For each case NAME=MODEL_JSON,ONNX64,ONNX32,ROWS_CSV,FLUXOPS_PROBA it scores the SAME trees:
  * scikit-learn: the FluxOps model.json converted with bench/fluxops_to_sklearn.py (float32-safe
    thresholds), predict_proba with n_jobs=None (one thread);
  * ONNX Runtime: the ONNX files written by `deno task model export --format onnx` (float64 and
    float32 precision), one CPU thread (intra_op_num_threads=1, inter_op_num_threads=1,
    sequential execution).
Batch: all rows of ROWS_CSV (100,000), one warm-up call then the median of three.
One row: each of the first --one-rows rows scored alone ([1, features] input), fresh rows in
turn, not one repeated row; microseconds per call, the median over 10 chunks of rows of the mean
wall time, and the mean CPU time (scikit-learn: the first --sk-one-rows).
It also reports the largest |difference| of each peer's probabilities from FLUXOPS_PROBA
(little-endian float64, rows x classes) on the batch.
Prints ONE JSON document on stdout; progress goes to stderr.

Run with the OpenBLAS overrides these machines set removed for this command alone:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE bench/.venv/bin/python bench/scoring_peer.py ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csvdata  # noqa: E402
import fluxops_to_sklearn as fx  # noqa: E402


def log(msg: str) -> None:
    print(f"scoring_peer: {msg}", file=sys.stderr, flush=True)


def timed(fn, repeats: int = 3) -> tuple[float, list[float], float]:
    """One warm-up call, then the median of `repeats` timed calls: wall seconds, all wall
    times, and the median CPU seconds of this process (robust to other work on the machine)."""
    fn()
    times, cpu = [], []
    for _ in range(repeats):
        c = time.process_time()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), times, statistics.median(cpu)


def per_row_us(fn, X: np.ndarray, n: int) -> tuple[float, float]:
    """Microseconds of fn on each of the first n rows alone, after a warm-up pass: the median
    over 10 chunks of rows of the mean wall time (a burst of other work spoils one chunk, not the
    figure), and the mean CPU time of this process over all n."""
    n = min(n, X.shape[0])
    rows = [X[i:i + 1] for i in range(n)]
    for r in rows[: min(200, n)]:
        fn(r)
    chunk = max(1, n // 10)
    walls = []
    c = time.process_time()
    for a in range(0, n, chunk):
        part = rows[a:a + chunk]
        t = time.perf_counter()
        for r in part:
            fn(r)
        walls.append((time.perf_counter() - t) / len(part) * 1e6)
    cpu = (time.process_time() - c) / n * 1e6
    return statistics.median(walls), cpu


def ort_session(path: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run_case(name: str, spec: str, args: argparse.Namespace) -> dict[str, object]:
    model_json, onnx64, onnx32, rows_csv, proba_bin = spec.split(",")
    rf, model = fx.convert(model_json)
    rf.set_params(n_jobs=None)
    _, X = csvdata.read_features(rows_csv)
    k = len(model["classes"])
    ours = np.fromfile(proba_bin, dtype="<f8").reshape(X.shape[0], k)
    X32 = X.astype(np.float32)
    nodes = int(sum(e.tree_.node_count for e in rf.estimators_))
    trees = len(rf.estimators_)
    log(f"{name}: {X.shape[0]} rows x {X.shape[1]}, {trees} trees, {nodes} nodes")

    out: dict[str, object] = {"rows": int(X.shape[0]), "features": int(X.shape[1]),
                              "classes": k, "trees": trees, "nodes": nodes}
    sk_s, sk_all, sk_cpu = timed(lambda: rf.predict_proba(X), args.repeats)
    sk_p = rf.predict_proba(X)
    sk_one, sk_one_cpu = per_row_us(rf.predict_proba, X, args.sk_one_rows)
    out["sklearn"] = {"seconds": sk_s, "all": sk_all, "cpu_seconds": sk_cpu,
                      "one_row_us": sk_one, "one_row_cpu_us": sk_one_cpu,
                      "one_rows": min(args.sk_one_rows, X.shape[0]),
                      "max_abs_diff_vs_fluxops": float(np.abs(sk_p - ours).max())}
    log(f"{name}: scikit-learn {sk_s:.3f} s")
    for key, path, data in (("onnxruntime_f64", onnx64, X), ("onnxruntime_f32", onnx32, X32)):
        sess = ort_session(path)
        feed = sess.get_inputs()[0].name
        prob_name = sess.get_outputs()[1].name
        run = lambda x, s=sess, f=feed, o=prob_name: s.run([o], {f: x})[0]  # noqa: E731
        s, alls, cpu = timed(lambda: run(data), args.repeats)
        p = np.asarray(run(data), dtype=np.float64)
        one, one_cpu = per_row_us(run, data, args.one_rows)
        out[key] = {"seconds": s, "all": alls, "cpu_seconds": cpu,
                    "one_row_us": one, "one_row_cpu_us": one_cpu,
                    "one_rows": min(args.one_rows, X.shape[0]),
                    "max_abs_diff_vs_fluxops": float(np.abs(p - ours).max())}
        log(f"{name}: {key} {s:.3f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="+", metavar="NAME=MODEL,ONNX64,ONNX32,ROWS,PROBA")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one-rows", type=int, default=10_000)
    ap.add_argument("--sk-one-rows", type=int, default=300)
    args = ap.parse_args(argv)
    import onnxruntime
    import sklearn

    results = {}
    for case in args.cases:
        name, _, spec = case.partition("=")
        if spec.count(",") != 4:
            ap.error(f"{case}: expected NAME=MODEL,ONNX64,ONNX32,ROWS,PROBA")
        results[name] = run_case(name, spec, args)
    json.dump({"sklearn": sklearn.__version__, "onnxruntime": onnxruntime.__version__,
               "numpy": np.__version__, "python": platform.python_version(),
               "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
               "results": results}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
