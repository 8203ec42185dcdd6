"""Nagarajan & Kolter's figures: the bounds, distances and norms against n, the two hyperspheres,
and the slopes against n by batch size."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

from gengap.report.figures.layout import (WIDTH, add_notes, grid_size, legend_below, natural, panels, plt, seed_errorbar,
                                          sns, suptitle, tidy_log_axes)
from gengap.report.figures.registry import figure
from gengap.report.format import number
from gengap.report.reading import labeller, measure_kinds, of_kind
from gengap.report.summary import CELL_KEYS
from gengap.report.seeds import over_seeds
from gengap.report.slopes import fit_slope, seed_curve


def _variant(summary: pd.DataFrame) -> str:
    """What sets a bounds suite's variant apart: its batch size and stopping rule."""
    parts = []
    if "batch_size" in summary and summary["batch_size"].notna().any():
        parts.append(f"batch {int(summary['batch_size'].dropna().iloc[0])}")
    if "stop_fraction" in summary and summary["stop_fraction"].notna().any():
        parts.append(f"stop at {summary['stop_fraction'].dropna().iloc[0] * 100:g} % of points with margin ≥ γ")
    return ", ".join(parts)


def with_numerators(measures: list[str], available) -> list[str]:
    """``measures`` in order, each followed by its numerator (``<bound>_numerator``, the measure's
    second output) where the summary has one."""
    available = set(available)
    return [q for m in measures if m in available for q in (m, f"{m}_numerator") if q in available]


def varying_with_n(summary: pd.DataFrame, measures: list[str]) -> list[str]:
    """``measures`` whose values differ somewhere in the suite (a model's weight count does not)."""
    spread = summary[summary["measure"].isin(measures)].groupby("measure")["value"].nunique()
    return [m for m in measures if spread.get(m, 0) > 1]


def slope_text(cells: pd.DataFrame, prefix: str = "slope ") -> str:
    """``slope +0.06 [-0.10, +0.22]``: the log-log slope over seeds and its 95 % interval over seeds
    (``gengap.report.slopes``: one fit per seed, its draws averaged; no interval below 3 seeds)."""
    fit = over_seeds([fit_slope(c["n"], np.exp(c["logv"]))["slope"] for _, gs in cells.groupby("seed")
                      for c in [seed_curve(gs)]])
    interval = f" [{fit['ci_low']:+.2f}, {fit['ci_high']:+.2f}]" if np.isfinite(fit["ci_low"]) else ""
    return f"{prefix}{fit['slope']:+.2f}{interval}"


def _relative_against_n(summary: pd.DataFrame, measures: list[str], title: str):
    """One panel per quantity against n, each value divided by its value at the smallest n (per
    seed and draw), on one shared log axis: a 5 % change looks like 5 %, and growth is comparable
    across quantities whatever their units; the panel's title gives the absolute values (first and
    last n, the mean over seeds) and the slope over seeds with its 95 % interval. Seeds as bands,
    one line per dataset, model and setting. Quantities without finite positive values are named."""
    every_draw = summary[summary["measure"].isin(measures)].copy()
    every_draw["setting"] = panels(every_draw, ("dataset", "model", "reg"))
    finite = np.isfinite(every_draw["value"]) & (every_draw["value"] > 0)
    missing = [m for m in measures if m in set(every_draw["measure"]) - set(every_draw.loc[finite, "measure"])]
    every_draw = every_draw[finite]
    if every_draw.empty:
        raise ValueError(f"none of {measures} has finite positive values in this suite's summary")
    shown = [m for m in measures if m in set(every_draw["measure"])]
    settings = sorted(every_draw["setting"].unique(), key=natural)
    several = len(settings) > 1
    # several settings: one line per setting in the panel, numbers only (a note under the figure says what)
    slopes = {(m, s): slope_text(g, "" if several else "slope ")
              for (m, s), g in every_draw.groupby(["measure", "setting"])}
    df = every_draw[every_draw["draw"] == 1].copy()
    curve = ["measure", "setting", "seed"]
    first = df.loc[df.groupby(curve)["n"].idxmin()].set_index(curve)["value"].rename("first")
    df = df.join(first, on=curve).assign(relative=lambda d: d["value"] / d["first"])
    def absolute(m):
        g = df[df["measure"] == m].groupby("n")["value"].mean()
        return f"{number(g.iloc[0])} → {number(g.iloc[-1])}"
    label = labeller(summary)
    titles = {m: textwrap.fill(label(m), 24) + ("" if several else f"\n{absolute(m)}\n{slopes[m, settings[0]]}")
              for m in shown}
    df["quantity"] = df["measure"].map(titles)
    colors = dict(zip(settings, sns.color_palette("tab10", len(settings))))
    cols = min(len(shown), 4)
    g = sns.relplot(data=df, x="n", y="relative", col="quantity", col_order=[titles[m] for m in shown],
                    col_wrap=cols if len(shown) > cols else None, hue="setting" if several else None,
                    hue_order=settings if several else None, palette=colors if several else None, kind="line",
                    marker="o", errorbar=seed_errorbar(df), facet_kws={"sharey": True}, height=2.6,
                    aspect=min(1.3, (WIDTH - (3.0 if several else 1.2)) / cols / 2.6))
    g.set(xscale="log", yscale="log")
    for m in shown:
        ax = g.axes_dict[titles[m]]
        ax.axhline(1.0, color="grey", lw=0.6)
        for i, setting in enumerate(settings if several else []):
            if (m, setting) in slopes:
                ax.text(0.03, 0.97 - 0.1 * i, slopes[m, setting], transform=ax.transAxes, fontsize=6.5,
                        va="top", color=colors[setting])
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
    g.set_titles("{col_name}", size=7.5)
    g.set_axis_labels("training set size n", "")
    for ax in g.axes.flat:
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("value ÷ value at the smallest n\n(log scale, shared)")
    if several:
        g.legend.set_title("data, model, setting")
        legend_below(g)
    variant = _variant(summary)
    note = f"\nnot drawn (no finite value): {', '.join(label(m) for m in missing)}" if missing else ""
    suptitle(g.figure, f"{title}{' — ' + variant if variant else ''}{note}", df)
    tidy_log_axes(g.figure)
    if several:
        add_notes(g.figure, ["in each panel, each setting's log-log slope against n [95 % interval over seeds]"])
    return g.figure


@figure("bounds_vs_n")
def bounds_vs_n(summary: pd.DataFrame, history: pd.DataFrame):
    """Does each quantity grow with n? The log-log slope against n of the test error, the
    distances and norms, each bound and each bound's numerator, a point with its 95 % interval over
    seeds (``gengap.report.slopes``), one panel per dataset, model and setting (Nagarajan & Kolter
    Fig. 1). Expected: the test error falls (slope < 0) while the bounds grow (slope > 0); a bound's
    numerator must grow faster than sqrt(n) (slope 0.5, dotted) for the bound to grow. A bound
    above 1 at every n (vacuous) is marked."""
    from gengap.report.slopes import slopes as fit_slopes

    kinds = measure_kinds(summary)
    quantities = varying_with_n(summary, [m for m in ["test_error", *of_kind(summary, "complexity")] if m in kinds])
    quantities += with_numerators(of_kind(summary, "bound"), summary["measure"].unique())
    label = labeller(summary)
    df = summary[summary["measure"].isin(quantities)].copy()
    fits = fit_slopes(df).query("pooled")
    fits = fits[np.isfinite(fits["slope"])]
    if fits.empty:
        raise ValueError(f"none of {quantities} has a slope in this suite's summary")
    fits = fits.assign(setting=panels(fits, ("dataset", "model", "reg")))
    settings = sorted(fits["setting"].unique(), key=natural)
    shown = [q for q in quantities if q in set(fits["measure"])]
    missing = [q for q in quantities if q not in shown]
    cols = min(len(settings), 4)
    rows = math.ceil(len(settings) / cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False, sharey=True, sharex=True,
                             figsize=(WIDTH, min(0.19 * len(shown) * rows + 1.2 * rows + 0.6, 8.5)))
    y = {q: len(shown) - 1 - i for i, q in enumerate(shown)}
    shown_as = {"error": "test error", "complexity": "norm, distance or flatness", "bound": "bound",
                "numerator": "numerator"}
    kinds = {q: shown_as[kinds[q]] for q in shown}
    colors = {"test error": "black", "norm, distance or flatness": "tab:green", "bound": "tab:red", "numerator": "tab:orange"}
    for ax, setting in zip(axes.flat, settings):
        mine = fits[fits["setting"] == setting].set_index("measure")
        cells = df[panels(df, ("dataset", "model", "reg")) == setting] if len(settings) > 1 else df
        for q in shown:
            if q not in mine.index:
                continue
            r = mine.loc[q]
            low, high = (r["ci_low"], r["ci_high"]) if np.isfinite(r["ci_low"]) else (r["slope"], r["slope"])
            ax.errorbar(r["slope"], y[q], xerr=[[r["slope"] - low], [high - r["slope"]]], fmt="o", ms=4,
                        color=colors[kinds[q]], ecolor=colors[kinds[q]], elinewidth=1.2, capsize=2)
            values = cells.loc[cells["measure"] == q, "value"]
            if kinds[q] == "bound" and len(values) and (values > 1).all():
                ax.text(high, y[q], "  > 1", fontsize=6, color="firebrick", va="center")
        ax.axvline(0, color="black", lw=0.8)
        ax.axvline(0.5, color="grey", lw=0.8, ls=":")
        seeds = int(mine["seeds"].max()) if "seeds" in mine else 1
        ns = sorted(cells["n"].unique())
        ax.set_title(f"{setting}\nn = {ns[0]}..{ns[-1]}, {seeds} seed{'s' if seeds != 1 else ''}" if setting
                     else f"n = {ns[0]}..{ns[-1]}, {seeds} seed{'s' if seeds != 1 else ''}", fontsize=7.5)
        ax.set_xlabel("slope of log(value) against log(n)\n← falls with n | grows with n →" if cols == 1
                      else "log-log slope against n\n← falls | grows →", fontsize=7.5)  # side by side: short
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(settings):]:
        ax.set_visible(False)
    axes[0][0].set_yticks([y[q] for q in shown], [label(q) for q in shown], fontsize=7)
    axes[0][0].set_ylim(-0.7, len(shown) - 0.3)
    handles = [plt.Line2D([], [], marker="o", ls="none", color=c, label=k) for k, c in colors.items()
               if k in kinds.values()]
    handles.append(plt.Line2D([], [], color="grey", ls=":", label="slope 0.5 (sqrt n)"))
    suptitle(fig, "does each quantity grow with n? (95 % intervals over seeds; '> 1': a vacuous bound)", summary)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    if missing:
        add_notes(fig, ["no finite positive values to fit: " + ", ".join(label(m) for m in missing)])
    return fig


@figure("distances_vs_n")
def distances_vs_n(summary: pd.DataFrame, history: pd.DataFrame):
    """Distance from initialization, distance between the weights trained on S1 and S2, and the
    products of the layers' norms against n, each relative to its value at the smallest n on one
    shared log axis, with its absolute values and its slope over seeds (Nagarajan & Kolter Fig. 1).
    Expected: the distances grow with n (positive slopes)."""
    return _relative_against_n(summary, ["dist_init", "dist_s2", "spectral_product", "frobenius_product"],
                               "distances and norms of the trained weights against n, relative to the smallest n")


@figure("hypersphere")
def hypersphere(summary: pd.DataFrame, history: pd.DataFrame):
    """Test error, error on S′ and the uniform-convergence lower bound against n on two
    concentric spheres (Nagarajan & Kolter Fig. 2). S′ is the training set with every point moved
    to the other sphere and its label flipped. Expected: the test error falls with n while the
    error on S′ stays near 1, so any two-sided uniform-convergence bound is near 1. The lower bound
    is drawn from each cell's two errors (``gengap.measures.hypersphere.lower_bound``), so a summary
    made before that formula was |error on S′ − test error| draws it right too."""
    from gengap.measures.hypersphere import lower_bound
    from gengap.measures.registry import describe_row

    errors = summary[summary["measure"].isin(["test_error", "sprime_error"]) & (summary["draw"] == 1)]
    wide = errors.pivot_table(index=CELL_KEYS, columns="measure", values="value").dropna().reset_index()
    bound = wide.assign(measure="uc_lower_bound",
                        value=[lower_bound(s, t) for s, t in zip(wide["sprime_error"], wide["test_error"])])
    df = pd.concat([errors, bound[CELL_KEYS + ["measure", "value"]]], ignore_index=True)
    label = labeller(summary)  # the lower bound's label is this checkout's, as its values are
    df["quantity"] = [describe_row(m).label if m == "uc_lower_bound" else label(m) for m in df["measure"]]
    df["panel"] = panels(df, ("dataset", "model"))
    g = sns.relplot(data=df, x="n", y="value", hue="quantity", style="quantity", col="panel", kind="line",
                    markers=True, dashes=False, errorbar=seed_errorbar(df), **grid_size(df["panel"].nunique(), height=3.2))
    g.set(xscale="log", ylim=(-0.02, 1.05))
    g.set_axis_labels("training set size n", "error / bound")
    g.set_titles("{col_name}")
    legend_below(g)
    suptitle(g.figure, "two concentric spheres: S′ = training points moved to the other sphere, labels flipped", df)
    return g.figure


@figure("batch_map")
def batch_map(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Nagarajan & Kolter's claim against the batch size: the log-log slope against n (over seeds,
    95 % interval) of each bound and its numerator (left), and of the distance from initialization
    and the test error (right), at every batch size the suite trained, on the n they share. A bound
    grows with n where its slope is above 0 (the dashed line); the paper's "bounds grow with n"."""
    from gengap.report.tables import batch_map as batch_map_table

    table = batch_map_table(summary)
    label = labeller(summary)
    if table.empty:
        raise ValueError("batch_map needs a suite whose regularization settings are batch sizes")
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 3.2), sharex=True)
    panels_of = (("bartlett17", "bartlett17_numerator", "neyshabur18_init", "neyshabur18_init_numerator"),
                 ("dist_init", "test_error"))
    for ax, measures in zip(axes, panels_of):
        for k, m in enumerate(measures):
            g = table[table["measure"] == m]
            if g.empty:
                continue
            x = np.log2(g["batch_size"]) + 0.06 * (k - (len(measures) - 1) / 2)  # side by side, not on top
            ax.errorbar(x, g["slope"], yerr=[g["slope"] - g["ci_low"], g["ci_high"] - g["slope"]], marker="o",
                        ms=4, capsize=2, lw=1, label=label(m))
        ax.axhline(0, color="black", lw=0.8, ls="--")
        batches = sorted(table["batch_size"].unique())
        ax.set_xticks(np.log2(batches), [str(b) for b in batches])  # a linear axis in log2(batch): no relabelling
        ax.set(xlabel="batch size (log scale)", ylabel="slope of log(value) against log(n)")
        ax.legend(fontsize=6.5, loc="best")
    axes[0].set_title("bounds and their numerators\n(above 0: the bound grows with n)", fontsize=8)
    axes[1].set_title("distance from initialization, test error", fontsize=8)
    suptitle(fig, f"slopes against n by batch size (n = {table['n'].iloc[0]}; 95 % intervals over seeds)", summary)
    fig.tight_layout()
    crossings = table.drop_duplicates("measure")
    notes = [f"{label(r.measure)}: slope changes sign between batch {r.crossing}" for r in crossings.itertuples()
             if r.crossing]
    add_notes(fig, notes)
    return fig
