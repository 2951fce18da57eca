"""Reference figures from scipy for the drift statistics' cross-checks.

Reads one JSON object on stdin, with any of these keys, and writes the answers as JSON:
  ks:        [[a, b], ...]  -> [[statistic, pvalue], ...] of scipy.stats.ks_2samp(a, b)
  kstwo_sf:  [[d, n], ...]  -> [scipy.stats.kstwo.sf(d, n), ...]
  chi2_sf:   [[x, k], ...]  -> [scipy.stats.chi2.sf(x, k), ...]
  wasserstein: [[u, v], ...] -> [scipy.stats.wasserstein_distance(u, v) / numpy.std(u), ...]
  js:        [[p, q], ...]  -> [scipy.spatial.distance.jensenshannon(p, q, base=2), ...]
  chisquare: [[obs, exp], ...] -> [scipy.stats.chisquare(obs, exp).pvalue, ...]
  contingency: [[a, b], ...] -> [scipy.stats.chi2_contingency([a, b], correction=False).pvalue, ...]
  datasets:  [name, ...]    -> {name: {"names": [...], "x": [[...], ...], "y": [...]}} from
                               scikit-learn's bundled data sets
"""
import json
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance


def main() -> None:
    req = json.load(sys.stdin)
    out = {}
    if "ks" in req:
        out["ks"] = []
        for a, b in req["ks"]:
            r = stats.ks_2samp(np.asarray(a, float), np.asarray(b, float))
            out["ks"].append([float(r.statistic), float(r.pvalue)])
    if "kstwo_sf" in req:
        out["kstwo_sf"] = [float(stats.kstwo.sf(d, n)) for d, n in req["kstwo_sf"]]
    if "chi2_sf" in req:
        out["chi2_sf"] = [float(stats.chi2.sf(x, k)) for x, k in req["chi2_sf"]]
    if "wasserstein" in req:
        out["wasserstein"] = [
            float(stats.wasserstein_distance(u, v) / np.std(np.asarray(u, float)))
            for u, v in req["wasserstein"]
        ]
    if "js" in req:
        out["js"] = [float(distance.jensenshannon(p, q, base=2)) for p, q in req["js"]]
    if "chisquare" in req:
        out["chisquare"] = [float(stats.chisquare(o, e).pvalue) for o, e in req["chisquare"]]
    if "contingency" in req:
        out["contingency"] = [
            float(stats.chi2_contingency([o, t], correction=False).pvalue)
            for o, t in req["contingency"]
        ]
    if "datasets" in req:
        from sklearn import datasets

        loaders = {
            "breast_cancer": datasets.load_breast_cancer,
            "wine": datasets.load_wine,
            "iris": datasets.load_iris,
        }
        out["datasets"] = {}
        for name in req["datasets"]:
            b = loaders[name]()
            out["datasets"][name] = {
                "names": [str(n) for n in b.feature_names],
                "x": b.data.tolist(),
                "y": [int(v) for v in b.target],
            }
    json.dump(out, sys.stdout)


main()
