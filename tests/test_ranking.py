"""The measure-ranking scores (gengap.report.ranking) on hand-made summaries."""

import math

import pandas as pd
import pytest

from gengap.measures.registry import describe
from gengap.report.ranking import _Pairs, cell_settings, headline, hoeffding_weight, kendall_tau, power, rank_measures


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
    return describe(pd.DataFrame(rows))  # each row's label and kind, as the measure job writes them


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
    row = rank_measures(cells, measures=["a"]).iloc[0]
    assert row["psi_width"] == 1.0  # both n-groups agree
    assert row["psi_n"] == -1.0  # both width-groups disagree
    assert row["Psi"] == 1.0  # the hyperparameters (Jiang et al.'s): width only
    assert row["Psi_all"] == 0.0  # with the environment n
    # tau over all 6 pairs: signs of (d a, d gap): (1,2)+ (1,3)- (1,4)- (2,3)- (2,4)- (3,4)+ -> -2/6
    assert row["tau"] == pytest.approx(-1 / 3)
    assert row["cells"] == 4 and row["varied"] == "width, n"
    assert row["direction"] == "as is: a larger value predicts a larger gap"


def test_environments_differ_in_exactly_one_setting_and_share_the_seed():
    cells = cell_settings(summary([
        ("mlp_1x256", 100, {}, 0, 0.1, {"a": 1}, "fitted"),
        ("mlp_1x512", 200, {}, 0, 0.2, {"a": 2}, "fitted"),   # differs from the first in two settings
        ("mlp_1x512", 100, {}, 0, 0.3, {"a": 3}, "fitted"),
        ("mlp_1x512", 100, {}, 1, 0.3, {"a": 3}, "fitted"),   # another seed: pairs only with seed 1
    ]))
    pairs = {(int(a), int(b), s) for s in ("width", "n") for a, b, d in zip(_Pairs(cells, s).a, _Pairs(cells, s).b,
                                                                            _Pairs(cells, s).differ) if d}
    assert pairs == {(0, 2, "width"), (1, 2, "n")}


def test_the_hoeffding_weight_by_hand():
    """(w - 1/2)+ with w = max(0, 1 - 2 exp(-2 m (dg/2)^2))^2, m = 10,000 (SPEC 1.7), by hand:
    dg = 0.01: 1 - 2 e^-0.5 < 0 -> 0; dg = 0.02: (1 - 2 e^-2)^2 = 0.72933^2 = 0.53192 -> 0.03192;
    dg = 0.04: (1 - 2 e^-8)^2 = 0.99866 -> 0.49866."""
    w = hoeffding_weight([0.0, 0.01, -0.02, 0.04], 10_000)
    assert w == pytest.approx([0.0, 0.0, (1 - 2 * math.exp(-2)) ** 2 - 0.5, (1 - 2 * math.exp(-8)) ** 2 - 0.5])
    assert w[2] == pytest.approx(0.03192, abs=1e-5) and w[3] == pytest.approx(0.49866, abs=1e-5)


def test_sign_errors_count_only_gap_differences_beyond_the_test_noise():
    cells = summary([
        ("mlp_1x256", 100, {}, 0, 0.100, {"a": 1.0, "b": 2.0}, "fitted"),
        ("mlp_1x512", 100, {}, 0, 0.300, {"a": 2.0, "b": 1.0}, "fitted"),   # a big gap difference
        ("mlp_1x512", 200, {}, 0, 0.301, {"a": 3.0, "b": 0.5}, "fitted"),   # within the noise of the previous
    ])
    table = rank_measures(cells).set_index("measure")
    # b falls while the gap rises between the first two: a clear error; the n pair has weight 0
    assert table.loc["b", "sign_error_width_mean"] == 1.0 and table.loc["a", "sign_error_width_mean"] == 0.0
    assert math.isnan(table.loc["b", "sign_error_n_mean"])  # no environment of positive weight
    assert table.loc["b", "weighted_environments"] == 1 and table.loc["b", "environments"] == 2
    grid = power(cells).set_index("setting")
    assert grid.loc["width", "beyond 2 SE"] == 1.0 and grid.loc["n", "beyond 2 SE"] == 0.0


def test_intervals_hold_the_score_and_separate_what_differs():
    """On a grid where measure "good" orders every group as its gap and "noise" at random: both
    have intervals around their Psi, and good's Psi is separated from noise's."""
    import numpy as np

    rng = np.random.default_rng(0)
    cells = []
    for width in ("256", "512", "1024"):
        for lr in (0.005, 0.01, 0.02):
            for seed in (0, 1, 2):
                gap = 0.05 + 0.02 * ["256", "512", "1024"].index(width) + 3 * lr + 0.001 * seed
                cells.append((f"mlp_1x{width}", 100, {"lr": lr, "name": f"lr{lr}"}, seed, gap,
                              {"good": gap, "noise": float(rng.random())}, "fitted"))
    table = rank_measures(summary(cells), boot=100).set_index("measure")
    for m in ("good", "noise"):
        assert table.loc[m, "Psi_low"] <= table.loc[m, "Psi"] <= table.loc[m, "Psi_high"]
        assert table.loc[m, "tau_low"] <= table.loc[m, "tau"] <= table.loc[m, "tau_high"]
    assert table.loc["good", "Psi"] == 1.0 and table.loc["good", "separated_from"] == "noise"
    line = headline(table.reset_index())  # the overview's sentence on the ranking
    assert "measures ranked by Ψ over width, lr (95 % intervals): good 1 [1, 1]; noise " in line
    assert "good is separated from 1 other;" in line and "maximum sign error 1 for 1 of 2 measures" in line


def test_separation_compares_measures_on_the_same_bootstrap_replicates():
    """"a" orders each of 40 groups (one per seed, width varied) as the gap or exactly against it,
    at random, so its Psi has a wide interval; "b" is "a" with one pair swapped in every group
    where "a" is right (tau 1 -> 1/3). b is below a in every group, so the interval of the
    difference on the same replicates (the same groups drawn for both) excludes 0, though the two
    Psi intervals overlap: drawn apart, the difference's interval would hold 0."""
    import numpy as np

    rng = np.random.default_rng(1)
    cells = []
    for seed in range(40):
        right = bool(rng.random() < 0.5)
        for k, width in enumerate(("256", "512", "1024")):
            gap = 0.1 + 0.05 * k
            a = gap if right else -gap
            b = [0.15, 0.1, 0.2][k] if right else a  # 256 and 512 swapped: one pair of three disagrees
            cells.append((f"mlp_1x{width}", 100, {}, seed, gap, {"a": a, "b": b}, "fitted"))
    table = rank_measures(summary(cells)).set_index("measure")
    assert table.loc["a", "Psi"] - table.loc["b", "Psi"] == pytest.approx(table.loc["a", "psi_width"] - table.loc["b", "psi_width"])
    assert table.loc["a", "Psi_low"] < table.loc["b", "Psi_high"]  # the intervals overlap
    assert table.loc["a", "separated_from"] == "b" and table.loc["b", "separated_from"] == "a"


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
    assert row["direction"].startswith("1/margin^2")


def test_a_measure_without_scores_says_why():
    """A bound that is +inf (vacuous) at every cell, one never computed and a margin never positive
    are listed without scores, each with its reason, in the table and under the figure."""
    from gengap.report.figures.ranking import measure_ranking

    inf, nan = float("inf"), float("nan")
    cells = summary([
        ("mlp_1x256", 100, {}, 0, 0.1, {"a": 1.0, "vac": inf, "none": nan, "margins_p10": -1.0}, "fitted"),
        ("mlp_1x512", 100, {}, 0, 0.2, {"a": 2.0, "vac": inf, "none": nan, "margins_p10": -2.0}, "fitted"),
        ("mlp_1x1024", 100, {}, 0, 0.3, {"a": 3.0, "vac": inf, "none": nan, "margins_p10": 0.0}, "fitted"),
    ])
    table = rank_measures(cells).set_index("measure")
    assert table.loc["vac", "no_value"] == "+inf at every cell: vacuous"
    assert table.loc["none", "no_value"] == "not computed: NaN at every cell"
    assert table.loc["1/margins_p10^2", "no_value"] == "no positive margin"
    assert math.isnan(table.loc["vac", "Psi"]) and table.loc["a", "tau"] == 1.0
    fig = measure_ranking(cells, None)
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "vac (+inf at every cell: vacuous)" in notes and "none (not computed" in notes
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a"]


def test_by_seed_ranks_each_seed_alone_and_counts_where_a_measure_leads():
    """On seed 0 "a" orders every group as the gap and "b" against it; on seed 1 the reverse:
    each leads on one seed of two, and the table says so (their pooled Psi would hide it)."""
    from gengap.report.ranking import by_seed

    cells = []
    for seed, sign in ((0, 1.0), (1, -1.0)):
        for width in ("256", "512", "1024"):
            for lr in (0.005, 0.01):
                gap = 0.05 + 0.02 * ["256", "512", "1024"].index(width) + 2 * lr
                cells.append((f"mlp_1x{width}", 100, {"lr": lr, "name": f"lr{lr}"}, seed, gap,
                              {"a": sign * gap, "b": -sign * gap}, "fitted"))
    table = by_seed(summary(cells)).set_index("measure")
    assert table.loc["a", "Psi_seed0"] == 1.0 and table.loc["a", "Psi_seed1"] == -1.0
    assert table.loc["b", "Psi_seed0"] == -1.0 and table.loc["b", "Psi_seed1"] == 1.0
    assert (table.loc["a", "rank_seed0"], table.loc["a", "rank_seed1"]) == (1, 2)
    assert table.loc["a", "first_on_seeds"] == 1 and table.loc["b", "first_on_seeds"] == 1
    assert table.loc["a", "mean_rank"] == 1.5
    assert rank_measures(summary(cells), boot=10).set_index("measure").loc["a", "Psi"] == 0.0  # pooled: hidden
    assert math.isnan(table.loc["a", "Psi_mean_low"]) and table["below_first"].isna().all()  # 2 seeds: no interval


def test_by_seed_gives_each_measure_an_interval_over_seeds_and_says_which_the_first_is_above():
    """Three seeds, the unit of replication: "a" orders every group as the gap on each seed, "c"
    against it on each, "b" as "a" on two seeds and as "c" on one. Over seeds: a's Psi is 1 with no
    spread; the first (a) is above c on every seed (the paired interval excludes 0), but not
    above b, whose one contrary seed makes the interval of the difference hold 0 (t with 2
    degrees of freedom: mean 2/3, half-width 4.30 * 1.15 / sqrt(3) = 2.87)."""
    from gengap.report.ranking import by_seed

    cells = []
    for seed, b_sign in ((0, 1.0), (1, -1.0), (2, 1.0)):
        for width in ("256", "512", "1024"):
            for lr in (0.005, 0.01):
                gap = 0.05 + 0.02 * ["256", "512", "1024"].index(width) + 2 * lr
                cells.append((f"mlp_1x{width}", 100, {"lr": lr, "name": f"lr{lr}"}, seed, gap,
                              {"a": gap, "b": b_sign * gap, "c": -gap}, "fitted"))
    table = by_seed(summary(cells)).set_index("measure")
    assert list(table.index) == ["a", "b", "c"]
    assert (table.loc["a", "Psi_mean"], table.loc["a", "Psi_mean_low"], table.loc["a", "Psi_mean_high"]) == (1, 1, 1)
    assert table.loc["b", "Psi_mean"] == pytest.approx(1 / 3)
    assert table.loc["b", "Psi_mean_low"] == pytest.approx(1 / 3 - 4.3027 * 1.1547 / math.sqrt(3), abs=1e-3)
    assert table.loc["c", "Psi_mean_high"] == -1
    assert pd.isna(table.loc["a", "below_first"])
    assert not table.loc["b", "below_first"] and table.loc["c", "below_first"]
