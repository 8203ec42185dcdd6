"""The ``expressivity`` kind: Zhang et al.'s Theorem 1 construction (2n + d weights) and its
depth-k variant on a dataset's n points, true and random labels; computed by
``gengap.theory.expressivity``."""

from __future__ import annotations

import pandas as pd

from gengap.report.format import number
from gengap.suites.kinds import ComputedKind, register_kind


class ExpressivityKind(ComputedKind):
    """Theorem 1 cells per dataset, labelling, n, seed and depth."""

    def cells(self, suite: str, s: dict) -> dict[str, dict]:
        """datasets x labellings x n x seeds x depths."""
        return {f"{d}/{labels}/n{n}/seed{seed}/depth{k}": dict(kind="expressivity", dataset=d, labels=labels, n=n,
                                                              seed=seed, depth=k)
                for d in s["datasets"] for labels in s["labels"] for n in s["n"] for seed in s["seeds"]
                for k in s["depths"]}

    def describe(self, summary: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
        """Cells with exactly 2n + d weights, and the worst residuals per n and arithmetic."""
        depth1 = summary[summary["depth"] == 1]
        exact = int((depth1["params"] == depth1["params_2n_plus_d"]).sum())
        worst = summary.groupby("n")[["residual_float64", "residual_float32"]].max()
        return (f"params = 2n + d in {exact} of {len(depth1)} depth-1 cells; worst residual in float64 "
                + ", ".join(f"{number(r)} (n = {n})" for n, r in worst["residual_float64"].items())
                + "; in float32 up to " + number(worst["residual_float32"].max())
                + ("; its float64 weights evaluated exactly: up to " + number(summary["residual_exact"].max())
                   if "residual_exact" in summary else ""))


register_kind(ExpressivityKind("expressivity", default_figures=("expressivity",)))
