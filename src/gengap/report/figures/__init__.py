"""Seaborn figures from a suite's summary tables; each figure is one registered function.

A figure function takes (summary, history) DataFrames and returns a matplotlib Figure; the
pipeline saves it as PNG and PDF under ``results/figures/<suite>/<name>.{png,pdf}``
(``draw.draw_figure``). One module per family of figures; ``layout`` holds what they share.
Adding a figure is one registered function in a module of this package and its name in a suite's
``figures``.
"""

from gengap.registry import import_members
from gengap.report.figures.draw import draw_figure, save_figure, verdict_line, without_diverged
from gengap.report.figures.layout import DPI, WIDTH, add_notes, panels, plt, sns, tidy_log_axes
from gengap.report.figures.registry import FIGURES, figure

import_members(__name__, __path__, skip=("draw", "layout", "registry"))

__all__ = ["DPI", "FIGURES", "WIDTH", "add_notes", "draw_figure", "figure", "panels", "plt", "save_figure", "sns",
           "tidy_log_axes", "verdict_line", "without_diverged"]
