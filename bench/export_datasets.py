#!/usr/bin/env python3
"""Writes the benchmark CSVs that the TypeScript trainer and scikit-learn both read.

Modes
  export_datasets.py [--out-dir DIR] [--datasets breast_cancer,wine,digits] [--seed-csv PATH]
      Writes DIR/<name>_train.csv and DIR/<name>_test.csv for scikit-learn's bundled
      breast-cancer, wine and digits data (stratified 80/20 split: train_test_split(
      test_size=0.2, stratify=y, random_state=42)) plus DIR/<name>_score100k.csv (100,000 feature
      rows sampled with replacement, numpy default_rng(42), from the test then train rows; no
      target column). With --seed-csv PATH the seed-workload CSV (made by the TypeScript
      generator; label = last column; header row optional) is split the same way into
      DIR/seed_train.csv, DIR/seed_test.csv and DIR/seed_score100k.csv (--seed-name renames).
      --datasets none skips the bundled sets; --no-score skips the scoring files.

  export_datasets.py --rows N --out PATH --from CSV [--from CSV ...] [--sample-seed 42]
      Writes a scoring file of N feature rows sampled with replacement from the given CSVs'
      feature columns (a trailing "target" column is dropped).

Format: header row, features first, integer label column "target" last; floats written with
Python repr (exact round trip); "\\n" line endings; the csv module quotes names when needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csvdata  # noqa: E402

BUNDLED = ("breast_cancer", "wine", "digits")


def log(msg: str) -> None:
    print(f"export_datasets: {msg}", file=sys.stderr, flush=True)


def fmt_float(v: float) -> str:
    # repr of a Python float is the shortest string that round-trips exactly. (numpy 2's repr
    # of np.float64 is "np.float64(...)", so always convert to float first.)
    return repr(float(v))


def load_bundled(name: str) -> tuple[list[str], list[list[str]], np.ndarray]:
    from sklearn import datasets

    loader = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "digits": datasets.load_digits,
    }[name]
    bunch = loader()
    names = [str(n) for n in bunch.feature_names]
    rows = [[fmt_float(v) for v in row] for row in bunch.data.tolist()]
    y = np.asarray(bunch.target, dtype=np.int64)
    return names, rows, y


def load_seed_csv(path: str) -> tuple[list[str], list[list[str]], np.ndarray]:
    header, rows = csvdata.read_csv_strings(path)

    def numeric(row: list[str]) -> bool:
        try:
            [float(v) for v in row]
            return True
        except ValueError:
            return False

    if numeric(header):  # no header row: the first line is data
        rows = [header] + rows
        header = [f"f{i}" for i in range(len(header) - 1)] + ["target"]
    if len(header) < 2:
        raise SystemExit(f"{path}: need at least one feature column and a label column")
    names = header[:-1]
    if header[-1] != "target":
        log(f"{path}: label column {header[-1]!r} written as 'target'")
    if "target" in names:
        raise SystemExit(f"{path}: a feature column is named 'target'")
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: duplicate feature names in header")
    feats: list[list[str]] = []
    for i, row in enumerate(rows):
        try:
            feats.append([fmt_float(float(v)) for v in row[:-1]])
        except ValueError:
            raise SystemExit(f"{path}: row {i + 2} has a non-numeric feature")
    y = np.array([csvdata.parse_label(row[-1], f"{path} row {i + 2}") for i, row in enumerate(rows)],
                 dtype=np.int64)
    return names, feats, y


def split_and_write(name: str, names: list[str], feats: list[list[str]], y: np.ndarray,
                    out_dir: str, score_rows: int) -> dict[str, object]:
    from sklearn.model_selection import train_test_split

    idx_train, idx_test = train_test_split(
        np.arange(len(feats)),
        test_size=csvdata.SPLIT_TEST_SIZE,
        stratify=y,
        random_state=csvdata.SPLIT_RANDOM_STATE,
    )
    header = names + ["target"]
    out: dict[str, object] = {"name": name}
    for part, idx in (("train", idx_train), ("test", idx_test)):
        path = os.path.join(out_dir, f"{name}_{part}.csv")
        n = csvdata.write_csv(path, header, (feats[i] + [str(int(y[i]))] for i in idx))
        out[part] = n
        log(f"wrote {path} ({n} rows, {len(names)} features)")
    if score_rows > 0:
        # Same pool and seed sklearn_peer.py uses when the scoring file is missing.
        hdr, pool = csvdata.feature_pool(csvdata.score_sources(out_dir, name))
        path = os.path.join(out_dir, csvdata.score_file_name(name, score_rows))
        csvdata.write_csv(path, hdr, csvdata.sample_feature_rows(pool, score_rows))
        log(f"wrote {path} ({score_rows} rows sampled from {len(pool)})")
    out["classes"] = int(len(np.unique(y)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=csvdata.DEFAULT_DATA_DIR, help="default: bench/data")
    ap.add_argument("--datasets", default=",".join(BUNDLED),
                    help="comma-separated bundled sets to export, or 'none' (default: all)")
    ap.add_argument("--seed-csv", metavar="PATH", help="seed-workload CSV to split as 'seed'")
    ap.add_argument("--seed-name", default="seed", help="dataset name for --seed-csv (default seed)")
    ap.add_argument("--no-score", action="store_true", help="do not write <name>_score100k.csv")
    ap.add_argument("--rows", type=int, help="scoring-file mode: number of rows to sample")
    ap.add_argument("--out", metavar="PATH", help="scoring-file mode: output CSV")
    ap.add_argument("--from", dest="sources", action="append", metavar="CSV",
                    help="scoring-file mode: CSV(s) whose feature rows are sampled (repeatable)")
    ap.add_argument("--sample-seed", type=int, default=csvdata.SCORE_SAMPLE_SEED)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    if args.rows is not None or args.out is not None:
        if args.rows is None or args.out is None or not args.sources:
            ap.error("scoring-file mode needs --rows N, --out PATH and at least one --from CSV")
        if args.rows <= 0:
            ap.error("--rows must be positive")
        hdr, pool = csvdata.feature_pool(args.sources)
        csvdata.write_csv(args.out, hdr, csvdata.sample_feature_rows(pool, args.rows, args.sample_seed))
        log(f"wrote {args.out} ({args.rows} rows sampled from {len(pool)}, seed {args.sample_seed})"
            f" in {time.perf_counter() - t0:.1f}s")
        return 0

    wanted = [] if args.datasets.strip().lower() == "none" else \
        [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in wanted:
        if d not in BUNDLED:
            ap.error(f"unknown dataset {d!r}; bundled: {', '.join(BUNDLED)}")
    score_rows = 0 if args.no_score else csvdata.SCORE_ROWS
    for d in wanted:
        split_and_write(d, *load_bundled(d), args.out_dir, score_rows)
    if args.seed_csv:
        split_and_write(args.seed_name, *load_seed_csv(args.seed_csv), args.out_dir, score_rows)
    log(f"done in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
