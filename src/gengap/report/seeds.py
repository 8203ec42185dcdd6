"""Statistics with the seed as the unit of replication (SPEC 2, "Statistics"): a value per seed,
then their mean and a t-interval over seeds; fewer than ``MIN_SEEDS`` seeds give a value and no
interval. Used by the slopes (``gengap.report.slopes``), by the verdicts that read them
(``gengap.report.verdicts``: how many seeds would decide an interval that holds 0) and by the
ranking's scores seed by seed (``gengap.report.ranking.by_seed``)."""

from __future__ import annotations

import math

import numpy as np

MIN_SEEDS = 3  # an interval over seeds needs at least this many


def mean_over_seeds(values, confidence: float = 0.95) -> dict:
    """The mean of one value per seed and its t-interval over seeds: ``mean``, ``ci_low``,
    ``ci_high`` (NaN below ``MIN_SEEDS`` finite values), ``seeds`` (how many) and ``seed_sd``."""
    s = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    out = {"mean": float(s.mean()) if len(s) else math.nan, "ci_low": math.nan, "ci_high": math.nan,
           "seeds": len(s), "seed_sd": float(s.std(ddof=1)) if len(s) > 1 else math.nan}
    if len(s) >= MIN_SEEDS:
        from scipy import stats

        half = stats.t.ppf(0.5 + confidence / 2, len(s) - 1) * s.std(ddof=1) / math.sqrt(len(s))
        out.update(ci_low=out["mean"] - half, ci_high=out["mean"] + half)
    return out


def over_seeds(seed_slopes, confidence: float = 0.95) -> dict:
    """The mean of the seeds' slopes (``slope``) and its t-interval over seeds (``mean_over_seeds``)."""
    out = mean_over_seeds(seed_slopes, confidence)
    return {"slope": out.pop("mean"), **out}


def seeds_needed(mean: float, sd: float, confidence: float = 0.95, most: int = 1000) -> int | None:
    """How many seeds a t-interval of this mean and seed spread needs to exclude 0 (None: more than
    ``most``, or no spread to go by)."""
    if not (np.isfinite(mean) and np.isfinite(sd)) or mean == 0:
        return None
    if sd == 0:
        return MIN_SEEDS
    from scipy import stats

    for k in range(MIN_SEEDS, most + 1):
        if stats.t.ppf(0.5 + confidence / 2, k - 1) * sd / math.sqrt(k) < abs(mean):
            return k
    return None
