"""The theory suites' figures: Theorem 1's interpolating network and minimum-norm kernel interpolation."""

from __future__ import annotations

import pandas as pd

from gengap.report.figures.layout import WIDTH, layout_with_legends_below, plt, seed_errorbar, sns, suptitle
from gengap.report.figures.registry import figure
from gengap.report.reading import labeller


@figure("expressivity")
def expressivity(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Worst interpolation residual, the largest abs(c(z_i) − y_i), against n (left: the network evaluated in
    float64 and float32, and its float64 weights evaluated exactly; above the dotted line at 0.5 a
    class label is off) and the network's non-zero weights against 2n + d (right) (Zhang et al.
    Theorem 1). Expected: exact interpolation with exactly 2n + d weights at depth 1."""
    kinds = [c for c in ("residual_float64", "residual_float32", "residual_exact") if c in summary]
    res = summary.melt(id_vars=["dataset", "labels", "n", "depth", "seed"],
                       value_vars=kinds, var_name="precision", value_name="residual")
    res["arithmetic"] = res["precision"].map(labeller())
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
    suptitle(fig, "Theorem 1: a 2n + d weight ReLU network fits any labels", summary)
    layout_with_legends_below(fig, axes)
    return fig


@figure("kernel")
def kernel(summary: pd.DataFrame, history: pd.DataFrame | None):
    """Test error and RKHS norm of minimum-norm interpolation against n per kernel, and how close
    SGD from zero lands to the minimum-norm solution (Zhang et al. section 5). Expected: zero
    training error, a test error that falls with n (1.2 % on MNIST at n = 60,000 for the RBF
    kernel), SGD meeting the minimum-norm solution."""
    df = summary[summary["kind"] == "kernel"].copy()
    df["kernel function"] = df["kernel"].map(labeller())
    df["data"] = df["dataset"]
    sgd = summary[summary["kind"] == "min_norm_sgd"]
    fig, axes = plt.subplots(1, 3 if len(sgd) else 2, figsize=(WIDTH - 0.4, 3.2))
    sns.lineplot(data=df, x="n", y="test_error", hue="kernel function", style="data", markers=True, ax=axes[0],
                 errorbar=seed_errorbar(df))
    axes[0].set(xscale="log", title="test error (training error 0)", xlabel="training set size n", ylabel="test error")
    if "mnist" in set(df["dataset"]):
        axes[0].plot([60_000], [0.012], marker="*", ms=10, color="black", ls="none", label="paper: 1.2 %, MNIST, n = 60,000")
        axes[0].legend(*axes[0].get_legend_handles_labels())
    sns.lineplot(data=df, x="n", y="rkhs_norm", hue="kernel function", style="data", markers=True, ax=axes[1],
                 errorbar=seed_errorbar(df), legend=False)
    axes[1].set(xscale="log", yscale="log", title="RKHS norm √(αᵀKα)", xlabel="training set size n", ylabel="")
    if len(sgd):
        sns.lineplot(data=sgd, x="n", y="relative_distance", marker="o", ax=axes[2], errorbar=None)
        axes[2].set(yscale="log", title="SGD from 0 vs min-norm", xlabel="points n (d > n)",
                    ylabel="‖w_SGD − w_min‖ / ‖w_min‖")
    suptitle(fig, "minimum-norm kernel interpolation", df)
    layout_with_legends_below(fig, axes[:1])
    return fig
