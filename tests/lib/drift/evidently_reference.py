"""Evidently's drift verdicts for the drift cross-checks.

Reads JSON on stdin: {"frames": [{"names": [...], "reference": [[row], ...], "current": [[row],
...], "ks_threshold": t, "wasserstein_threshold": w}, ...]} and writes, per frame and column,
Evidently's (legacy ColumnDriftMetric) K-S p-value and verdict at ks_threshold, and its
normalised Wasserstein distance and verdict at wasserstein_threshold:
[{"col": {"ks_p": p, "ks_drift": bool, "wasserstein": w, "wasserstein_drift": bool}}, ...]
"""
import json
import sys
import warnings

import pandas as pd

warnings.filterwarnings("ignore")
from evidently.legacy.metrics import ColumnDriftMetric  # noqa: E402
from evidently.legacy.report import Report  # noqa: E402


def main() -> None:
    req = json.load(sys.stdin)
    out = []
    for frame in req["frames"]:
        names = frame["names"]
        ref = pd.DataFrame(frame["reference"], columns=names, dtype=float)
        cur = pd.DataFrame(frame["current"], columns=names, dtype=float)
        metrics = []
        for c in names:
            metrics.append(
                ColumnDriftMetric(column_name=c, stattest="ks", stattest_threshold=frame["ks_threshold"])
            )
            metrics.append(
                ColumnDriftMetric(
                    column_name=c,
                    stattest="wasserstein",
                    stattest_threshold=frame["wasserstein_threshold"],
                )
            )
        report = Report(metrics=metrics)
        report.run(reference_data=ref, current_data=cur)
        cols = {c: {} for c in names}
        for m in report.as_dict()["metrics"]:
            r = m["result"]
            kind = "ks" if "K-S" in r["stattest_name"] else "wasserstein"
            key = "ks_p" if kind == "ks" else "wasserstein"
            cols[r["column_name"]][key] = float(r["drift_score"])
            cols[r["column_name"]][kind + "_drift"] = bool(r["drift_detected"])
        out.append(cols)
    json.dump(out, sys.stdout)


main()
