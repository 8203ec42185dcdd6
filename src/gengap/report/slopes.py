"""Slopes of measures against the training set size: log(value) = a + s log(n), least squares.

Fitted per seed and pooled over seeds, with a 95 % confidence interval from the t distribution
(NaN when there are fewer than three points). Non-positive or non-finite values are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gengap.atomic import read_parquet, save_parquet

# A fit never pools cells that differ in anything but n and seed (regularization settings too).
GROUP = ["suite", "dataset", "model", "corruption", "reg", "measure"]


def fit_slope(n, value, confidence: float = 0.95) -> dict:
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


def slopes(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, seed) and one pooled row per group (seed = NaN, 'pooled' = True)."""
    df = summary[summary["draw"] == 1] if "draw" in summary else summary
    group = [c for c in GROUP if c in df]
    rows = []
    for key, g in df.groupby(group, sort=True):
        for seed, gs in g.groupby("seed"):
            rows.append({**dict(zip(group, key)), "seed": seed, "pooled": False, **fit_slope(gs["n"], gs["value"])})
        rows.append({**dict(zip(group, key)), "seed": np.nan, "pooled": True, **fit_slope(g["n"], g["value"])})
    return pd.DataFrame(rows)


def write_slopes(summary_path: str, out_path: str) -> pd.DataFrame:
    table = slopes(read_parquet(summary_path))
    save_parquet(table, out_path)
    return table
