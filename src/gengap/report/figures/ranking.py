"""Which measure tracks the generalization gap (Jiang et al., Dziugaite et al.)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from gengap.report.figures.layout import WIDTH, add_notes, plt, suptitle
from gengap.report.figures.registry import figure
from gengap.report.ranking import rank_measures


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
    ranking_all, ranking = ranking, ranking[ranking["Psi"].notna() | ranking["tau"].notna()]
    order = list(ranking["measure"])[::-1]  # best at the top
    y = np.arange(len(order))
    fig, axes = plt.subplots(1, 3, figsize=(WIDTH, min(5.6, 0.15 * len(order) + 1.6)), sharey=True)
    top = ranking.iloc[0]
    separated = set(filter(None, str(top["separated_from"]).split(", ")))
    rows = ranking.set_index("measure").loc[order]
    for ax, (col, xlabel, lim) in zip(axes, (("Psi", "Ψ over the hyperparameters\nbetter →", (-1, 1)),
                                            ("tau", "Kendall τ over all pairs\nbetter →", (-1, 1)),
                                            ("sign_error_mean", "weighted sign error: mean (•)\n← better", (0, 1)))):
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
    missing = ranking_all[ranking_all["Psi"].isna() & ranking_all["tau"].isna()]
    notes = [f"blue in Ψ: {top['measure']} and the measures its Ψ is not separated from (the interval of the "
             "difference holds 0); grey: separated"]
    if len(missing):  # a row without scores always says why (rank_measures' no_value)
        notes += textwrap.wrap("no score (a value on fewer than two fitted cells): " + "; ".join(
            f"{m} ({w})" for m, w in zip(missing["measure"], missing["no_value"])), 140)
    fig.tight_layout()
    suptitle(fig, f"which measure tracks the generalization gap ({cells} cells; varied: {top['varied']})", summary)
    add_notes(fig, notes)
    return fig
