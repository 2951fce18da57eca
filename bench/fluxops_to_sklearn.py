#!/usr/bin/env python3
"""Converts a FluxOps model (model.json, format fluxops.model/v1) into a real scikit-learn
RandomForestClassifier holding the SAME trees, and checks that both give the same probabilities.

The compact forest (lib/forest/forest.ts, lib/model/forest_codec.ts) stores every tree's nodes in
pre-order as little-endian base64 typed arrays:
  tree_offsets Int32 (n_trees + 1), feature Int32 (-1 = leaf), threshold Float64 (split nodes
  only, in node order), right Int32 (split: absolute index of the right child, the left child is
  the next node; leaf: offset into leaf_values), leaf_values Float32 (n_classes per leaf).
A row goes left when x[feature] <= threshold, as in scikit-learn.

Each tree becomes a DecisionTreeClassifier whose `tree_` is a sklearn.tree._tree.Tree rebuilt with
`__setstate__`: the nodes as a structured array of sklearn's NODE_DTYPE and `values` of shape
(node_count, 1, n_classes). Leaves hold the leaf's class frequencies, renormalised in float64
exactly as FluxOps' loader does (leaf32 / sum); an internal node holds the mean of its children
(only leaves matter for predict_proba). `n_node_samples` / `weighted_n_node_samples` hold the
number of leaves under a node (FluxOps does not store sample counts) and `impurity` the Gini
impurity of `values`, so `feature_importances_` of the converted forest is NOT FluxOps'
importances (those are in model.json's forest.importances).

One known, measurable difference: scikit-learn casts X to float32 before walking a tree and
compares float32(x) <= threshold, while FluxOps compares the float64 x. FluxOps thresholds are
float64 midpoints, so a value that lies within float32 rounding of a threshold can take the other
branch. By default every threshold t is stored as max(t, float32(t)) (under one float32 ulp
higher): then every row FluxOps sends left also goes left in scikit-learn, including rows whose
value EQUALS the threshold, which are common on grid-valued data (iris: the midpoint of 5.3 and
5.5 is 5.4, a value other rows have; with the raw thresholds 11 of 150 iris rows reach another
leaf). A row FluxOps sends right can then go left only when x lies within half a float32 ulp
above t. --raw-thresholds copies the float64 thresholds unchanged. `--check` measures how often
rows and tree walks reach another leaf, with the thresholds used and with the raw ones.

Usage:
  bench/.venv/bin/python bench/fluxops_to_sklearn.py --model DIR_OR_model.json [--out model.pkl]
      [--check ROWS.csv [--scores SCORES.csv]] [--tolerance 1e-6] [--raw-thresholds] [--json]

  --model PATH      FluxOps model.json or a folder holding one (checksum verified)
  --out FILE        also write the converted RandomForestClassifier with pickle
  --check ROWS.csv  compare sklearn's predict_proba with FluxOps' probabilities on these rows
                    (columns named like the model's features; extra columns are ignored)
  --scores FILE     FluxOps' scores of ROWS.csv (`deno task predict ... --out FILE`, columns
                    p_<class>); without it the script runs `deno task predict` itself
  --tolerance T     largest allowed |difference| (default 1e-6)
  --raw-thresholds  copy the float64 thresholds unchanged (see above)
  --no-verify       skip the sha256 check
  --json            one JSON document on stdout instead of text
Exit status: 0 success (and, with --check, every row within tolerance except rows where some tree
reached another leaf because of the float32 cast), 1 a disagreement that the float32 cast does not
explain, 2 usage, data or model error.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from typing import Any

import numpy as np

FORMAT = "fluxops.model/v1"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class ModelError(Exception):
    """A model file that cannot be read, verified or converted."""


# --------------------------------------------------------------------------------------------
# Reading and verifying model.json
# --------------------------------------------------------------------------------------------


def _js_number(v: float | int) -> str:
    """A number as JavaScript's JSON.stringify writes it (shortest round-trip digits)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v) or math.isinf(v):
        return "null"
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    # repr gives the same shortest round-trip digits as JS; only the layout differs.
    d = Decimal(repr(abs(v)))
    _, digits_t, exp = d.normalize().as_tuple()
    digits = "".join(map(str, digits_t))
    k = len(digits)
    n = k + int(exp)  # value = 0.d1...dk * 10^n
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mant = digits[0] + ("." + digits[1:] if k > 1 else "")
        s = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + s


def canonical_json(value: Any) -> str:
    """FluxOps' canonical JSON (lib/model/canonical.ts): sorted keys, no whitespace, JS numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        # JS sorts keys by UTF-16 code units.
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(value[k])
                              for k in keys) + "}"
    raise ModelError(f"unexpected JSON value of type {type(value).__name__}")


def model_path(path: str) -> str:
    return os.path.join(path, "model.json") if os.path.isdir(path) else path


def load_model(path: str, verify: bool = True) -> dict[str, Any]:
    """Reads a FluxOps model.json (a file or a folder holding one), checking format and checksum."""
    path = model_path(path)
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read JSON ({e})") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise ModelError(f"{path}: not a {FORMAT} model")
    if verify:
        want = m.get("sha256")
        if not isinstance(want, str):
            raise ModelError(f"{path}: has no sha256 checksum")
        rest = {k: v for k, v in m.items() if k != "sha256"}
        got = hashlib.sha256(canonical_json(rest).encode("utf-8")).hexdigest()
        if got != want:
            raise ModelError(f"{path}: checksum mismatch (file says {want[:12]}..., content is "
                             f"{got[:12]}...)")
    return m


def _unb64(enc: dict[str, Any], name: str, dtype: str) -> np.ndarray:
    text = enc.get(name)
    if not isinstance(text, str):
        raise ModelError(f"forest.{name}: expected a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ModelError(f"forest.{name}: not valid base64") from None
    dt = np.dtype(dtype)
    if len(raw) % dt.itemsize:
        raise ModelError(f"forest.{name}: {len(raw)} bytes is not a whole number of values")
    return np.frombuffer(raw, dtype=dt).copy()


def decode_forest(enc: Any) -> dict[str, Any]:
    """Decodes and validates the compact forest (the checks of lib/model/forest_codec.ts)."""
    if not isinstance(enc, dict) or enc.get("encoding") != "base64-le":
        raise ModelError('forest: expected an object with encoding "base64-le"')
    n_trees, n_nodes = int(enc["n_trees"]), int(enc["n_nodes"])
    p, k = int(enc["n_features"]), int(enc["n_classes"])
    offsets = _unb64(enc, "tree_offsets", "<i4").astype(np.int64)
    feature = _unb64(enc, "feature", "<i4").astype(np.int64)
    split_th = _unb64(enc, "threshold", "<f8")
    right = _unb64(enc, "right", "<i4").astype(np.int64)
    leaf32 = _unb64(enc, "leaf_values", "<f4")
    if len(offsets) != n_trees + 1 or offsets[0] != 0 or offsets[-1] != n_nodes:
        raise ModelError("forest.tree_offsets: do not match n_trees and n_nodes")
    if len(feature) != n_nodes or len(right) != n_nodes:
        raise ModelError("forest: node arrays do not have n_nodes entries")
    is_split = feature >= 0
    if np.any((feature < -1) | (feature >= p)):
        raise ModelError("forest: a node has an invalid feature")
    if int(is_split.sum()) != len(split_th) or np.isnan(split_th).any():
        raise ModelError("forest.threshold: count does not match the split nodes, or NaN")
    threshold = np.zeros(n_nodes, dtype=np.float64)
    threshold[is_split] = split_th
    n_leaves = n_nodes - int(is_split.sum())
    if len(leaf32) != n_leaves * k:
        raise ModelError("forest: leaf value count does not match the leaves")
    for t in range(n_trees):
        a, b = offsets[t], offsets[t + 1]
        if not b > a:
            raise ModelError(f"forest.tree_offsets: tree {t} is empty")
        idx = np.arange(a, b)
        s = is_split[a:b]
        r = right[a:b]
        if np.any(s & ((idx + 1 >= b) | (r <= idx + 1) | (r >= b))):
            raise ModelError(f"forest: tree {t} has a split with an invalid child")
    leaf_off = right[~is_split]
    if not np.array_equal(leaf_off, np.arange(n_leaves) * k):
        raise ModelError("forest: leaves have bad offsets")
    leaves = leaf32.astype(np.float64).reshape(n_leaves, k)
    if np.any(~((leaves >= 0) & (leaves <= 1))):
        raise ModelError("forest.leaf_values: a value is not a frequency")
    sums = leaves.sum(axis=1)
    if np.any(~((sums > 0.99) & (sums < 1.01))):
        raise ModelError("forest.leaf_values: a leaf does not sum to 1")
    # FluxOps renormalises each leaf in double precision: leaf32 / (sum of leaf32 in order).
    sums = np.zeros(n_leaves)
    for c in range(k):
        sums += leaves[:, c]
    leaves = leaves / sums[:, None]
    return {"n_trees": n_trees, "n_nodes": n_nodes, "n_features": p, "n_classes": k,
            "tree_offsets": offsets, "feature": feature, "threshold": threshold,
            "right": right, "leaf_values": leaves.reshape(-1),
            "importances": np.asarray(enc.get("importances", []), dtype=np.float64)}


# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------


def float32_safe_thresholds(th: np.ndarray) -> np.ndarray:
    """Thresholds for scikit-learn's float32 walk that send every row FluxOps sends left, left.

    scikit-learn tests float32(x) <= t; FluxOps tests x <= t in float64. Rounding to float32 is
    monotone, so x <= t implies float32(x) <= float32(t); raising t to max(t, float32(t)) (a
    change of under one float32 ulp) therefore keeps every FluxOps-left row left. A FluxOps-right
    row can then only go left when x lies within half a float32 ulp above t. Without this, a row
    whose value EQUALS the threshold goes right whenever float32 rounds that value up; that is
    common on grid-valued data (iris-style 0.1 steps: the midpoint of 5.3 and 5.5 is 5.4, a value
    other rows have), and rare on continuous data.
    """
    with np.errstate(over="ignore"):
        t32 = th.astype(np.float32).astype(np.float64)
    return np.where(np.isfinite(t32), np.maximum(th, t32), th)


def _tree_state(forest: dict[str, Any], t: int, float32_safe: bool = True) -> dict[str, Any]:
    """sklearn Tree state (max_depth, node_count, nodes, values) of FluxOps tree t."""
    from sklearn.tree._tree import NODE_DTYPE, TREE_LEAF, TREE_UNDEFINED

    k = forest["n_classes"]
    a, b = int(forest["tree_offsets"][t]), int(forest["tree_offsets"][t + 1])
    n = b - a
    feat = forest["feature"][a:b]
    rgt = forest["right"][a:b]
    th = forest["threshold"][a:b]
    if float32_safe:
        th = float32_safe_thresholds(th)
    lv = forest["leaf_values"]
    nodes = np.zeros(n, dtype=NODE_DTYPE)
    values = np.zeros((n, 1, k), dtype=np.float64)
    leaves_under = np.zeros(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    # Pre-order: a child always comes after its parent, so depths go forward...
    for i in range(n):
        if feat[i] >= 0:
            r = int(rgt[i]) - a
            depth[i + 1] = depth[r] = depth[i] + 1
    # ...and values / counts go backward.
    for i in range(n - 1, -1, -1):
        node = nodes[i]
        if feat[i] >= 0:
            left, r = i + 1, int(rgt[i]) - a
            node["left_child"], node["right_child"] = left, r
            node["feature"], node["threshold"] = int(feat[i]), float(th[i])
            values[i, 0] = (values[left, 0] + values[r, 0]) / 2
            leaves_under[i] = leaves_under[left] + leaves_under[r]
        else:
            node["left_child"] = node["right_child"] = TREE_LEAF
            node["feature"], node["threshold"] = TREE_UNDEFINED, float(TREE_UNDEFINED)
            off = int(rgt[i])
            values[i, 0] = lv[off:off + k]
            leaves_under[i] = 1
        v = values[i, 0]
        node["impurity"] = 1.0 - float(np.dot(v, v))
        node["n_node_samples"] = leaves_under[i]
        node["weighted_n_node_samples"] = float(leaves_under[i])
        # FluxOps sends NaN right (NaN <= t is false); the service never accepts NaN anyway.
        node["missing_go_to_left"] = 0
    return {"max_depth": int(depth.max()), "node_count": n, "nodes": nodes, "values": values}


def to_sklearn(model: dict[str, Any], forest: dict[str, Any] | None = None,
               float32_safe: bool = True):
    """A fitted sklearn RandomForestClassifier with exactly the trees of a FluxOps model.

    With float32_safe (the default) every threshold t becomes max(t, float32(t)); see
    float32_safe_thresholds. With float32_safe=False the float64 thresholds are copied as they are.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.tree._tree import Tree

    forest = forest or decode_forest(model["forest"])
    p, k = forest["n_features"], forest["n_classes"]
    classes = np.asarray(model["classes"])
    if len(classes) != k:
        raise ModelError(f"classes: {len(classes)} labels but the forest has {k} classes")
    params = model.get("params") or {}
    max_features = params.get("max_features", "sqrt")
    if isinstance(max_features, str) and max_features not in ("sqrt", "log2"):
        max_features = None if max_features == "all" else max_features
    tree_kw = dict(
        criterion="gini",
        max_depth=params.get("max_depth"),
        min_samples_split=params.get("min_samples_split", 2),
        min_samples_leaf=params.get("min_samples_leaf", 1),
        max_features=max_features,
    )
    estimators = []
    for t in range(forest["n_trees"]):
        est = DecisionTreeClassifier(random_state=t, **tree_kw)
        tree = Tree(p, np.array([k], dtype=np.intp), 1)
        tree.__setstate__(_tree_state(forest, t, float32_safe))
        est.tree_ = tree
        est.n_features_in_ = p
        est.n_outputs_ = 1
        est.classes_ = classes
        est.n_classes_ = k
        est.max_features_ = _max_features_int(max_features, p)
        estimators.append(est)
    rf = RandomForestClassifier(n_estimators=forest["n_trees"],
                                bootstrap=params.get("bootstrap", True),
                                random_state=params.get("seed"), **tree_kw)
    rf.estimator_ = DecisionTreeClassifier(**tree_kw)
    rf.estimators_ = estimators
    rf.n_features_in_ = p
    rf.n_outputs_ = 1
    rf.classes_ = classes
    rf.n_classes_ = k
    # Not sklearn attributes: where this forest came from.
    rf.fluxops_version_ = model.get("version")
    rf.fluxops_feature_names_ = [f["name"] for f in model.get("features", [])]
    rf.fluxops_importances_ = forest["importances"]
    rf.fluxops_float32_safe_ = float32_safe
    return rf


def _max_features_int(mf: Any, p: int) -> int:
    if mf == "sqrt":
        return max(1, int(math.sqrt(p)))
    if mf == "log2":
        return max(1, int(math.log2(p)))
    if mf is None:
        return p
    if isinstance(mf, float) and mf <= 1:
        return max(1, int(mf * p))
    return int(mf)


def convert(path: str, verify: bool = True, float32_safe: bool = True):
    """model.json (or its folder) -> (RandomForestClassifier, model dict)."""
    model = load_model(path, verify=verify)
    return to_sklearn(model, float32_safe=float32_safe), model


# --------------------------------------------------------------------------------------------
# Reference walk and agreement check
# --------------------------------------------------------------------------------------------


def leaf_indices(forest: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Absolute leaf node of every (row, tree), walking in X's own precision (vectorised)."""
    feat, th, rgt = forest["feature"], forest["threshold"], forest["right"]
    n = X.shape[0]
    rows = np.arange(n)
    out = np.empty((n, forest["n_trees"]), dtype=np.int64)
    for t in range(forest["n_trees"]):
        node = np.full(n, forest["tree_offsets"][t], dtype=np.int64)
        while True:
            f = feat[node]
            active = f >= 0
            if not active.any():
                break
            go_left = X[rows[active], f[active]] <= th[node[active]]
            node[active] = np.where(go_left, node[active] + 1, rgt[node[active]])
        out[:, t] = node
    return out


def proba_from_leaves(forest: dict[str, Any], leaves: np.ndarray) -> np.ndarray:
    """Mean leaf frequencies of the given (row, tree) leaves, as FluxOps adds them up."""
    k = forest["n_classes"]
    lv = forest["leaf_values"].reshape(-1, k)
    out = np.zeros((leaves.shape[0], k))
    for t in range(leaves.shape[1]):
        out += lv[forest["right"][leaves[:, t]] // k]
    return out / leaves.shape[1]


def fluxops_proba(forest: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """FluxOps' predictProba re-implemented in float64 (the mean of leaf frequencies)."""
    return proba_from_leaves(forest, leaf_indices(forest, np.asarray(X, dtype=np.float64)))


def read_rows(path: str, names: list[str]) -> np.ndarray:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        try:
            cols = [header.index(n) for n in names]
        except ValueError as e:
            raise ModelError(f"{path}: missing feature column ({e})") from None
        return np.array([[float(r[c]) for c in cols] for r in reader if r], dtype=np.float64)


def read_scores(path: str, classes: list[Any]) -> np.ndarray:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols = []
        for c in classes:
            name = f"p_{c}"
            if name not in header:
                raise ModelError(f"{path}: no column {name}")
            cols.append(header.index(name))
        return np.array([[float(r[c]) for c in cols] for r in reader if r], dtype=np.float64)


def run_fluxops_predict(model_file: str, rows_csv: str) -> str:
    """Scores rows_csv with `deno task predict`; returns the scores CSV path."""
    deno = shutil.which("deno") or "/usr/bin/deno"
    out = tempfile.NamedTemporaryFile(prefix="fluxops_scores_", suffix=".csv", delete=False).name
    cmd = [deno, "task", "-q", "predict", "--model", os.path.abspath(model_file),
           "--data", os.path.abspath(rows_csv), "--out", out]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise ModelError(f"deno task predict failed ({r.returncode}): {r.stderr.strip()}")
    return out


def check(rf, model: dict[str, Any], model_file: str, rows_csv: str, scores_csv: str | None,
          tolerance: float) -> dict[str, Any]:
    """Compares sklearn's predict_proba with FluxOps' scores and explains every disagreement."""
    forest = decode_forest(model["forest"])
    names = [f["name"] for f in model["features"]]
    X = read_rows(rows_csv, names)
    ran_deno = scores_csv is None
    if ran_deno:
        scores_csv = run_fluxops_predict(model_path(model_file), rows_csv)
    try:
        theirs = read_scores(scores_csv, model["classes"])
    finally:
        if ran_deno:
            os.unlink(scores_csv)
    if theirs.shape[0] != X.shape[0]:
        raise ModelError(f"{scores_csv}: {theirs.shape[0]} rows, {rows_csv} has {X.shape[0]}")
    ours = rf.predict_proba(X)
    n = X.shape[0]
    # FluxOps' float64 walk, re-done here; it must reproduce FluxOps' scores.
    leaves64 = leaf_indices(forest, X)
    ref64 = proba_from_leaves(forest, leaves64)
    # The leaves scikit-learn actually reached (its float32 walk over this forest's thresholds).
    sk_leaves = rf.apply(X).astype(np.int64) + forest["tree_offsets"][:-1][None, :]
    walk_diff = sk_leaves != leaves64
    rows_moved = walk_diff.any(axis=1)
    diff = np.abs(ours - theirs).max(axis=1)
    bad = diff > tolerance
    # What the same float32 walk gives with the raw float64 thresholds copied unchanged.
    raw_leaves = leaf_indices(forest, X.astype(np.float32).astype(np.float64))
    raw_walk_diff = raw_leaves != leaves64
    raw_diff = np.abs(proba_from_leaves(forest, raw_leaves) - theirs).max(axis=1)
    safe = bool(getattr(rf, "fluxops_float32_safe_", True))
    return {
        "rows": n,
        "trees": forest["n_trees"],
        "tolerance": tolerance,
        "thresholds": "float32-safe" if safe else "raw float64",
        "max_abs_diff": float(diff.max()),
        "rows_over_tolerance": int(bad.sum()),
        # A difference with every tree reaching the same leaf would be a conversion bug.
        "rows_over_tolerance_unexplained": int((bad & ~rows_moved).sum()),
        "rows_taking_another_leaf": int(rows_moved.sum()),
        "row_disagreement_rate": float(rows_moved.sum() / n),
        "tree_walks_taking_another_leaf": int(walk_diff.sum()),
        "tree_walks": int(walk_diff.size),
        "predicted_label_differs": int(
            (np.argmax(ours, axis=1) != np.argmax(theirs, axis=1)).sum()),
        "raw_float64_thresholds": {
            "rows_taking_another_leaf": int(raw_walk_diff.any(axis=1).sum()),
            "tree_walks_taking_another_leaf": int(raw_walk_diff.sum()),
            "rows_over_tolerance": int((raw_diff > tolerance).sum()),
            "max_abs_diff": float(raw_diff.max()),
        },
        "python_float64_reference_vs_fluxops_max_abs_diff": float(np.abs(ref64 - theirs).max()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Convert a FluxOps model.json into a scikit-learn RandomForestClassifier.")
    ap.add_argument("--model", required=True, help="model.json or a folder holding one")
    ap.add_argument("--out", help="write the converted forest here with pickle")
    ap.add_argument("--check", metavar="ROWS.csv", help="compare probabilities on these rows")
    ap.add_argument("--scores", metavar="SCORES.csv",
                    help="FluxOps scores of ROWS.csv (default: run deno task predict)")
    ap.add_argument("--tolerance", type=float, default=1e-6)
    ap.add_argument("--no-verify", action="store_true", help="skip the sha256 check")
    ap.add_argument("--raw-thresholds", action="store_true",
                    help="copy the float64 thresholds unchanged (default: max(t, float32(t)))")
    ap.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = ap.parse_args(argv)
    if args.scores and not args.check:
        ap.error("--scores needs --check")
    try:
        rf, model = convert(args.model, verify=not args.no_verify,
                           float32_safe=not args.raw_thresholds)
        summary: dict[str, Any] = {
            "model": model_path(args.model),
            "version": model.get("version"),
            "trees": len(rf.estimators_),
            "nodes": int(sum(e.tree_.node_count for e in rf.estimators_)),
            "max_depth": int(max(e.tree_.max_depth for e in rf.estimators_)),
            "classes": model["classes"],
            "sklearn": __import__("sklearn").__version__,
        }
        if args.out:
            with open(args.out, "wb") as f:
                pickle.dump(rf, f, protocol=pickle.HIGHEST_PROTOCOL)
            summary["out"] = args.out
        status = 0
        if args.check:
            res = check(rf, model, args.model, args.check, args.scores, args.tolerance)
            summary["check"] = res
            if (res["rows_over_tolerance_unexplained"]
                    or res["python_float64_reference_vs_fluxops_max_abs_diff"] > args.tolerance):
                status = 1
    except (ModelError, OSError, ValueError, KeyError) as e:
        print(f"fluxops_to_sklearn: error: {type(e).__name__ if not isinstance(e, ModelError) else ''}"
              f"{': ' if not isinstance(e, ModelError) else ''}{e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"converted {summary['model']} ({summary['version']}): {summary['trees']} trees, "
              f"{summary['nodes']} nodes, max depth {summary['max_depth']}, "
              f"scikit-learn {summary['sklearn']}")
        if args.out:
            print(f"wrote {args.out}")
        if "check" in summary:
            c = summary["check"]
            r = c["raw_float64_thresholds"]
            print(f"check on {c['rows']} rows ({c['thresholds']} thresholds): max |sklearn - "
                  f"FluxOps| = {c['max_abs_diff']:.3g}; {c['rows_over_tolerance']} rows over "
                  f"{c['tolerance']:g} ({c['rows_over_tolerance_unexplained']} unexplained); "
                  f"{c['rows_taking_another_leaf']} rows / {c['tree_walks_taking_another_leaf']} "
                  f"of {c['tree_walks']} tree walks reach another leaf; predicted label differs "
                  f"on {c['predicted_label_differs']} rows")
            print(f"with the raw float64 thresholds the float32 walk would move "
                  f"{r['rows_taking_another_leaf']} rows / {r['tree_walks_taking_another_leaf']} "
                  f"tree walks; {r['rows_over_tolerance']} rows over tolerance "
                  f"(max {r['max_abs_diff']:.3g})")
    return status


if __name__ == "__main__":
    sys.exit(main())
