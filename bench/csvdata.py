"""CSV helpers shared by export_datasets.py and sklearn_peer.py.

File format (what the TypeScript side reads too):
  * header row; features first, the label column named "target" LAST;
  * comma separated, "\\n" line endings, fields quoted only when needed (csv.QUOTE_MINIMAL);
  * features as Python repr floats (round-trip exact), labels as integers;
  * scoring files (<name>_score100k.csv) have the same feature header and NO target column.
"""

from __future__ import annotations

import csv
import os
from typing import Iterable, Sequence

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA_DIR = os.path.join(HERE, "data")

SPLIT_TEST_SIZE = 0.2
SPLIT_RANDOM_STATE = 42
SCORE_ROWS = 100_000
SCORE_SAMPLE_SEED = 42


def score_file_name(name: str, rows: int = SCORE_ROWS) -> str:
    if rows % 1000 == 0:
        return f"{name}_score{rows // 1000}k.csv"
    return f"{name}_score{rows}.csv"


def write_csv(path: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Writes header + rows (already formatted as strings) atomically; returns the row count."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    n = 0
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    os.replace(tmp, path)
    return n


def read_csv_strings(path: str) -> tuple[list[str], list[list[str]]]:
    """Returns (header, rows) with every cell as the exact string in the file."""
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        try:
            header = next(r)
        except StopIteration:
            raise SystemExit(f"{path}: empty file")
        rows = [row for row in r if row]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise SystemExit(f"{path}: row {i + 2} has {len(row)} fields, header has {len(header)}")
    return header, rows


def read_labeled(path: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Reads a <name>_train/_test CSV: (feature names, X float64 [n, d], y int64 [n])."""
    header, rows = read_csv_strings(path)
    if header[-1] != "target":
        raise SystemExit(f"{path}: last column is {header[-1]!r}, expected 'target'")
    X = np.array([row[:-1] for row in rows], dtype=np.float64).reshape(len(rows), len(header) - 1)
    y = np.array([parse_label(row[-1], path) for row in rows], dtype=np.int64)
    return header[:-1], X, y


def read_features(path: str) -> tuple[list[str], np.ndarray]:
    """Reads a scoring CSV (features only)."""
    header, rows = read_csv_strings(path)
    if header and header[-1] == "target":
        raise SystemExit(f"{path}: scoring files must not have a target column")
    return header, np.array(rows, dtype=np.float64).reshape(len(rows), len(header))


def parse_label(v: str, where: str) -> int:
    try:
        f = float(v)
    except ValueError:
        raise SystemExit(f"{where}: label {v!r} is not a number (labels must be integers)")
    if not f.is_integer():
        raise SystemExit(f"{where}: label {v!r} is not an integer")
    return int(f)


def sample_feature_rows(
    feature_rows: Sequence[Sequence[str]], rows: int, seed: int = SCORE_SAMPLE_SEED
) -> list[Sequence[str]]:
    """Samples `rows` rows with replacement (numpy default_rng(seed)), keeping exact strings."""
    if not feature_rows:
        raise SystemExit("cannot sample a scoring matrix from zero rows")
    idx = np.random.default_rng(seed).integers(0, len(feature_rows), size=rows)
    return [feature_rows[i] for i in idx]


def feature_pool(paths: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Feature rows (strings) of the given CSVs, concatenated in order; a trailing 'target'
    column is dropped. All files must share one feature header."""
    header: list[str] | None = None
    pool: list[list[str]] = []
    for p in paths:
        h, rows = read_csv_strings(p)
        if h[-1] == "target":
            h = h[:-1]
            rows = [row[:-1] for row in rows]
        if header is None:
            header = h
        elif h != header:
            raise SystemExit(f"{p}: feature header differs from {paths[0]}")
        pool.extend(rows)
    assert header is not None
    return header, pool


def score_sources(data_dir: str, name: str) -> list[str]:
    """The rows a default scoring matrix is sampled from: test rows, then train rows."""
    return [os.path.join(data_dir, f"{name}_test.csv"), os.path.join(data_dir, f"{name}_train.csv")]
