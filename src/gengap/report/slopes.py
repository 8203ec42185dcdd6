"""Slopes of measures against the training set size, the seed as the unit of replication.

A seed is one initialization and one stream of training-set draws; cells of one seed at several n
are not independent points, so they are never pooled as such (that makes an interval about 2x too
narrow). Per (group, seed): the values of the seed's draws at each n are averaged on the log scale
(S1 and S2, the geometric mean), and log(value) = a + s log(n) is fitted by least squares over n:
one slope per seed. Per group: the mean of the seed slopes and a 95 % t-interval over seeds,
mean +- t_{k-1, 0.975} sd / sqrt(k), k seeds. With fewer than ``MIN_SEEDS`` seeds there is a slope
and no interval. Non-positive or non-finite values are left out (a value of 0 has no logarithm).

The rows: one per (group, seed) (``pooled`` False, the fit's own least-squares interval over its
n, a description of that seed's curve), and one per group (``pooled`` True: over seeds, with
``seeds`` and the interval over seeds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gengap.atomic import read_parquet, save_parquet
from gengap.report.seeds import over_seeds

# A fit never pools cells that differ in anything but n, seed and draw (regularization settings too).
GROUP = ["suite", "dataset", "model", "corruption", "reg", "measure"]
METHOD = "per-seed log-log fit (draws averaged on the log scale at each n), mean and 95 % t-interval over seeds"


def fit_slope(n, value, confidence: float = 0.95) -> dict:
    """Least squares of log(value) on log(n); the slope's t-interval from the fit's residuals
    (NaN with fewer than three points): the within-seed fit."""
    n, value = np.asarray(n, dtype=float), np.asarray(value, dtype=float)
    keep = np.isfinite(value) & (value > 0)
    x, y = np.log(n[keep]), np.log(value[keep])
    out = {"slope": np.nan, "intercept": np.nan, "ci_low": np.nan, "ci_high": np.nan, "points": int(keep.sum())}
    if len(np.unique(x)) < 2:
        return out
    # imported here, not at the top: the Snakefile imports this module to plan (0.9 s)
    from scipy import stats

    fit = stats.linregress(x, y)
    out.update(slope=fit.slope, intercept=fit.intercept)
    if len(x) > 2:
        half = stats.t.ppf(0.5 + confidence / 2, len(x) - 2) * fit.stderr
        out.update(ci_low=fit.slope - half, ci_high=fit.slope + half)
    return out


def seed_curve(df: pd.DataFrame) -> pd.DataFrame:
    """One seed's values by n, its draws averaged on the log scale (non-positive values left out)."""
    ok = df[np.isfinite(df["value"].astype(float)) & (df["value"].astype(float) > 0)]
    return ok.assign(logv=np.log(ok["value"].astype(float))).groupby("n", as_index=False)["logv"].mean()


def slopes(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, seed) and one per group over its seeds (``pooled`` True, ``method``)."""
    group = [c for c in GROUP if c in summary]
    rows = []
    for key, g in summary.groupby(group, sort=True):
        per_seed = []
        for seed, gs in g.groupby("seed"):
            curve = seed_curve(gs)
            fit = fit_slope(curve["n"], np.exp(curve["logv"]))
            per_seed.append(fit["slope"])
            rows.append({**dict(zip(group, key)), "seed": seed, "pooled": False, "seeds": 1, **fit,
                         "draws": int(gs["draw"].nunique()) if "draw" in gs else 1})
        rows.append({**dict(zip(group, key)), "seed": np.nan, "pooled": True, "points": int(len(g)),
                     "draws": int(g["draw"].nunique()) if "draw" in g else 1, "method": METHOD,
                     "intercept": np.nan, **over_seeds(per_seed)})
    return pd.DataFrame(rows)


def write_slopes(summary_path: str, out_path: str) -> pd.DataFrame:
    table = slopes(read_parquet(summary_path))
    save_parquet(table, out_path)
    return table
