"""Drawing a registered figure into PNG and PDF: the suite's summary read, diverged cells left
out, the verdicts of the papers' claims about the suite written under it."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from gengap.atomic import atomic_path, read_parquet
from gengap.cell import Cell
from gengap.report.figures.layout import DPI, add_notes, plt, sns, tidy_log_axes
from gengap.report.figures.registry import FIGURES
from gengap.report.verdicts import claim_count, claims, verdict_counts


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
    keys = [k for k in Cell.names() if k in summary]
    bad = summary.loc[summary["status"] == "diverged", keys].drop_duplicates()
    shown = [k for k in keys if k != "suite"]  # the figure is of one suite
    names = ["/".join(str(v) for v in row) for row in bad[shown].itertuples(index=False)]
    if history is not None:
        history = history.merge(bad, on=keys, how="left", indicator=True)
        history = history[history.pop("_merge") == "left_only"]
    note = f"left out: {len(names)} diverged cell(s): " + ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
    return summary[summary["status"] != "diverged"], history, note


def verdict_line(verdicts: pd.DataFrame | None) -> str:
    """The verdicts of the papers' claims about a suite, as its ``verdicts`` job decided them
    (``gengap.report.paper.suite_verdicts``): ``paper vs gengap, 3 claims: 2 reproduced, 1 contradicted``."""
    if verdicts is None or verdicts.empty:
        return ""
    decided = claims(verdicts)
    return f"paper vs gengap, {claim_count(decided)}: " + verdict_counts(decided)


def draw_figure(name: str, summary_path: str, history_path: str | None, png_path: str, pdf_path: str,
                verdicts_path: str | None = None) -> None:
    """Draw the registered figure ``name`` from a suite's summary tables into PNG and PDF, with the
    verdicts of the papers' claims about the suite (its ``verdicts`` file) under it. Diverged
    training cells are left out, and a note under the figure names them."""
    sns.set_theme(style="whitegrid", context="paper")
    history = read_parquet(history_path) if history_path else None
    summary = read_parquet(summary_path)
    verdicts = verdict_line(read_parquet(verdicts_path) if verdicts_path else None)
    summary, history, note = without_diverged(summary, history)
    fig = FIGURES[name](summary, history)
    add_notes(fig, [t for t in (verdicts, note) if t])
    save_figure(fig, png_path, pdf_path)
