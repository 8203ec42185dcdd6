import math

import numpy as np
import pandas as pd
import pytest

from gengap.report.slopes import fit_slope, slopes


def test_fit_recovers_a_power_law_exactly():
    n = np.array([128, 256, 512, 1024])
    out = fit_slope(n, 3.0 * n**0.5)
    assert out["slope"] == pytest.approx(0.5) and out["intercept"] == pytest.approx(math.log(3.0))
    assert out["ci_low"] == pytest.approx(0.5) and out["ci_high"] == pytest.approx(0.5)  # no residual


def test_confidence_interval_against_hand_computation():
    x = np.log([1.0, 2.0, 4.0, 8.0])
    y = np.array([0.0, 0.9, 1.2, 2.4])  # log values
    out = fit_slope(np.exp(x), np.exp(y))
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    se = math.sqrt(resid @ resid / 2 / ((x - x.mean()) @ (x - x.mean())))
    t = 4.302652729911275  # t_{0.975, 2 dof}
    assert out["slope"] == pytest.approx(b)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((b - t * se, b + t * se))


def test_non_positive_and_infinite_values_are_left_out():
    out = fit_slope([1, 2, 4, 8], [1.0, 0.0, math.inf, 8.0])
    assert out["points"] == 2 and out["slope"] == pytest.approx(1.0) and math.isnan(out["ci_low"])
    assert math.isnan(fit_slope([4, 4], [1.0, 2.0])["slope"])


def test_slopes_per_seed_and_pooled():
    rows = []
    for seed, c in ((0, 1.0), (1, 2.0)):
        for n in (100, 1000, 10000):
            rows.append(dict(suite="s", dataset="d", model="m", corruption="true", measure="test_error",
                             seed=seed, draw=1, n=n, value=c * n ** -0.25))
            rows.append(dict(suite="s", dataset="d", model="m", corruption="true", measure="test_error",
                             seed=seed, draw=2, n=n, value=99.0))  # S2 cells are not fitted
    table = slopes(pd.DataFrame(rows))
    assert len(table) == 3 and table["pooled"].sum() == 1
    assert np.allclose(table["slope"], -0.25)


def test_slopes_never_pool_two_training_settings():
    rows = [dict(suite="s", dataset="d", model="m", corruption="true", measure="bound", reg=reg, seed=0, draw=1,
                 n=n, value=n ** power) for reg, power in (("batch64", 0.5), ("batch1", -0.5)) for n in (100, 1000, 10000)]
    pooled = slopes(pd.DataFrame(rows)).query("pooled").set_index("reg")["slope"]
    assert pooled.to_dict() == pytest.approx({"batch1": -0.5, "batch64": 0.5})
