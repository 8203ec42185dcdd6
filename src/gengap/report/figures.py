"""Seaborn figures from a suite's summary tables; each figure is one registered function.

A figure function takes (summary, history) DataFrames and returns a matplotlib Figure; the
pipeline saves it as PNG and PDF under ``results/figures/<suite>/<name>.{png,pdf}``.
"""

from __future__ import annotations

import importlib
import math
import re
import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from gengap.atomic import atomic_path, read_parquet
from gengap.registry import Registry
from gengap.report.format import number
from gengap.report.paper import compare
from gengap.report.verdicts import claim_count, claims, verdict_counts
from gengap.report.ranking import rank_measures
from gengap.report.seeds import over_seeds
from gengap.report.slopes import fit_slope, seed_curve
from gengap.report.tables import rademacher as rademacher_table


class _LazyModule:
    """A module imported on first use: the Snakefile reads this registry at every start (also
    in every job of a cluster bundle), and seaborn with matplotlib takes ~0.7 s to import."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        if self._name.startswith("matplotlib"):
            importlib.import_module("matplotlib").use("Agg")  # no display on a cluster node
        return getattr(importlib.import_module(self._name), attr)


plt = _LazyModule("matplotlib.pyplot")
ticker = _LazyModule("matplotlib.ticker")
sns = _LazyModule("seaborn")

FIGURES: Registry = Registry("figure")
figure = FIGURES.register


# Every figure fits the report's width: at most WIDTH inches at the saved DPI (1,350 pixels).
DPI, WIDTH = 150, 9.0
# What the figures call the summaries' columns and measures.
LABELS = {
    "test_error": "test error", "train_error": "training error", "training accuracy": "training accuracy",
    "sprime_error": "error on S′", "uc_lower_bound": "uniform-convergence lower bound (1 − test error)",
    "dist_init": "distance from initialization ‖W − W0‖", "dist_s2": "distance between S1 and S2 weights",
    "spectral_product": "product of spectral norms", "frobenius_bound": "Frobenius bound",
    "bartlett17": "Bartlett et al. 2017", "bartlett17_nk": "Bartlett et al. 2017 (N&K's code)",
    "neyshabur18": "Neyshabur et al. 2018", "neyshabur18_init": "Neyshabur et al. 2018 (from init)",
    "neyshabur19": "Neyshabur et al. 2019", "neyshabur19_nk": "Neyshabur et al. 2019 (N&K's code)",
    "path_norm_bound": "path-norm bound", "pacbayes_init": "PAC-Bayes (from init)",
    "pacbayes_mag_flatness": "PAC-Bayes flatness 1/σ′²", "vc": "VC bound", "label_noise": "label corruption p",
    "relative_time_to_fit": "time to fit / time to fit true labels", "rkhs_norm": "RKHS norm √(αᵀKα)",
    "residual_float64": "network in float64", "residual_float32": "network in float32",
    "residual_exact": "float64 weights, exact arithmetic", "linear_features": "random ReLU features",
    "rbf": "Gaussian RBF", "frobenius_product": "product of Frobenius norms",
}


def label(name) -> str:
    name = str(name)
    if name.endswith("_numerator"):
        return f"{label(name[: -len('_numerator')])} (numerator)"
    return LABELS.get(name, name.replace("_", " "))


def _errorbar(df: pd.DataFrame):
    """Standard deviation over seeds where there are several, none otherwise."""
    return ("sd", 1) if "seed" in df and df["seed"].nunique() > 1 else None


def scale_text(df: pd.DataFrame) -> str:
    """``mnist, n = 256, 1 seed``: what a figure was measured on."""
    parts = [", ".join(sorted(map(str, df["dataset"].unique())))] if "dataset" in df else []
    if "n" in df:
        ns = sorted(df["n"].unique())
        parts.append(f"n = {ns[0]}" if len(ns) == 1 else f"n = {ns[0]}..{ns[-1]}")
    if "seed" in df:
        k = df["seed"].nunique()
        parts.append(f"{k} seed{'s' if k != 1 else ''}")
    return ", ".join(parts)


def panels(df: pd.DataFrame, keys=("dataset", "model", "reg")) -> pd.Series:
    """One panel per combination of the grid dimensions that vary in ``df`` (nothing is averaged
    across a grid dimension: a line is one setting, its band the seeds)."""
    varying = [k for k in keys if k in df and df[k].nunique() > 1] or [k for k in keys if k in df][:1]
    return df[varying].astype(str).agg(", ".join, axis=1) if varying else pd.Series("", index=df.index)


def _title(fig, text: str, df: pd.DataFrame | None = None) -> None:
    """The figure's title, and on a line of its own the data it was measured on."""
    scale = f"\n{scale_text(df)}" if df is not None and len(df) else ""
    fig.suptitle(text + scale, y=1.06, fontsize=9)


def _legend_outside(g) -> None:
    """Seaborn's figure legend beside the panels (where relplot puts it), text small enough to
    keep the figure within WIDTH."""
    if getattr(g, "legend", None) is not None:
        for text in g.legend.get_texts():
            text.set_fontsize(7)


def _layout_with_legends_below(fig, axes) -> None:
    """Lay the figure out with its final tick labels, then put each of ``axes``' legends under it
    in two columns: never over the data, nor over the axis's tick labels and label (the saved
    image grows to take the legends in)."""
    tidy_log_axes(fig)  # the ticks the saved figure will have, so that the layout leaves room for them
    fig.tight_layout()
    fig.canvas.draw()
    for ax in axes:
        below = ax.xaxis.get_tightbbox(fig.canvas.get_renderer())
        top = ax.transAxes.inverted().transform((0, below.y0))[1]  # the axis's lowest text, in axes fractions
        # one column: a legend of several sections (hue, style) keeps each header above its entries
        sns.move_legend(ax, "upper left", bbox_to_anchor=(0.0, top - 0.03), ncol=1, frameon=False, fontsize=7,
                        title_fontsize=7)


def natural(text: str) -> list:
    """A sort key that orders b4 before b16 (numbers by value)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text))]


def _size(columns: int, rows: int = 1, height: float = 3.0) -> dict:
    """relplot sizes that keep the figure within WIDTH inches (legend included)."""
    aspect = min(1.3, (WIDTH - 2.2) / max(columns, 1) / height)
    return {"height": height, "aspect": aspect}


INPUT_CORRUPTIONS = ("shuffled_pixels", "random_pixels", "gaussian")


@figure("label_noise")
def label_noise(summary: pd.DataFrame, history: pd.DataFrame):
    """Test error (top) and training accuracy (bottom) against label corruption p, one line per
    model; the corruptions of the inputs at the right, one point per model each (Zhang et al. Fig.
    1c). Expected: training accuracy 1 at every p; test error rising smoothly from its value at
    p = 0 to chance (dotted) at p = 1."""
    df = summary[summary["measure"].isin(["test_error", "train_error"]) & (summary["draw"] == 1)].copy()
    if df[df["label_noise"].notna()].empty:
        raise ValueError("no label-corruption cells (true, labels@p, random_labels) in this suite")
    train = df["measure"] == "train_error"
    df.loc[train, "value"] = 1 - df.loc[train, "value"]
    df["quantity"] = df["measure"].map({"test_error": "test error", "train_error": "training accuracy"})
    df["panel"] = panels(df, ("dataset", "reg"))
    curves = df[df["label_noise"].notna()]
    cols = curves["panel"].nunique()
    models = sorted(df["model"].unique())
    palette = dict(zip(models, sns.color_palette("deep", len(models))))
    offset = {m: 0.012 * (i - (len(models) - 1) / 2) for i, m in enumerate(models)}  # equal values stay visible
    curves = curves.assign(label_noise=curves["label_noise"] + curves["model"].map(offset))
    g = sns.relplot(data=curves, x="label_noise", y="value", hue="model", hue_order=models, palette=palette,
                    style="model", kind="line", markers=True, dashes=False, errorbar=_errorbar(curves), row="quantity",
                    row_order=["test error", "training accuracy"], col="panel", facet_kws={"sharey": "row", "margin_titles": True}, **_size(cols, 2, 2.9))
    inputs = df[df["label_noise"].isna() & (df["corruption"] != "rademacher")]
    names = [c for c in INPUT_CORRUPTIONS if c in set(inputs["corruption"])]
    names += sorted(set(inputs["corruption"]) - set(names))
    x_of = {c: 1.35 + 0.5 * i for i, c in enumerate(names)}
    short = {"shuffled_pixels": "shuffled\npixels", "random_pixels": "random\npixels", "gaussian": "Gauss-\nian"}
    for (quantity, panel), ax in g.axes_dict.items():
        if quantity == "test error":
            ax.axhline(0.9, color="grey", lw=0.8, ls=":")
            ax.text(0.0, 0.91, "chance (10 classes)", fontsize=7, color="grey")
        points = inputs[(inputs["quantity"] == quantity) & (inputs["panel"] == panel)]
        for (model, corruption), v in points.groupby(["model", "corruption"])["value"].mean().items():
            ax.plot(x_of[corruption] + 3 * offset[model], v, marker="D", color=palette[model], ls="none", ms=4)
        if names:
            ax.axvline(1.12, color="lightgrey", lw=0.8)
        ticks = [0, 0.5, 1.0]
        ax.set_xticks(ticks + [x_of[c] for c in names], [f"{t:g}" for t in ticks] + [short.get(c, c) for c in names])
        for tick in ax.get_xticklabels()[len(ticks):]:
            tick.set(fontsize=6, linespacing=0.95)
        ax.set_xlim(-0.05, (max(x_of.values()) if names else 1.0) + 0.15)
    accuracy = df.loc[df["quantity"] == "training accuracy", "value"]
    for (quantity, panel), ax in g.axes_dict.items():
        if quantity == "training accuracy":  # 0.9..1: 16 of 50,000 points unfitted is no collapse
            ax.set_ylim(min(0.9, float(accuracy.min()) - 0.02), 1.005)
            lowest = df[(df["quantity"] == quantity) & (df["panel"] == panel)]["value"].min()
            ax.text(0.02, 0.05, f"lowest {number(lowest)}", transform=ax.transAxes, fontsize=7, color="grey")
    g.set_axis_labels("label corruption p", "")
    g.set_titles(row_template="", col_template="{col_name}")
    for (quantity, _), ax in g.axes_dict.items():
        if ax in g.axes[:, 0]:
            ax.set_ylabel(quantity)
    _legend_outside(g)
    _title(g.figure, "fitting label noise: training accuracy and test error", df)
    return g.figure


@figure("loss_curves")
def loss_curves(summary: pd.DataFrame, history: pd.DataFrame):
    """Average training loss against optimizer steps, one line per corruption, one panel per
    dataset, model and regularization setting (Zhang et al. Fig. 1a). Expected: every corruption
    driven to (near) zero loss; random labels and random pixels slower than true labels."""
    if history is None:
        raise ValueError("drawn from the training histories (summary/history/<suite>.parquet), which a "
                         "publication does not keep")
    h = history[history["draw"] == 1].copy() if "draw" in history else history.copy()
    h["panel"] = panels(h)
    cols = min(h["panel"].nunique(), 3)
    order = [c for c in ("true", "labels@0.2", "labels@0.4", "labels@0.6", "labels@0.8", "random_labels",
                         "shuffled_pixels", "random_pixels", "gaussian", "rademacher") if c in set(h["corruption"])]
    order += sorted(set(h["corruption"]) - set(order))
    g = sns.relplot(data=h, x="step", y="train_loss", hue="corruption", hue_order=order, style="corruption",
                    style_order=order, col="panel", col_wrap=cols if h["panel"].nunique() > 1 else None,
                    kind="line", errorbar=_errorbar(h), palette="tab10", facet_kws={"sharex": False, "sharey": False},
                    **_size(cols, height=2.8))
    g.set(xscale="log", yscale="log")  # log steps: a fast curve (true labels) is not squeezed into the first pixels
    g.set_axis_labels("optimizer steps (log scale)", "average training loss")
    g.set_titles("{col_name}")
    _legend_outside(g)
    _title(g.figure, "training loss of every corruption", h)
    return g.figure


def tidy_log_axes(fig) -> None:
    """Readable log axes. matplotlib labels minor ticks on short ranges, and they overlap
    ("3x10^2 4x10^2"). Here: no minor labels; an x axis with a few distinct data values (the
    grid's n) is ticked at exactly those values; otherwise evenly spaced round numbers on a range
    under a factor 2, 1..9 x 10^k under a factor 3, 1, 2, 3, 5, 7 x 10^k within a decade, 1, 2, 5 x
    10^k over up to three decades, 10^k beyond (every log axis has two labelled ticks or more, and
    no more than fit)."""
    plain = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    for ax in fig.axes:
        xs = {float(x) for line in ax.lines for x in line.get_xdata() if np.isfinite(x) and x > 0}
        for axis, scale, values in ((ax.xaxis, ax.get_xscale(), xs), (ax.yaxis, ax.get_yscale(), set())):
            if scale != "log":
                continue
            low, high = sorted(abs(v) for v in axis.get_view_interval())
            if 1 < len(values) <= 8:
                axis.set_major_locator(ticker.FixedLocator(sorted(values)))
            else:
                ratio = high / max(low, 1e-300)  # a short range gets ticks at 1..9 x 10^k, a long one at 10^k
                subs = (tuple(range(1, 10)) if ratio < 3 else (1.0, 2.0, 3.0, 5.0, 7.0) if ratio < 10
                        else (1.0, 2.0, 5.0) if ratio < 1e3 else (1.0,))
                axis.set_major_locator(ticker.MaxNLocator(nbins=3) if ratio < 2  # may hold one power of 10 only
                                       else ticker.LogLocator(base=10, numticks=12, subs=subs))
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(ticker.NullFormatter())


def save_figure(fig, png_path: str | os.PathLike, pdf_path: str | os.PathLike) -> None:
    tidy_log_axes(fig)
    for path in (png_path, pdf_path):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:], dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def without_diverged(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Leave out cells whose training diverged (their measures are of exploded weights); return
    the tables and a note naming them ("" when none)."""
    if "status" not in summary or not (summary["status"] == "diverged").any():
        return summary, history, ""
    keys = [k for k in ("dataset", "model", "corruption", "n", "seed", "draw", "reg") if k in summary]
    bad = summary.loc[summary["status"] == "diverged", keys].drop_duplicates()
    names = ["/".join(str(v) for v in row) for row in bad.itertuples(index=False)]
    if history is not None:
        history = history.merge(bad, on=keys, how="left", indicator=True)
        history = history[history.pop("_merge") == "left_only"]
    note = f"left out: {len(names)} diverged cell(s): " + ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
    return summary[summary["status"] != "diverged"], history, note


def verdict_line(paper_values_path: str | None, suite: str, summary: pd.DataFrame,
                 slopes: pd.DataFrame | None) -> str:
    """The verdicts of the papers' claims about this suite (``gengap.report.paper``), decided from
    the suite's own summary: ``paper vs gengap, 3 claims: 2 reproduced, 1 contradicted``."""
    if not paper_values_path:
        return ""
    values = pd.read_csv(paper_values_path, dtype=str)
    values = values[values["suite"] == suite]
    if values.empty:
        return ""
    decided = claims(compare(values, {suite: summary}, {suite: slopes}))
    return f"paper vs gengap, {claim_count(decided)}: " + verdict_counts(decided)


def draw_figure(name: str, summary_path: str, history_path: str | None, png_path: str, pdf_path: str,
                paper_values_path: str | None = None, suite: str = "", slopes_path: str | None = None) -> None:
    """Draw the registered figure ``name`` from a suite's summary tables into PNG and PDF, with the
    verdicts of the papers' claims about the suite under it. Diverged training cells are left
    out, and a note under the figure names them."""
    sns.set_theme(style="whitegrid", context="paper")
    history = read_parquet(history_path) if history_path else None
    summary = read_parquet(summary_path)
    verdicts = verdict_line(paper_values_path, suite, summary, read_parquet(slopes_path) if slopes_path else None)
    summary, history, note = without_diverged(summary, history)
    fig = FIGURES[name](summary, history)
    add_notes(fig, [t for t in (verdicts, note) if t])
    save_figure(fig, png_path, pdf_path)


def add_notes(fig, lines: list[str]) -> None:
    """Lines of text under everything drawn: the axes' final tick labels (``tidy_log_axes``
    relabels log axes, so it runs first), rotated labels and axis titles included."""
    if not lines:
        return
    tidy_log_axes(fig)
    renderer = fig.canvas.get_renderer()
    inch = 1 / fig.get_figheight()  # figure coordinates per inch
    bottom = fig.get_tightbbox(renderer).y0 * inch
    for i, text in enumerate(lines):
        fig.text(0.01, bottom - 0.1 * inch - 0.16 * inch * i, text, fontsize=8, ha="left", va="top",
                 color="firebrick" if "diverged" in text else "black")


# --- bounds against n (Nagarajan & Kolter) ----------------------------------------------------

BOUND_MEASURES = ["test_error", "vc", "frobenius_bound", "bartlett17", "bartlett17_nk", "neyshabur18",
                  "neyshabur18_init", "neyshabur19", "neyshabur19_nk", "path_norm_bound", "pacbayes_init", "pacbayes_mag_flatness"]
NOT_ERROR_BOUNDS = {"test_error", "pacbayes_mag_flatness"}  # 1/sigma'^2 is a flatness, not a bound on an error: no line at 1


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


def slope_text(cells: pd.DataFrame) -> str:
    """``slope +0.06 [-0.10, +0.22]``: the log-log slope over seeds and its 95 % interval over seeds
    (``gengap.report.slopes``: one fit per seed, its draws averaged; no interval below 3 seeds)."""
    fit = over_seeds([fit_slope(c["n"], np.exp(c["logv"]))["slope"] for _, gs in cells.groupby("seed")
                      for c in [seed_curve(gs)]])
    interval = f" [{fit['ci_low']:+.2f}, {fit['ci_high']:+.2f}]" if np.isfinite(fit["ci_low"]) else ""
    return f"slope {fit['slope']:+.2f}{interval}"


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
    slopes = {(m, s): slope_text(g) for (m, s), g in every_draw.groupby(["measure", "setting"])}
    df = every_draw[every_draw["draw"] == 1].copy()
    curve = ["measure", "setting", "seed"]
    first = df.loc[df.groupby(curve)["n"].idxmin()].set_index(curve)["value"].rename("first")
    df = df.join(first, on=curve).assign(relative=lambda d: d["value"] / d["first"])
    def absolute(m):
        g = df[df["measure"] == m].groupby("n")["value"].mean()
        return f"{number(g.iloc[0])} → {number(g.iloc[-1])}"
    titles = {m: textwrap.fill(label(m), 24) + ("" if several else f"\n{absolute(m)}\n{slopes[m, settings[0]]}")
              for m in shown}
    df["quantity"] = df["measure"].map(titles)
    colors = dict(zip(settings, sns.color_palette("tab10", len(settings))))
    cols = min(len(shown), 4)
    g = sns.relplot(data=df, x="n", y="relative", col="quantity", col_order=[titles[m] for m in shown],
                    col_wrap=cols if len(shown) > cols else None, hue="setting" if several else None,
                    hue_order=settings if several else None, palette=colors if several else None, kind="line",
                    marker="o", errorbar=_errorbar(df), facet_kws={"sharey": True}, height=2.6,
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
        _legend_outside(g)
    variant = _variant(summary)
    note = f"\nnot drawn (no finite value): {', '.join(label(m) for m in missing)}" if missing else ""
    _title(g.figure, f"{title}{' — ' + variant if variant else ''}{note}", df)
    tidy_log_axes(g.figure)
    return g.figure


FOREST_ORDER = ("test_error", "dist_init", "dist_s2", "spectral_product", "frobenius_product")


@figure("bounds_vs_n")
def bounds_vs_n(summary: pd.DataFrame, history: pd.DataFrame):
    """Does each quantity grow with n? The log-log slope against n of the test error, the
    distances and norms, each bound and each bound's numerator, a point with its 95 % interval over
    seeds (``gengap.report.slopes``), one panel per dataset, model and setting (Nagarajan & Kolter
    Fig. 1). Expected: the test error falls (slope < 0) while the bounds grow (slope > 0); a bound's
    numerator must grow faster than sqrt(n) (slope 0.5, dotted) for the bound to grow. A bound
    above 1 at every n (vacuous) is marked."""
    from gengap.report.slopes import slopes as fit_slopes

    quantities = [m for m in FOREST_ORDER if m in set(summary["measure"])]
    quantities += with_numerators(BOUND_MEASURES[1:], summary["measure"].unique())
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
    kinds = {q: ("test error" if q == "test_error" else "numerator" if q.endswith("_numerator")
                 else "bound" if q in BOUND_MEASURES else "norm or distance") for q in shown}
    colors = {"test error": "black", "norm or distance": "tab:green", "bound": "tab:red", "numerator": "tab:orange"}
    error_bounds = set(BOUND_MEASURES) - NOT_ERROR_BOUNDS
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
            if q in error_bounds and len(values) and (values > 1).all():
                ax.text(high, y[q], "  > 1", fontsize=6, color="firebrick", va="center")
        ax.axvline(0, color="black", lw=0.8)
        ax.axvline(0.5, color="grey", lw=0.8, ls=":")
        seeds = int(mine["seeds"].max()) if "seeds" in mine else 1
        ns = sorted(cells["n"].unique())
        ax.set_title(f"{setting}\nn = {ns[0]}..{ns[-1]}, {seeds} seed{'s' if seeds != 1 else ''}" if setting
                     else f"n = {ns[0]}..{ns[-1]}, {seeds} seed{'s' if seeds != 1 else ''}", fontsize=7.5)
        ax.set_xlabel("slope of log(value) against log(n)\n← falls with n | grows with n →", fontsize=7.5)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(settings):]:
        ax.set_visible(False)
    axes[0][0].set_yticks([y[q] for q in shown], [label(q) for q in shown], fontsize=7)
    axes[0][0].set_ylim(-0.7, len(shown) - 0.3)
    handles = [plt.Line2D([], [], marker="o", ls="none", color=c, label=k) for k, c in colors.items()
               if k in kinds.values()]
    handles.append(plt.Line2D([], [], color="grey", ls=":", label="slope 0.5 (sqrt n)"))
    _title(fig, "does each quantity grow with n? (95 % intervals over seeds; '> 1': a vacuous bound)", summary)
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
    error on S′ stays near 1, so any two-sided uniform-convergence bound is near 1."""
    df = summary[summary["measure"].isin(["test_error", "sprime_error", "uc_lower_bound"])
                 & (summary["draw"] == 1)].copy()
    df["quantity"] = df["measure"].map(label)
    df["panel"] = panels(df, ("dataset", "model"))
    g = sns.relplot(data=df, x="n", y="value", hue="quantity", style="quantity", col="panel", kind="line",
                    markers=True, dashes=False, errorbar=_errorbar(df), **_size(df["panel"].nunique(), height=3.2))
    g.set(xscale="log", ylim=(-0.02, 1.05))
    g.set_axis_labels("training set size n", "error / bound")
    g.set_titles("{col_name}")
    _legend_outside(g)
    _title(g.figure, "two concentric spheres: S′ = training points moved to the other sphere, labels flipped", df)
    return g.figure


# --- theory suites -----------------------------------------------------------------------------

@figure("expressivity")
def expressivity(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Worst interpolation residual, the largest abs(c(z_i) − y_i), against n (left: the network evaluated in
    float64 and float32, and its float64 weights evaluated exactly; above the dotted line at 0.5 a
    class label is off) and the network's non-zero weights against 2n + d (right) (Zhang et al.
    Theorem 1). Expected: exact interpolation with exactly 2n + d weights at depth 1."""
    kinds = [c for c in ("residual_float64", "residual_float32", "residual_exact") if c in summary]
    res = summary.melt(id_vars=["dataset", "labels", "n", "depth", "seed"],
                       value_vars=kinds, var_name="precision", value_name="residual")
    res["arithmetic"] = res["precision"].map(label)
    res["construction"] = "depth " + res["depth"].astype(str)
    res = res.groupby(["n", "arithmetic", "construction"], as_index=False)["residual"].max()  # worst over data, labels
    res["residual"] = res["residual"].clip(lower=1e-17)  # an exact 0 on a log axis
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH - 0.4, 3.6))
    sns.lineplot(data=res, x="n", y="residual", hue="arithmetic", style="construction", markers=True, ax=axes[0],
                 errorbar=None)
    axes[0].axhline(0.5, color="grey", lw=0.8, ls=":")
    axes[0].set(xscale="log", yscale="log", title="worst |c(z_i) − y_i| over datasets and labels",
                xlabel="points n", ylabel="residual")
    size = summary.drop_duplicates(["n", "depth", "d"]).copy()
    size["construction"] = "depth " + size["depth"].astype(str)
    # depth 1 is dense (every one of its 2n + d weights is used); depth k counts non-zero weights
    weights = size["nonzero_weights"] if "nonzero_weights" in size else pd.Series(float("nan"), index=size.index)
    size["weights"] = weights.fillna(size["params"])
    sns.lineplot(data=size.drop_duplicates("n"), x="n", y="params_2n_plus_d", color="black", lw=3, alpha=0.25,
                 label="2n + d", ax=axes[1], errorbar=None)
    sns.lineplot(data=size, x="n", y="weights", hue="construction", style="construction", markers=True, ax=axes[1],
                 errorbar=None)
    axes[1].set(xscale="log", yscale="log", title="non-zero weights of the network", xlabel="points n",
                ylabel="weights")
    _title(fig, "Theorem 1: a 2n + d weight ReLU network fits any labels", summary)
    _layout_with_legends_below(fig, axes)
    return fig


@figure("kernel")
def kernel(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Test error and RKHS norm of minimum-norm interpolation against n per kernel, and how close
    SGD from zero lands to the minimum-norm solution (Zhang et al. section 5). Expected: zero
    training error, a test error that falls with n (1.2 % on MNIST at n = 60,000 for the RBF
    kernel), SGD meeting the minimum-norm solution."""
    df = summary[summary["kind"] == "kernel"].copy()
    df["kernel function"] = df["kernel"].map(label)
    df["data"] = df["dataset"]
    sgd = summary[summary["kind"] == "min_norm_sgd"]
    fig, axes = plt.subplots(1, 3 if len(sgd) else 2, figsize=(WIDTH - 0.4, 3.2))
    sns.lineplot(data=df, x="n", y="test_error", hue="kernel function", style="data", markers=True, ax=axes[0],
                 errorbar=_errorbar(df))
    axes[0].set(xscale="log", title="test error (training error 0)", xlabel="training set size n", ylabel="test error")
    if "mnist" in set(df["dataset"]):
        axes[0].plot([60_000], [0.012], marker="*", ms=10, color="black", ls="none", label="paper: 1.2 %, MNIST, n = 60,000")
        axes[0].legend(*axes[0].get_legend_handles_labels())
    sns.lineplot(data=df, x="n", y="rkhs_norm", hue="kernel function", style="data", markers=True, ax=axes[1],
                 errorbar=_errorbar(df), legend=False)
    axes[1].set(xscale="log", yscale="log", title="RKHS norm √(αᵀKα)", xlabel="training set size n", ylabel="")
    if len(sgd):
        sns.lineplot(data=sgd, x="n", y="relative_distance", marker="o", ax=axes[2], errorbar=None)
        axes[2].set(yscale="log", title="SGD from 0 vs min-norm", xlabel="points n (d > n)",
                    ylabel="‖w_SGD − w_min‖ / ‖w_min‖")
    _title(fig, "minimum-norm kernel interpolation", df)
    _layout_with_legends_below(fig, axes[:1])
    return fig


# --- randomization: time to fit, Rademacher complexity ------------------------------------------

@figure("time_to_fit")
def time_to_fit(summary: pd.DataFrame, history: pd.DataFrame):
    """Steps until training accuracy first reaches the suite's fit_accuracy, relative to true
    labels, for every corruption, one point per seed, one panel per dataset and regularization
    setting (Zhang et al. Fig. 1b). Expected: random labels take a small constant factor longer
    than true labels; the factor grows with the noise."""
    df = summary[(summary["measure"] == "train_error") & (summary["draw"] == 1)].copy()
    df = df[df["corruption"] != "true"]
    order = [c for c in ("labels@0.2", "labels@0.4", "labels@0.6", "labels@0.8", "random_labels",
                         "shuffled_pixels", "random_pixels", "gaussian", "rademacher") if c in set(df["corruption"])]
    order += sorted(set(df["corruption"]) - set(order))
    df["panel"] = panels(df, ("dataset", "reg"))
    dodge = 0.3 if df["model"].nunique() > 1 else False  # seaborn divides the dodge by (models - 1)
    g = sns.catplot(data=df, x="corruption", y="relative_time_to_fit", order=order, hue="model", col="panel",
                    kind="point", dodge=dodge, linestyle="none", errorbar=_errorbar(df),
                    **_size(df["panel"].nunique(), height=3.2))  # corruptions are categories: no line joins them
    for ax in g.axes.flat:
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        ax.tick_params(axis="x", rotation=45)
    g.set_axis_labels("", label("relative_time_to_fit"))
    g.set_titles("{col_name}")
    _legend_outside(g)
    accuracy = summary["fit_accuracy"].dropna().iloc[0] if "fit_accuracy" in summary and summary["fit_accuracy"].notna().any() else 1.0
    _title(g.figure, f"time to fit: steps to {accuracy * 100:g} % training accuracy, relative to true labels", df)
    return g.figure


@figure("rademacher")
def rademacher(summary: pd.DataFrame, history: pd.DataFrame):
    """Empirical Rademacher complexity, the classical bound and the measured test error against n
    (Zhang et al. section 2.3). Expected: R̂ ≈ 1 (the networks fit random ±1 labels), so the
    bound is vacuous (above the dotted line at 1) while the test error is small."""
    t = rademacher_table(summary)
    long = t.melt(id_vars=["dataset", "model", "reg", "n"], value_vars=["rademacher", "bound", "test_error"],
                  var_name="quantity", value_name="value")
    long["quantity"] = long["quantity"].map({"rademacher": "Rademacher complexity R̂", "bound": "bound",
                                             "test_error": "test error"})
    long = long.rename(columns={"model": "network", "quantity": "what"})
    g = sns.relplot(data=long, x="n", y="value", hue="network", style="what", col="dataset", kind="line",
                    markers=True, **_size(long["dataset"].nunique(), height=3.2))
    for ax in g.axes.flat:
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")  # above: vacuous
    g.set(xscale="log")
    g.set_axis_labels("training set size n", "R̂, bound, test error")
    g.set_titles("{col_name}")
    _legend_outside(g)
    _title(g.figure, "Rademacher complexity of the trained networks", summary)
    return g.figure


# --- which measure predicts generalization --------------------------------------------------------

@figure("batch_map")
def batch_map(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Nagarajan & Kolter's claim against the batch size: the log-log slope against n (over seeds,
    95 % interval) of each bound and its numerator (left), and of the distance from initialization
    and the test error (right), at every batch size the suite trained, on the n they share. A bound
    grows with n where its slope is above 0 (the dashed line); the paper's "bounds grow with n"."""
    from gengap.report.tables import batch_map as batch_map_table

    table = batch_map_table(summary)
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
    _title(fig, f"slopes against n by batch size (n = {table['n'].iloc[0]}; 95 % intervals over seeds)", summary)
    fig.tight_layout()
    crossings = table.drop_duplicates("measure")
    notes = [f"{label(r.measure)}: slope changes sign between batch {r.crossing}" for r in crossings.itertuples()
             if r.crossing]
    add_notes(fig, notes)
    return fig


@figure("measure_ranking")
def measure_ranking(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Which measure tracks the generalization gap: one row per measure, best first, each score a
    point with its 95 % bootstrap interval. Left: the granulated Kendall Psi over the hyperparameters
    (Jiang et al. 2020; 1 = it orders every group of cells as their gaps). Middle: Kendall's tau over
    all pairs of cells. Right: the Hoeffding-weighted sign error over environments, pairs of cells
    that differ in one setting (Dziugaite et al. 2020; 0 = never wrong), its 90th percentile (|) and
    maximum (x). Margins are scored as 1/margin^2. Measures without a value are listed under it."""
    ranking = rank_measures(summary)
    if ranking.empty:
        raise ValueError("no measure has values on two or more fitted cells of this suite")
    ranking = ranking[ranking["Psi"].notna() | ranking["tau"].notna()]
    order = list(ranking["measure"])[::-1]  # best at the top
    y = np.arange(len(order))
    fig, axes = plt.subplots(1, 3, figsize=(WIDTH, min(5.6, 0.15 * len(order) + 1.6)), sharey=True)
    top = ranking.iloc[0]
    separated = set(filter(None, str(top["separated_from"]).split(", ")))
    rows = ranking.set_index("measure").loc[order]
    for ax, (col, xlabel, lim) in zip(axes, (("Psi", "Ψ over the hyperparameters\nbetter →", (-1, 1)),
                                            ("tau", "Kendall τ over all pairs\nbetter →", (-1, 1)),
                                            ("sign_error_mean", "weighted sign error\n← better", (0, 1)))):
        value, low, high = rows[col], rows[f"{col}_low"], rows[f"{col}_high"]
        colors = ["tab:blue" if m == top["measure"] or (col == "Psi" and m not in separated) else "grey"
                  for m in order] if col == "Psi" else ["tab:blue"] * len(order)
        ax.errorbar(value, y, xerr=[value - low, high - value], fmt="none", ecolor="lightgrey", elinewidth=2.5)
        ax.scatter(value, y, c=colors, s=14, zorder=3)
        if col == "sign_error_mean":
            ax.scatter(rows["sign_error_p90"], y, marker="|", color="black", s=25, zorder=3, label="90th percentile")
            ax.scatter(rows["sign_error_max"], y, marker="x", color="firebrick", s=12, zorder=3, label="maximum")
            ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=6, frameon=False)
        ax.axvline(lim[0] if col == "sign_error_mean" else 0, color="black", lw=0.6)
        ax.set(xlim=(lim[0] - 0.05, lim[1] + 0.05), xlabel=xlabel)
        ax.tick_params(labelsize=7)
    axes[0].set_yticks(y, order, fontsize=7)
    cells = int(ranking["cells"].max())
    missing = sorted(set(m for m in summary["measure"].unique()) - {m.removeprefix("1/").removesuffix("^2")
                                                                   for m in ranking["measure"]}
                     - {"gap", "train_error", "test_error"})
    missing = [m for m in missing if not m.endswith(("_sigma", "_points"))]
    _title(fig, f"which measure tracks the generalization gap ({cells} cells; varied: {top['varied']})", summary)
    notes = [f"blue in Ψ: {top['measure']} and the measures its Ψ is not separated from (the interval of the "
             "difference holds 0); grey: separated"]
    if missing:
        notes += textwrap.wrap("no value on two or more fitted cells (not finite, or not computed): "
                               + ", ".join(missing), 140)
    fig.tight_layout()
    add_notes(fig, notes)
    return fig


