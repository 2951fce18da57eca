"""Python peer of `deno task bench:predict` (bench/predict_cli.ts).

score: what a Python team runs to score a CSV file with a random forest, as one process:
  pandas.read_csv(engine="pyarrow") reads the rows, the forest (a RandomForestClassifier pickled
  by bench/fluxops_to_sklearn.py, the FluxOps forest's own trees) scores them with
  predict_proba(n_jobs=-1), and pandas writes `prediction,p_<class>...` with to_csv. Prints one
  JSON line: rows and each step's seconds (the whole process is timed by the caller).

read: the CSV reader alone on a file of numbers (header row, every column numeric): pyarrow's
  pyarrow.csv.read_csv (its default, threads on; and use_threads=False), and numpy.loadtxt, each
  --repeat times in this process after one warm-up read; prints the median wall and CPU seconds
  (user + system, all threads) as JSON.

Usage:
  python bench/predict_peer.py score --model rf.pkl --data rows.csv --out scores.csv
  python bench/predict_peer.py read --data rows.csv [--repeat 3]
"""

import argparse
import json
import pickle
import statistics
import sys
import time


def score(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd

    t1 = time.perf_counter()
    df = pd.read_csv(args.data, engine="pyarrow")
    t2 = time.perf_counter()
    with open(args.model, "rb") as f:
        rf = pickle.load(f)
    rf.n_jobs = -1
    names = getattr(rf, "fluxops_feature_names_", None) or [
        c for c in df.columns if c != args.target
    ]
    x = df[names].to_numpy(dtype=np.float64)
    proba = rf.predict_proba(x)
    predicted = rf.classes_[proba.argmax(axis=1)]
    t3 = time.perf_counter()
    out = pd.DataFrame({"prediction": predicted})
    for i, c in enumerate(rf.classes_):
        out[f"p_{c}"] = proba[:, i]
    out.to_csv(args.out, index=False)
    t4 = time.perf_counter()
    accuracy = None
    if args.target in df.columns:
        accuracy = float((predicted == df[args.target].to_numpy()).mean())
    return {
        "rows": int(len(df)),
        "import_seconds": t1 - t0,
        "read_seconds": t2 - t1,
        "predict_seconds": t3 - t2,
        "write_seconds": t4 - t3,
        "accuracy": accuracy,
        "pandas": pd.__version__,
        "sklearn": __import__("sklearn").__version__,
        "pyarrow": __import__("pyarrow").__version__,
    }


def read(args: argparse.Namespace) -> dict:
    import numpy as np
    import pyarrow
    import pyarrow.csv as pacsv

    def pyarrow_threads():
        return pacsv.read_csv(args.data).num_rows

    def pyarrow_one_thread():
        opts = pacsv.ReadOptions(use_threads=False)
        return pacsv.read_csv(args.data, read_options=opts).num_rows

    def numpy_loadtxt():
        return len(np.loadtxt(args.data, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2))

    def pandas_c():
        import pandas as pd
        return len(pd.read_csv(args.data))  # its default engine ("c"), one thread

    result: dict = {"pyarrow": pyarrow.__version__, "numpy": np.__version__}
    for name, fn in [("pyarrow_threads", pyarrow_threads),
                     ("pyarrow_one_thread", pyarrow_one_thread),
                     ("pandas_c", pandas_c),
                     ("numpy_loadtxt", numpy_loadtxt)]:
        if name == "numpy_loadtxt" and args.skip_numpy:
            continue
        fn()  # warm-up: the file in the page cache, the code loaded
        times = []
        cpu = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            c = time.process_time()  # user + system, every thread of this process
            rows = fn()
            cpu.append(time.process_time() - c)
            times.append(time.perf_counter() - t)
            print(f"predict_peer: {name} {times[-1]:.3f} s, {cpu[-1]:.2f} CPU s", file=sys.stderr)
        result[name] = {
            "rows": rows,
            "seconds": statistics.median(times),
            "all": times,
            "cpu_seconds": statistics.median(cpu),
            "all_cpu": cpu,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("score")
    s.add_argument("--model", required=True, help="pickled RandomForestClassifier")
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--target", default="target", help="accuracy against this column if present")
    r = sub.add_parser("read")
    r.add_argument("--data", required=True)
    r.add_argument("--repeat", type=int, default=3)
    r.add_argument("--skip-numpy", action="store_true")
    args = ap.parse_args(argv)
    result = score(args) if args.mode == "score" else read(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
