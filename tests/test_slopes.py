import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gengap.measures.registry import describe
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
                             seed=seed, draw=2, n=n, value=2 * c * n ** -0.25))  # S2: averaged in, log scale
    table = slopes(pd.DataFrame(rows))
    assert len(table) == 3 and table["pooled"].sum() == 1
    assert np.allclose(table["slope"], -0.25)


def test_the_interval_is_over_seeds_not_over_pooled_cells():
    """Three seeds whose curves are exact power laws with slopes 1.0, 1.2 and 1.4 (draws 1 and 2
    of a seed at 0.9x and 1.1x its curve, averaged on the log scale): the slope is their mean and the
    interval mean +- t_{2, 0.975} sd / sqrt(3) = 1.2 +- 4.3027 * 0.2 / 1.7321; pooling the 24 cells
    as independent points gives another, narrower interval."""
    rows = [dict(suite="s", dataset="d", model="m", corruption="true", reg="none", measure="bound", seed=seed,
                 draw=draw, n=n, value=scale * c * n**b)
            for seed, (c, b) in enumerate(((1.0, 1.0), (3.0, 1.2), (0.5, 1.4))) for n in (100, 1000, 10000, 100000)
            for draw, scale in ((1, 0.9), (2, 1.1))]
    table = slopes(pd.DataFrame(rows))
    per_seed = table[~table["pooled"]].set_index("seed")["slope"]
    assert per_seed.to_dict() == pytest.approx({0: 1.0, 1: 1.2, 2: 1.4})
    row = table[table["pooled"]].iloc[0]
    half = 4.302652729911275 * 0.2 / math.sqrt(3)
    assert row["slope"] == pytest.approx(1.2) and row["seeds"] == 3
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((1.2 - half, 1.2 + half))
    pooled_cells = fit_slope([r["n"] for r in rows], [r["value"] for r in rows])
    assert pooled_cells["ci_high"] - pooled_cells["ci_low"] < 0.9 * 2 * half  # what the old fit printed


def test_fewer_than_three_seeds_give_a_slope_and_no_interval():
    rows = [dict(suite="s", dataset="d", model="m", corruption="true", reg="none", measure="b", seed=seed, draw=1,
                 n=n, value=n ** (0.5 + 0.1 * seed)) for seed in (0, 1) for n in (10, 100, 1000)]
    row = slopes(pd.DataFrame(rows)).query("pooled").iloc[0]
    assert row["slope"] == pytest.approx(0.55) and row["seeds"] == 2 and math.isnan(row["ci_low"])


def test_slopes_never_pool_two_training_settings():
    rows = [dict(suite="s", dataset="d", model="m", corruption="true", measure="bound", reg=reg, seed=0, draw=1,
                 n=n, value=n ** power) for reg, power in (("batch64", 0.5), ("batch1", -0.5)) for n in (100, 1000, 10000)]
    pooled = slopes(pd.DataFrame(rows)).query("pooled").set_index("reg")["slope"]
    assert pooled.to_dict() == pytest.approx({"batch1": -0.5, "batch64": 0.5})


def _bounds_summary():
    """Three seeds at four n: a bound growing as n^0.5 (above 1), its numerator as n^1, a test
    error falling as n^-0.5, distances growing as n^0.25; a VC bound with no finite value; the
    flatness 1/sigma'^2 at 3, above 1 but no bound on an error; a bound falling as n^-0.3, above 1."""
    rows = []
    powers = {"test_error": (0.5, -0.5), "bartlett17": (10.0, 0.5), "bartlett17_numerator": (1.0, 1.0),
              "vc": (math.inf, 0.0), "dist_init": (2.0, 0.25), "dist_s2": (1.0, 0.25),
              "pacbayes_mag_flatness": (3.0, 0.0), "neyshabur18_init": (1000.0, -0.3)}
    for seed in (0, 1, 2):
        for n in (128, 512, 2048, 8192):
            for measure, (c, p) in powers.items():
                rows.append(dict(suite="s", dataset="mnist", model="mlp_5x1024_nobias", corruption="true",
                                 reg="none", measure=measure, seed=seed, draw=1, n=n,
                                 value=c * (1 + 0.05 * seed) * n**p))
    return describe(pd.DataFrame(rows))


def test_the_bounds_figure_is_a_forest_of_slopes_over_seeds():
    """One row per quantity with its slope over seeds and interval, the bound marked vacuous
    where it is above 1 at every n; the VC bound (no finite value) is named, not dropped."""
    from figure_checks import check_figure
    from gengap.report.figures import FIGURES, plt
    from gengap.report.reading import labeller

    summary = _bounds_summary()
    label = labeller(summary)
    check_figure("bounds_vs_n", summary, None)
    fig = FIGURES["bounds_vs_n"](summary, None)
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names[0] == label("test_error") and label("bartlett17") in names and label("bartlett17_numerator") in names
    fits = slopes(summary).query("pooled").set_index("measure")
    y = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    for measure, power in (("test_error", -0.5), ("bartlett17", 0.5), ("bartlett17_numerator", 1.0),
                           ("neyshabur18_init", -0.3)):
        assert fits.loc[measure, "slope"] == pytest.approx(power)
        drawn = [c for c in ax.containers if abs(c.lines[0].get_ydata()[0] - y[label(measure)]) < 1e-9]
        assert drawn and drawn[0].lines[0].get_xdata()[0] == pytest.approx(power)
    vacuous = {round(t.get_position()[1]) for t in ax.texts if "> 1" in t.get_text()}
    assert y[label("bartlett17")] in vacuous and y[label("neyshabur18_init")] in vacuous
    assert y[label("pacbayes_mag_flatness")] not in vacuous  # 1/sigma'^2 is no error probability
    assert any("VC bound" in t.get_text() for t in fig.texts)
    plt.close(fig)


@pytest.mark.parametrize("name, titled", [
    ("distances_vs_n", ["distance from initialization", "distance between S1 and S2"]),
])
def test_distances_figure_draws_one_panel_per_quantity_with_its_slope(name, titled):
    from figure_checks import check_figure
    from gengap.report.figures import FIGURES, plt

    summary = _bounds_summary()
    check_figure(name, summary, None)
    fig = FIGURES[name](summary, None)
    titles = [ax.get_title().replace("\n", " ") for ax in fig.axes if ax.lines]
    assert len(titles) == len(titled), titles  # each quantity on its own axes, nothing else drawn
    for title, expected in zip(titles, titled):
        assert title.startswith(expected), (title, expected)
    pooled = slopes(summary).query("pooled").set_index("measure")
    for title, measure in zip(titles, ["dist_init", "dist_s2"]):
        fit = pooled.loc[measure]
        assert fit["slope"] == pytest.approx(0.25)
        assert f"slope {fit['slope']:+.2f} [{fit['ci_low']:+.2f}, {fit['ci_high']:+.2f}]" in title, title
    plt.close(fig)


def test_slopes_written_in_a_panel_stay_inside_it():
    """With several settings each panel lists every setting's slope and interval (four batch sizes of
    the published nk-batch-cpu run); those lines once ran past the panel's edge into the next one."""
    from gengap.report.figures import FIGURES, plt, tidy_log_axes

    summary = pd.read_parquet(Path(__file__).parents[1] / "docs/results/nk-batch-cpu/summary/bounds_vs_batch.parquet")
    fig = FIGURES["distances_vs_n"](summary, None)
    tidy_log_axes(fig)
    renderer = fig.canvas.get_renderer()
    written = [(ax, t) for ax in fig.axes for t in ax.texts if "[" in t.get_text()]
    assert len(written) >= 4 * 3  # four batch sizes in the panels of the three quantities they share
    for ax, text in written:
        box, panel = text.get_window_extent(renderer), ax.get_window_extent(renderer)
        assert panel.x0 <= box.x0 and box.x1 <= panel.x1, (ax.get_title(), text.get_text())
    plt.close(fig)


def test_notes_under_a_figure_lie_below_every_label():
    """The verdict line sits under the x-axis titles and the log axes' final tick labels, which
    ``tidy_log_axes`` sets (n = 8192..32768: its labels are drawn only then); it once overlapped them."""
    from gengap.report.figures import FIGURES, add_notes, plt, tidy_log_axes

    summary = _bounds_summary()
    summary = summary.assign(n=summary["n"] * 64)  # 8192..524288: matplotlib alone labels few ticks
    fig = FIGURES["distances_vs_n"](summary, None)
    add_notes(fig, ["paper vs gengap: 2 reproduced"])
    tidy_log_axes(fig)  # as save_figure does before writing
    renderer = fig.canvas.get_renderer()
    note = next(t for t in fig.texts if t.get_text().startswith("paper vs gengap"))
    lowest = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes)  # tick labels and axis titles included
    assert note.get_window_extent(renderer).y1 < lowest
    plt.close(fig)


def _batch_summary():
    """Batch sizes 1..64 at n = 512, 2048, 8192 (batch 1 also at 128, which the map leaves out),
    3 seeds: Bartlett's bound with slopes +0.9, +0.5, +0.1, -0.1, its numerator 0.5 higher, the
    distance from init +0.5 .. +0.1, the test error -0.4 throughout."""
    rows = []
    for reg, batch, s in (("b1", 1, 0.9), ("b4", 4, 0.5), ("b16", 16, 0.1), ("b64", 64, -0.1)):
        for seed in (0, 1, 2):
            for n in (128, 512, 2048, 8192) if batch == 1 else (512, 2048, 8192):
                jitter = 1 + 0.01 * seed
                for m, p in (("bartlett17", s), ("bartlett17_numerator", s + 0.5), ("dist_init", s / 2 + 0.05),
                             ("test_error", -0.4)):
                    rows.append(dict(suite="s", dataset="mnist", model="mlp_5x1024_nobias", corruption="true",
                                     reg=reg, batch_size=batch, measure=m, seed=seed, draw=1, n=n,
                                     value=jitter * n ** (p + 0.002 * seed), status="fitted"))
    return describe(pd.DataFrame(rows))


def test_the_batch_map_gives_each_batch_sizes_slope_and_where_it_crosses_zero():
    from figure_checks import check_figure
    from gengap.report.tables import batch_map

    table = batch_map(_batch_summary())
    bound = table[table["measure"] == "bartlett17"].set_index("batch_size")
    assert list(bound.index) == [1, 4, 16, 64] and bound["n"].iloc[0] == "512, 2048, 8192"  # the shared n
    assert bound["slope"].to_numpy() == pytest.approx([0.902, 0.502, 0.102, -0.098])
    assert (bound["ci_low"] < bound["slope"]).all() and (bound["slope"] < bound["ci_high"]).all()
    # +0.102 at 16, -0.098 at 64: zero at t = 0.102 / 0.2 = 0.51 of the way in log batch size
    assert bound["crossing"].iloc[0] == f"16..64 (~{math.exp(math.log(16) + 0.51 * math.log(4)):.2g})"
    assert table.loc[table["measure"] == "test_error", "crossing"].eq("").all()
    check_figure("batch_map", _batch_summary(), None)


def test_the_overview_lists_only_slopes_that_were_fitted():
    """A setting without a quantity (one draw: no dist_s2) is left out, not shown as '+nan'."""
    import pandas as pd

    from gengap.suites.train import _slope_list

    fits = pd.DataFrame({"slope": [-0.4, float("nan")], "ci_low": [-0.5, float("nan")], "ci_high": [-0.3, float("nan")],
                         "seeds": [3, 0]}, index=["test_error", "dist_s2"])
    assert _slope_list(fits) == "test_error -0.40 [-0.50, -0.30]"
