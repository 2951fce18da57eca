#!/usr/bin/env python3
"""scikit-learn peer of the FluxOps side-by-side random-forest benchmark.

For each dataset NAME (default: seed breast_cancer wine digits) reads
bench/data/NAME_train.csv and NAME_test.csv (written by export_datasets.py; label column
"target" last) and:
  * fits RandomForestClassifier(n_estimators=--trees, n_jobs=--n-jobs, random_state=seed) for
    each seed (default 0..4), timing fit() with time.perf_counter; reports the median fit time
    and the mean test accuracy over seeds;
  * times predict_proba of the seed-0 model on a 100,000-row matrix (NAME_score100k.csv if
    present, else sampled from the test+train rows exactly as export_datasets.py would) with
    n_jobs=None (scikit-learn's default): 1 warm-up call, then the median of 3;
  * reports len(pickle.dumps(seed-0 model, protocol=pickle.HIGHEST_PROTOCOL)).
Prints ONE JSON document on stdout; progress goes to stderr.

Benchmark with the OpenBLAS overrides these machines set removed for this command alone:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE bench/.venv/bin/python bench/sklearn_peer.py
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csvdata  # noqa: E402

DEFAULT_DATASETS = ("seed", "breast_cancer", "wine", "digits")


def log(msg: str) -> None:
    print(f"sklearn_peer: {msg}", file=sys.stderr, flush=True)


def parse_seeds(text: str) -> list[int]:
    """'5' -> 0..4; '0,3,7' -> [0, 3, 7]."""
    text = text.strip()
    if "," not in text:
        n = int(text)
        if n < 1:
            raise argparse.ArgumentTypeError("--seeds must be >= 1")
        return list(range(n))
    return [int(s) for s in text.split(",") if s.strip()]


def scoring_matrix(data_dir: str, name: str, n_features: int, rows: int) -> tuple[np.ndarray, str]:
    path = os.path.join(data_dir, csvdata.score_file_name(name, rows))
    if os.path.exists(path):
        _, X = csvdata.read_features(path)
        source = os.path.relpath(path)
    else:
        _, pool = csvdata.feature_pool(csvdata.score_sources(data_dir, name))
        sampled = csvdata.sample_feature_rows(pool, rows)
        X = np.array(sampled, dtype=np.float64).reshape(rows, n_features)
        source = f"sampled test+train rows (default_rng({csvdata.SCORE_SAMPLE_SEED}))"
    if X.shape != (rows, n_features):
        raise SystemExit(f"{path}: scoring matrix is {X.shape}, expected ({rows}, {n_features})")
    return X, source


def run_dataset(name: str, args: argparse.Namespace) -> dict[str, object]:
    from sklearn.ensemble import RandomForestClassifier

    train_path = os.path.join(args.data_dir, f"{name}_train.csv")
    test_path = os.path.join(args.data_dir, f"{name}_test.csv")
    for p in (train_path, test_path):
        if not os.path.exists(p):
            raise FileNotFoundError(p)
    names, X_train, y_train = csvdata.read_labeled(train_path)
    names_test, X_test, y_test = csvdata.read_labeled(test_path)
    if names_test != names:
        raise SystemExit(f"{test_path}: header differs from {train_path}")
    n_classes = int(len(np.unique(np.concatenate([y_train, y_test]))))
    log(f"{name}: {len(y_train)} train / {len(y_test)} test rows, {len(names)} features, "
        f"{n_classes} classes")

    fit_seconds: list[float] = []
    accuracies: list[float] = []
    model0 = None
    for seed in args.seeds:
        model = RandomForestClassifier(n_estimators=args.trees, n_jobs=args.n_jobs, random_state=seed)
        t = time.perf_counter()
        model.fit(X_train, y_train)
        dt = time.perf_counter() - t
        acc = float(np.mean(model.predict(X_test) == y_test))
        fit_seconds.append(dt)
        accuracies.append(acc)
        log(f"{name}: seed {seed}: fit {dt:.4f}s, test accuracy {acc:.4f}")
        if model0 is None:
            model0 = model
    assert model0 is not None

    pickle_bytes = len(pickle.dumps(model0, protocol=pickle.HIGHEST_PROTOCOL))

    X_score, source = scoring_matrix(args.data_dir, name, len(names), args.predict_rows)
    model0.set_params(n_jobs=None)  # scikit-learn's default for predict_proba
    model0.predict_proba(X_score)  # warm-up
    pred_times: list[float] = []
    for _ in range(args.predict_repeats):
        t = time.perf_counter()
        proba = model0.predict_proba(X_score)
        pred_times.append(time.perf_counter() - t)
    assert proba.shape == (args.predict_rows, len(model0.classes_))
    log(f"{name}: predict_proba {args.predict_rows} rows: median {statistics.median(pred_times):.4f}s "
        f"({source}); pickle {pickle_bytes} bytes")

    return {
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "n_features": len(names),
        "n_classes": n_classes,
        "fit_seconds_median": statistics.median(fit_seconds),
        "fit_seconds_all": fit_seconds,
        "accuracy_mean": statistics.fmean(accuracies),
        "accuracies": accuracies,
        "predict_proba_100k_seconds": statistics.median(pred_times),
        "predict_proba_seconds_all": pred_times,
        "predict_rows": args.predict_rows,
        "predict_source": source,
        "pickle_bytes": pickle_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("datasets", nargs="*",
                    help=f"dataset names (default: {' '.join(DEFAULT_DATASETS)}; a default set "
                         "whose CSVs are missing is skipped, a named one is an error)")
    ap.add_argument("--data-dir", default=csvdata.DEFAULT_DATA_DIR, help="default: bench/data")
    ap.add_argument("--trees", type=int, default=100, help="n_estimators (default 100)")
    ap.add_argument("--n-jobs", type=int, default=1, help="n_jobs for training (default 1)")
    ap.add_argument("--seeds", type=parse_seeds, default=list(range(5)),
                    help="number of seeds (0..N-1) or a comma list (default 5)")
    ap.add_argument("--predict-rows", type=int, default=csvdata.SCORE_ROWS,
                    help=argparse.SUPPRESS)
    ap.add_argument("--predict-repeats", type=int, default=3, help="timed predict_proba runs (default 3)")
    args = ap.parse_args(argv)
    if args.trees < 1 or args.predict_repeats < 1 or args.predict_rows < 1:
        ap.error("--trees, --predict-repeats and --predict-rows must be >= 1")

    explicit = bool(args.datasets)
    if not explicit:
        args.datasets = list(DEFAULT_DATASETS)

    import sklearn

    t0 = time.perf_counter()
    results: dict[str, object] = {}
    missing: list[str] = []
    for name in args.datasets:
        try:
            results[name] = run_dataset(name, args)
        except FileNotFoundError as e:
            if explicit:
                log(f"{name}: missing {e} (run bench/export_datasets.py)")
                return 2
            log(f"{name}: skipped, missing {e} (run bench/export_datasets.py)")
            missing.append(name)
    doc = {
        "peer": "scikit-learn",
        "version": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "settings": {
            "n_estimators": args.trees,
            "n_jobs_fit": args.n_jobs,
            "n_jobs_predict": None,
            "seeds": args.seeds,
            "predict_repeats": args.predict_repeats,
            "split": {"test_size": csvdata.SPLIT_TEST_SIZE, "stratify": True,
                      "random_state": csvdata.SPLIT_RANDOM_STATE},
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        },
        "results": results,
        "missing": missing,
        "total_seconds": time.perf_counter() - t0,
    }
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if not results:
        log("no dataset found")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
