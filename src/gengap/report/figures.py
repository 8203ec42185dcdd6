"""Seaborn figures from a suite's summary tables; each figure is one registered function.

A figure function takes (summary, history) DataFrames and returns a matplotlib Figure; the
pipeline saves it as PNG and PDF under ``results/figures/<suite>/<name>.{png,pdf}``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from gengap.atomic import atomic_path, read_parquet
from gengap.registry import Registry
from gengap.report.slopes import fit_slope
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


def _errorbar(df: pd.DataFrame):
    """Standard deviation over seeds where there are several, none otherwise."""
    return ("sd", 1) if df["seed"].nunique() > 1 else None


@figure("label_noise")
def label_noise(summary: pd.DataFrame, history: pd.DataFrame):
    """Test error and training accuracy against label-corruption level p (Zhang et al. Fig. 1c)."""
    df = summary[summary["label_noise"].notna() & summary["measure"].isin(["test_error", "train_error"])].copy()
    if df.empty:
        raise ValueError("no label-corruption cells (true, labels@p, random_labels) in this suite")
    train = df["measure"] == "train_error"
    df.loc[train, "value"] = 1 - df.loc[train, "value"]
    df["quantity"] = df["measure"].map({"test_error": "test error", "train_error": "training accuracy"})
    g = sns.relplot(data=df, x="label_noise", y="value", hue="model", style="quantity", col="dataset",
                    kind="line", markers=True, errorbar=_errorbar(df), height=3.5, aspect=1.2,
                    facet_kws={"sharey": True})
    for ax in g.axes.flat:
        ax.axhline(0.9, color="grey", lw=0.8, ls=":")  # chance error on 10 classes
    g.set_axis_labels("label corruption p", "error / accuracy")
    return g.figure


@figure("loss_curves")
def loss_curves(summary: pd.DataFrame, history: pd.DataFrame):
    """Training loss against optimizer steps, one line per corruption (Zhang et al. Fig. 1a)."""
    g = sns.relplot(data=history, x="step", y="train_loss", hue="corruption", col="model",
                    row="dataset", kind="line", errorbar=_errorbar(history), height=3.2, aspect=1.3)
    g.set(yscale="log")
    g.set_axis_labels("optimizer steps", "average training loss")
    return g.figure


def tidy_log_axes(fig) -> None:
    """Readable log axes. matplotlib labels minor ticks on short ranges, and they overlap
    ("3x10^2 4x10^2"). Here: no minor labels; an x axis with a few distinct data values (the
    grid's n) is ticked at exactly those values; otherwise 1, 2, 5 x 10^k on short ranges."""
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
                axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0) if high < 1e3 * max(low, 1e-300) else (1.0,)))
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(ticker.NullFormatter())


def save_figure(fig, png_path: str | os.PathLike, pdf_path: str | os.PathLike) -> None:
    tidy_log_axes(fig)
    for path in (png_path, pdf_path):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:], dpi=150, bbox_inches="tight")
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


def draw_figure(name: str, summary_path: str, history_path: str | None, png_path: str, pdf_path: str) -> None:
    """Draw the registered figure ``name`` from a suite's summary tables into PNG and PDF.
    Diverged training cells are left out, and a note under the figure names them."""
    sns.set_theme(style="whitegrid", context="paper")
    history = read_parquet(history_path) if history_path else None
    summary, history, note = without_diverged(read_parquet(summary_path), history)
    fig = FIGURES[name](summary, history)
    if note:
        fig.text(0.01, -0.02, note, fontsize=8, color="firebrick", ha="left", va="top")
    save_figure(fig, png_path, pdf_path)


# --- bounds against n (Nagarajan & Kolter) ----------------------------------------------------

BOUND_MEASURES = ["test_error", "vc", "frobenius_bound", "bartlett17", "bartlett17_nk", "neyshabur18",
                  "neyshabur18_init", "neyshabur19", "neyshabur19_nk", "path_norm_bound", "pacbayes_init", "pacbayes_mag_flatness"]


def _against_n(summary: pd.DataFrame, measures: list[str], ylabel: str, title: str):
    """Log-log lines of ``measures`` against n, the pooled fitted slope of each in the legend."""
    df = summary[summary["measure"].isin(measures) & (summary["draw"] == 1)].copy()
    df = df[np.isfinite(df["value"]) & (df["value"] > 0)]  # log axes; vacuous (inf) VC values drop out
    if df.empty:
        raise ValueError(f"none of {measures} has finite positive values in this suite's summary")
    labels = {m: f"{m} (slope {fit_slope(g['n'], g['value'])['slope']:+.2f})"
              for m, g in df.groupby("measure")}
    df["curve"] = df["measure"].map(labels)
    order = [labels[m] for m in measures if m in labels]
    g = sns.relplot(data=df, x="n", y="value", hue="curve", hue_order=order, col="model", kind="line",
                    marker="o", errorbar=_errorbar(df), height=4, aspect=1.3)
    g.set(xscale="log", yscale="log")
    g.set_axis_labels("training set size n", ylabel)
    g.figure.suptitle(title, y=1.03)
    g.legend.set_title("measure (fitted log-log slope)")
    return g.figure


@figure("bounds_vs_n")
def bounds_vs_n(summary: pd.DataFrame, history: pd.DataFrame):
    """Each bound and the test error against n (log-log), slopes in the legend."""
    return _against_n(summary, BOUND_MEASURES, "value on the error (>1 is vacuous)",
                      "generalization bounds and test error against n")


@figure("distances_vs_n")
def distances_vs_n(summary: pd.DataFrame, history: pd.DataFrame):
    """Distance from initialization and between the weights trained on S1 and S2, against n."""
    return _against_n(summary, ["dist_init", "dist_s2"], "Frobenius distance",
                      "distance from initialization / between S1 and S2 weights")


@figure("hypersphere")
def hypersphere(summary: pd.DataFrame, history: pd.DataFrame):
    """Test error, error on S' and the uniform-convergence lower bound against n."""
    df = summary[summary["measure"].isin(["test_error", "sprime_error", "uc_lower_bound"])
                 & (summary["draw"] == 1)].copy()
    g = sns.relplot(data=df, x="n", y="value", hue="measure", style="model", col="dataset", kind="line",
                    marker="o", errorbar=_errorbar(df), height=3.5, aspect=1.3)
    g.set(xscale="log", ylim=(-0.02, 1.02))
    g.set_axis_labels("training set size n", "error / bound")
    return g.figure


# --- theory suites -----------------------------------------------------------------------------

@figure("expressivity")
def expressivity(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Worst interpolation residual (the network evaluated in float64 and float32, and exactly on its
    float64 weights) and non-zero weights against n (the claim is about weights that are not zero:
    the depth-k net is sparse), legends beside the panels."""
    kinds = [c for c in ("residual_float64", "residual_float32", "residual_exact") if c in summary]
    res = summary.melt(id_vars=["dataset", "labels", "n", "depth", "seed"],
                       value_vars=kinds, var_name="precision", value_name="residual")
    res["precision"] = res["precision"].str.replace("residual_", "")
    res["construction"] = res["labels"] + ", depth " + res["depth"].astype(str)
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))
    sns.lineplot(data=res, x="n", y="residual", hue="construction", style="precision", markers=True, ax=axes[0],
                 errorbar=None)
    axes[0].set(xscale="log", yscale="log", title="worst |c(z_i) - y_i|")
    size = summary.drop_duplicates(["n", "depth", "d"]).copy()
    size["construction"] = "depth " + size["depth"].astype(str)
    # depth 1 is dense (every one of its 2n + d weights is used); depth k counts non-zero weights
    weights = size["nonzero_weights"] if "nonzero_weights" in size else pd.Series(float("nan"), index=size.index)
    size["weights"] = weights.fillna(size["params"])
    sns.lineplot(data=size, x="n", y="weights", hue="construction", marker="o", ax=axes[1], errorbar=None)
    sns.lineplot(data=size.drop_duplicates("n"), x="n", y="params_2n_plus_d", color="black", ls=":",
                 label="2n + d", ax=axes[1], errorbar=None)
    axes[1].set(xscale="log", yscale="log", title="non-zero weights of the network", ylabel="weights")
    for ax in axes:
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


@figure("kernel")
def kernel(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Test error and RKHS norm of minimum-norm interpolation against n, per kernel."""
    df = summary[summary["kind"] == "kernel"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    sns.lineplot(data=df, x="n", y="test_error", hue="kernel", style="dataset", marker="o", ax=axes[0],
                 errorbar=_errorbar(df))
    axes[0].axhline(0.9, color="grey", lw=0.8, ls=":")
    axes[0].set(xscale="log", title="test error (training error is 0)")
    sns.lineplot(data=df, x="n", y="rkhs_norm", hue="kernel", style="dataset", marker="o", ax=axes[1],
                 errorbar=_errorbar(df))
    axes[1].set(xscale="log", yscale="log", title="RKHS norm sqrt(tr(a^T K a))")
    fig.tight_layout()
    return fig


# --- randomization: time to fit, Rademacher complexity ------------------------------------------

@figure("time_to_fit")
def time_to_fit(summary: pd.DataFrame, history: pd.DataFrame):
    """Steps to fit relative to true labels against label noise p, per model (Zhang et al. Fig. 1b)."""
    df = summary[(summary["measure"] == "train_error") & summary["label_noise"].notna()]
    g = sns.relplot(data=df, x="label_noise", y="relative_time_to_fit", hue="model", col="dataset",
                    kind="line", marker="o", errorbar=_errorbar(df), height=3.5, aspect=1.2)
    g.set_axis_labels("label corruption p", "time to fit / time to fit true labels")
    return g.figure


@figure("rademacher")
def rademacher(summary: pd.DataFrame, history: pd.DataFrame):
    """Empirical Rademacher complexity, the classical bound and the measured test error against n."""
    t = rademacher_table(summary)
    long = t.melt(id_vars=["dataset", "model", "reg", "n"], value_vars=["rademacher", "bound", "test_error"],
                  var_name="quantity", value_name="value")
    g = sns.relplot(data=long, x="n", y="value", hue="model", style="quantity", col="dataset", kind="line",
                    markers=True, height=3.5, aspect=1.3)
    for ax in g.axes.flat:
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")  # above: vacuous
    g.set(xscale="log")
    g.set_axis_labels("training set size n", "R, bound, test error")
    return g.figure
