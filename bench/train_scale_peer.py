#!/usr/bin/env python3
"""scikit-learn peer of `deno task bench:scale` (bench/train_scale.ts).

Reads a training and a test CSV (header row, features first, integer label column last, as
bench/train_scale.ts writes them), fits RandomForestClassifier(n_estimators=--trees,
n_jobs=--jobs, max_features="sqrt", bootstrap=True, random_state=seed) --repeat times (a new
seed each time), and prints ONE JSON document on stdout:
  load_seconds         reading both CSV files (numpy.loadtxt)
  fit_seconds          median of the fit() times (time.perf_counter)
  fit_seconds_all      every fit() time
  accuracy             test accuracy of the first fit
  rss_after_load_bytes resident memory once the data are loaded (VmRSS)
  peak_rss_bytes       peak resident memory of the process (VmHWM), loading included
  nodes                total tree nodes of the first fit
scikit-learn fits the trees on threads (joblib's threading backend), so the peak covers them.

Run with the OpenBLAS overrides some machines set removed for this command alone:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE bench/.venv/bin/python bench/train_scale_peer.py \
      --train T.csv --test S.csv
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier


def status_bytes(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise SystemExit(f"/proc/self/status has no {field}")


def load(path: str) -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return data[:, :-1], data[:, -1].astype(np.int64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    x_train, y_train = load(args.train)
    x_test, y_test = load(args.test)
    load_seconds = time.perf_counter() - t0
    rss_after_load = status_bytes("VmRSS")

    times: list[float] = []
    accuracy = 0.0
    nodes = 0
    for seed in range(args.repeat):
        model = RandomForestClassifier(
            n_estimators=args.trees,
            n_jobs=args.jobs,
            max_features="sqrt",
            bootstrap=True,
            random_state=seed,
        )
        t1 = time.perf_counter()
        model.fit(x_train, y_train)
        times.append(time.perf_counter() - t1)
        if seed == 0:
            accuracy = float((model.predict(x_test) == y_test).mean())
            nodes = int(sum(t.tree_.node_count for t in model.estimators_))
        del model
        print(f"train_scale_peer: {len(y_train)} rows, fit {times[-1]:.3f} s", file=sys.stderr)

    json.dump(
        {
            "rows": int(len(y_train)),
            "load_seconds": load_seconds,
            "fit_seconds": statistics.median(times),
            "fit_seconds_all": times,
            "accuracy": accuracy,
            "rss_after_load_bytes": rss_after_load,
            "peak_rss_bytes": status_bytes("VmHWM"),
            "nodes": nodes,
            "version": sklearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
