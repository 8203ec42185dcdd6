"""What every figure shares: matplotlib and seaborn imported on first use, the report's width,
titles, legends, notes under the axes and readable log axes."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pandas as pd

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

# Every figure fits the report's width: at most WIDTH inches at the saved DPI (1,350 pixels).
DPI, WIDTH = 150, 9.0
def seed_errorbar(df: pd.DataFrame):
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


def suptitle(fig, text: str, df: pd.DataFrame | None = None) -> None:
    """The figure's title, and on a line of its own the data it was measured on."""
    scale = f"\n{scale_text(df)}" if df is not None and len(df) else ""
    fig.suptitle(text + scale, y=1.06, fontsize=9)


def legend_below(g) -> None:
    """Seaborn's figure legend beside the panels (where relplot puts it), text small enough to
    keep the figure within WIDTH."""
    if getattr(g, "legend", None) is not None:
        for text in g.legend.get_texts():
            text.set_fontsize(7)


def layout_with_legends_below(fig, axes) -> None:
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


def grid_size(columns: int, rows: int = 1, height: float = 3.0) -> dict:
    """relplot sizes that keep the figure within WIDTH inches (legend included)."""
    aspect = min(1.3, (WIDTH - 2.2) / max(columns, 1) / height)
    return {"height": height, "aspect": aspect}


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
