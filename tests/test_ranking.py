"""The measure-ranking scores (gengap.report.ranking) on hand-made summaries."""

import math

import pandas as pd
import pytest

from gengap.report.ranking import (cell_settings, environments, granulated, kendall_tau, rank_measures, sign_error_table,
                                   sign_errors)


def summary(cells):
    """cells: (model, n, reg settings dict, seed, gap, {measure: value}, status)."""
    rows = []
    for model, n, reg, seed, gap, values, status in cells:
        base = dict(suite="s", dataset="mnist", corruption="true", n=n, sampling="distinct", seed=seed, draw=1,
                    model=model, reg=reg.get("name", "none"), lr=reg.get("lr", 0.01), batch_size=128,
                    weight_decay=0.0, dropout=0.0, status=status)
        rows += [dict(base, measure="gap", value=gap), dict(base, measure="test_error", value=gap + 0.01),
                 dict(base, measure="train_error", value=0.01)]
        rows += [dict(base, measure=m, value=v) for m, v in values.items()]
    return pd.DataFrame(rows)


def test_kendall_tau_by_hand():
    assert kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0
    assert kendall_tau([1, 2, 3], [30, 20, 10]) == -1.0
    # pairs (1,2): +1, (1,3): +1, (2,3): tie in mu -> 0: tau = 2/3
    assert kendall_tau([1, 2, 2], [1, 2, 3]) == pytest.approx(2 / 3)
    assert math.isnan(kendall_tau([1], [1]))


def test_granulated_kendall_averages_within_groups_where_one_setting_varies():
    cells = summary([
        ("mlp_1x256", 100, {}, 0, 0.10, {"a": 1.0}, "fitted"),
        ("mlp_1x512", 100, {}, 0, 0.20, {"a": 2.0}, "fitted"),   # width up: gap up, a up
        ("mlp_1x256", 200, {}, 0, 0.05, {"a": 3.0}, "fitted"),   # n up: gap down, a up (wrong)
        ("mlp_1x512", 200, {}, 0, 0.08, {"a": 4.0}, "fitted"),
    ])
    psi = granulated(cell_settings(cells), "a")
    assert psi["psi_width"] == 1.0  # both n-groups agree
    assert psi["psi_n"] == -1.0  # both width-groups disagree
    assert psi["Psi"] == 0.0
    # tau over all 6 pairs: signs of (d a, d gap): (1,2)+ (1,3)- (1,4)- (2,3)- (2,4)- (3,4)+ -> -2/6
    table = rank_measures(cells, measures=["a"])
    assert table.loc[0, "tau"] == pytest.approx(-1 / 3)
    assert table.loc[0, "cells"] == 4 and table.loc[0, "varied"] == "width, n"


def test_environments_differ_in_exactly_one_setting_and_share_the_seed():
    cells = cell_settings(summary([
        ("mlp_1x256", 100, {}, 0, 0.1, {"a": 1}, "fitted"),
        ("mlp_1x512", 200, {}, 0, 0.2, {"a": 2}, "fitted"),   # differs from the first in two settings
        ("mlp_1x512", 100, {}, 0, 0.3, {"a": 3}, "fitted"),
        ("mlp_1x512", 100, {}, 1, 0.3, {"a": 3}, "fitted"),   # another seed: pairs only with seed 1
    ]))
    pairs = {(a, b, s) for a, b, s in environments(cells)}
    assert pairs == {(0, 2, "width"), (1, 2, "n")}


def test_sign_error_weights_gap_differences_by_the_test_noise():
    cells = cell_settings(summary([
        ("mlp_1x256", 100, {}, 0, 0.100, {"a": 1.0, "b": 2.0}, "fitted"),
        ("mlp_1x512", 100, {}, 0, 0.300, {"a": 2.0, "b": 1.0}, "fitted"),   # a big gap difference
        ("mlp_1x512", 200, {}, 0, 0.301, {"a": 3.0, "b": 0.5}, "fitted"),   # within the noise of the previous
    ]))
    errors = sign_errors(cells, "b", test_points=10_000)
    by_setting = errors.set_index("setting")
    # b falls while the gap rises between the first two: a clear error, weight ~ 1
    assert by_setting.loc["width", "weight"] == pytest.approx(1.0, abs=1e-9)
    assert by_setting.loc["width", "sign_error"] == pytest.approx(1.0, abs=1e-9)
    # d gap = 0.001 with s = sqrt(2 * 0.31 * 0.69 / 10,000) ~ 0.0065: weight 2 Phi(0.15) - 1 ~ 0.12
    assert by_setting.loc["n", "weight"] == pytest.approx(0.122, abs=0.005)
    assert sign_errors(cells, "a", 10_000)["sign_error"].max() == pytest.approx(0.0)


def test_left_out_cells_and_values_are_counted():
    cells = summary([
        ("mlp_1x256", 100, {}, 0, 0.1, {"a": 1.0}, "fitted"),
        ("mlp_1x512", 100, {}, 0, 0.2, {"a": float("nan")}, "fitted"),
        ("mlp_2x512", 100, {}, 0, 0.3, {"a": 3.0}, "diverged"),
        ("mlp_1x1024", 100, {}, 0, 0.4, {"a": 4.0}, "max_epochs"),
        ("mlp_1x2048", 100, {}, 0, 0.5, {"a": 5.0}, "fitted"),
    ])
    row = rank_measures(cells, measures=["a"]).iloc[0]
    assert (row["cells"], row["cells_left_out"], row["cells_without_value"]) == (2, 2, 1)
    assert row["tau"] == 1.0


def test_margins_are_scored_as_inverse_squares():
    """A larger margin with a smaller gap is a measure that predicts generalization (Jiang et al.'s
    1/gamma^2); a cell without a positive margin has no value."""
    cells = summary([
        ("mlp_1x256", 100, {}, 0, 0.10, {"margins_p10": 4.0, "a": 1.0}, "fitted"),
        ("mlp_1x512", 100, {}, 0, 0.20, {"margins_p10": 2.0, "a": 2.0}, "fitted"),
        ("mlp_1x1024", 100, {}, 0, 0.30, {"margins_p10": 1.0, "a": 3.0}, "fitted"),
        ("mlp_1x2048", 100, {}, 0, 0.40, {"margins_p10": -0.5, "a": 4.0}, "fitted"),
    ])
    table = rank_measures(cells).set_index("measure")
    assert set(table.index) == {"1/margins_p10^2", "a"}
    row = table.loc["1/margins_p10^2"]
    assert (row["tau"], row["cells"], row["cells_without_value"]) == (1.0, 3, 1)
    assert row["sign_error_mean"] == pytest.approx(0.0)
    assert table.loc["a", "tau"] == 1.0 and table.loc["a", "cells"] == 4
    errors = sign_error_table(cells)
    assert set(errors["measure"]) == {"1/margins_p10^2", "a"}
    assert (errors.loc[errors["measure"] == "1/margins_p10^2", "sign_error"] == 0).all()
