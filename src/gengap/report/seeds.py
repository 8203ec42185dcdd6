"""Statistics with the seed as the unit of replication (SPEC 2, "Statistics"): a value per seed,
then their mean and a t-interval over seeds; fewer than ``MIN_SEEDS`` seeds give a value and no
interval. Used by the slopes (``gengap.report.slopes``) and by the verdicts that read them
(``gengap.report.verdicts``: how many seeds would decide an interval that holds 0)."""

from __future__ import annotations

import math

import numpy as np

MIN_SEEDS = 3  # an interval over seeds needs at least this many


def over_seeds(seed_slopes, confidence: float = 0.95) -> dict:
    """The mean of the seeds' slopes and its t-interval over seeds (NaN below ``MIN_SEEDS``)."""
    s = np.asarray([v for v in seed_slopes if np.isfinite(v)], dtype=float)
    out = {"slope": float(s.mean()) if len(s) else math.nan, "ci_low": math.nan, "ci_high": math.nan,
           "seeds": len(s), "seed_sd": float(s.std(ddof=1)) if len(s) > 1 else math.nan}
    if len(s) >= MIN_SEEDS:
        from scipy import stats

        half = stats.t.ppf(0.5 + confidence / 2, len(s) - 1) * s.std(ddof=1) / math.sqrt(len(s))
        out.update(ci_low=out["slope"] - half, ci_high=out["slope"] + half)
    return out


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
