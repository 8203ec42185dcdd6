"""Seaborn figures from a suite's summary tables; each figure is one registered function.

A figure function takes (summary, history) DataFrames and returns a matplotlib Figure; the
pipeline saves it as PNG and PDF under ``results/figures/<suite>/<name>.{png,pdf}``.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from gengap.atomic import atomic_path  # noqa: E402
from gengap.registry import Registry  # noqa: E402

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


def save_figure(fig, png_path: str | os.PathLike, pdf_path: str | os.PathLike) -> None:
    for path in (png_path, pdf_path):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:], dpi=150, bbox_inches="tight")
    plt.close(fig)


def draw_figure(name: str, summary_path: str, history_path: str, png_path: str, pdf_path: str) -> None:
    """Draw the registered figure ``name`` from a suite's summary tables into PNG and PDF."""
    sns.set_theme(style="whitegrid", context="paper")
    fig = FIGURES[name](pd.read_parquet(summary_path), pd.read_parquet(history_path))
    save_figure(fig, png_path, pdf_path)
