"""Writes sklearn_reference.ts: scikit-learn's values for the metric test cases.

Run from this folder with scikit-learn installed: python3 sklearn_reference.py
"""

import math
import sys

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

# (name, k, y_true, positive-class scores for binary or full rows for multiclass)
CASES = [
    (
        "binary with tied scores",
        2,
        [0, 0, 1, 1, 0, 1, 0, 1, 1, 0],
        [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.55, 0.6],
    ),
    (
        "binary with one-hot rows, a 0.5 tie and a confident miss",
        2,
        [1, 0, 1, 0, 1, 1, 0],
        [1.0, 0.0, 0.0, 0.5, 0.7, 0.3, 0.5],
    ),
    (
        "binary where the positive class is never predicted",
        2,
        [0, 1, 0, 1, 0],
        [0.1, 0.45, 0.3, 0.2, 0.05],
    ),
    (
        "binary with a single class in yTrue",
        2,
        [0, 0, 0],
        [0.2, 0.6, 0.1],
    ),
    (
        "three classes with ties",
        3,
        [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0],
        [
            [0.7, 0.2, 0.1],
            [0.2, 0.5, 0.3],
            [0.1, 0.3, 0.6],
            [0.3, 0.4, 0.3],
            [0.4, 0.4, 0.2],
            [0.5, 0.25, 0.25],
            [0.2, 0.2, 0.6],
            [0.2, 0.2, 0.6],
            [0.1, 0.8, 0.1],
            [0.3, 0.3, 0.4],
            [0.0, 0.0, 1.0],
            [0.6, 0.3, 0.1],
        ],
    ),
    (
        "four classes, one never seen and one never predicted",
        4,
        [0, 1, 2, 0, 1, 2, 0, 1],
        [
            [0.6, 0.3, 0.1, 0.0],
            [0.2, 0.7, 0.1, 0.0],
            [0.5, 0.2, 0.3, 0.0],
            [0.4, 0.4, 0.1, 0.1],
            [0.3, 0.3, 0.2, 0.2],
            [0.25, 0.45, 0.2, 0.1],
            [0.7, 0.1, 0.1, 0.1],
            [0.1, 0.8, 0.05, 0.05],
        ],
    ),
]


def forest_votes(seed, n, k, trees):
    """Rows of vote shares as a small forest gives them: many exact ties."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    rows = []
    for label in y:
        weights = np.full(k, 1.0)
        weights[label] += 1.5
        votes = rng.multinomial(trees, weights / weights.sum())
        rows.append((votes / trees).tolist())
    return y.tolist(), rows


def ts(value):
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {ts(v)}" for k, v in value.items()) + " }"
    return "[" + ", ".join(ts(v) for v in value) + "]"


def old_log_loss(y, proba):
    """scikit-learn <= 1.1 log_loss: clip to [1e-15, 1 - 1e-15], renormalise each row."""
    p = np.clip(proba, 1e-15, 1 - 1e-15)
    p = p / p.sum(axis=1)[:, np.newaxis]
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def reference(name, k, y, rows):
    y = np.asarray(y)
    if k == 2:
        pos = np.asarray(rows, dtype=float)
        proba = np.column_stack([1 - pos, pos])
    else:
        proba = np.asarray(rows, dtype=float)
    pred = np.argmax(proba, axis=1)
    labels = list(range(k))
    average = "binary" if k == 2 else "macro"
    p, r, f, _ = precision_recall_fscore_support(y, pred, average=average, zero_division=0)
    pc = precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0)
    present = np.unique(y)
    if len(present) < 2:
        auc = None
    elif k == 2:
        auc = roc_auc_score(y, proba[:, 1])
    elif len(present) == k:
        auc = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    else:
        # scikit-learn refuses a class missing from y_true; FluxOps averages the present ones.
        auc = float(np.mean([roc_auc_score(y == c, proba[:, c]) for c in present]))
    out = {
        "name": name,
        "k": k,
        "yTrue": y.tolist(),
        "proba": proba.ravel().tolist(),
        "yPred": pred.tolist(),
        "accuracy": accuracy_score(y, pred),
        "precision": p,
        "recall": r,
        "f1": f,
        "perClass": [
            {"precision": pc[0][c], "recall": pc[1][c], "f1": pc[2][c], "support": pc[3][c]}
            for c in labels
        ],
        "confusionMatrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "rocAuc": auc,
        "logLoss": old_log_loss(y, proba),
        "logLossSklearn": log_loss(y, proba, labels=labels),
    }
    if k == 2 and len(present) == 2:
        fpr, tpr, thr = roc_curve(y, proba[:, 1], drop_intermediate=False)
        out["rocCurve"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()}
        fpr, tpr, thr = roc_curve(y, proba[:, 1], drop_intermediate=True)
        out["rocCurveDropped"] = {
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            "thresholds": thr.tolist(),
        }
    else:
        out["rocCurve"] = None
        out["rocCurveDropped"] = None
    return out


def main():
    y2, rows2 = forest_votes(7, 300, 2, 10)
    y5, rows5 = forest_votes(11, 200, 5, 20)
    cases = [reference(*c) for c in CASES] + [
        reference("binary, 300 rows of 10-tree vote shares", 2, y2, [r[1] for r in rows2]),
        reference("five classes, 200 rows of 20-tree vote shares", 5, y5, rows5),
    ]
    lines = [
        "// deno-fmt-ignore-file",
        "// Generated by sklearn_reference.py with scikit-learn "
        f"{sklearn.__version__}, NumPy {np.__version__}; do not edit.",
        "// logLoss is the scikit-learn <= 1.1 rule (clip to [1e-15, 1 - 1e-15], renormalise rows);",
        "// logLossSklearn is log_loss() of the version above.",
        "",
        'import type { SklearnCase } from "./sklearn_case.ts";',
        "",
        "export const SKLEARN_CASES: readonly SklearnCase[] = [",
    ]
    for c in cases:
        lines.append("  " + ts(c) + ",")
    lines.append("];")
    with open("sklearn_reference.ts", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
