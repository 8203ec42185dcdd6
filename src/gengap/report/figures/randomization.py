"""Zhang et al.'s randomization figures: fitting label noise, loss curves, time to fit, and the
Rademacher complexity of the trained networks."""

from __future__ import annotations

import pandas as pd

from gengap.report.figures.layout import grid_size, legend_below, panels, seed_errorbar, sns, suptitle
from gengap.report.figures.registry import figure
from gengap.report.format import number
from gengap.report.reading import corruption_order, labeller
from gengap.report.tables import rademacher_complexity


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
                    style="model", kind="line", markers=True, dashes=False, errorbar=seed_errorbar(curves), row="quantity",
                    row_order=["test error", "training accuracy"], col="panel", facet_kws={"sharey": "row", "margin_titles": True}, **grid_size(cols, 2, 2.9))
    inputs = df[df["label_noise"].isna() & (df["corruption"] != "rademacher")]
    names = corruption_order(inputs["corruption"])
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
    legend_below(g)
    suptitle(g.figure, "fitting label noise: training accuracy and test error", df)
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
    order = corruption_order(h["corruption"])
    g = sns.relplot(data=h, x="step", y="train_loss", hue="corruption", hue_order=order, style="corruption",
                    style_order=order, col="panel", col_wrap=cols if h["panel"].nunique() > 1 else None,
                    kind="line", errorbar=seed_errorbar(h), palette="tab10", facet_kws={"sharex": False, "sharey": False},
                    **grid_size(cols, height=2.8))
    g.set(xscale="log", yscale="log")  # log steps: a fast curve (true labels) is not squeezed into the first pixels
    g.set_axis_labels("optimizer steps (log scale)", "average training loss")
    g.set_titles("{col_name}")
    legend_below(g)
    suptitle(g.figure, "training loss of every corruption", h)
    return g.figure


@figure("time_to_fit")
def time_to_fit(summary: pd.DataFrame, history: pd.DataFrame):
    """Steps until training accuracy first reaches the suite's fit_accuracy, relative to true
    labels, for every corruption, one point per seed, one panel per dataset and regularization
    setting (Zhang et al. Fig. 1b). Expected: random labels take a small constant factor longer
    than true labels; the factor grows with the noise."""
    df = summary[(summary["measure"] == "train_error") & (summary["draw"] == 1)].copy()
    df = df[df["corruption"] != "true"]
    order = corruption_order(df["corruption"])
    df["panel"] = panels(df, ("dataset", "reg"))
    dodge = 0.3 if df["model"].nunique() > 1 else False  # seaborn divides the dodge by (models - 1)
    g = sns.catplot(data=df, x="corruption", y="relative_time_to_fit", order=order, hue="model", col="panel",
                    kind="point", dodge=dodge, linestyle="none", errorbar=seed_errorbar(df),
                    **grid_size(df["panel"].nunique(), height=3.2))  # corruptions are categories: no line joins them
    for ax in g.axes.flat:
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        ax.tick_params(axis="x", rotation=45)
    g.set_axis_labels("", labeller()("relative_time_to_fit"))
    g.set_titles("{col_name}")
    legend_below(g)
    accuracy = summary["fit_accuracy"].dropna().iloc[0] if "fit_accuracy" in summary and summary["fit_accuracy"].notna().any() else 1.0
    suptitle(g.figure, f"time to fit: steps to {accuracy * 100:g} % training accuracy, relative to true labels", df)
    return g.figure


@figure("rademacher")
def rademacher(summary: pd.DataFrame, history: pd.DataFrame):
    """Empirical Rademacher complexity, the least any Rademacher bound can be (training error + R̂;
    the table ``rademacher`` adds the confidence term at the suite's delta) and the measured test
    error against n (Zhang et al. section 2.3). Expected: R̂ ≈ 1 (the networks fit random ±1
    labels), so every such bound is vacuous (above the dotted line at 1) while the test error is small."""
    t = rademacher_complexity(summary)
    t["floor"] = t["train_error"] + t["rademacher"]
    long = t.melt(id_vars=["dataset", "model", "reg", "n"], value_vars=["rademacher", "floor", "test_error"],
                  var_name="quantity", value_name="value")
    long["quantity"] = long["quantity"].map({"rademacher": "Rademacher complexity R̂",
                                             "floor": "train error + R̂ (every bound is above)",
                                             "test_error": "test error"})
    long = long.rename(columns={"model": "network", "quantity": "what"})
    g = sns.relplot(data=long, x="n", y="value", hue="network", style="what", col="dataset", kind="line",
                    markers=True, **grid_size(long["dataset"].nunique(), height=3.2))
    for ax in g.axes.flat:
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")  # above: vacuous
    g.set(xscale="log")
    g.set_axis_labels("training set size n", "R̂, train error + R̂, test error")
    g.set_titles("{col_name}")
    legend_below(g)
    suptitle(g.figure, "Rademacher complexity of the trained networks", summary)
    return g.figure
