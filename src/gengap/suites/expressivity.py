"""The ``expressivity`` kind: Zhang et al.'s Theorem 1 construction (2n + d weights) and its
depth-k variant on a dataset's n points, true and random labels; computed by
``gengap.theory.expressivity``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from gengap.report.format import number
from gengap.suites.kinds import ComputedCell, ComputedKind, register_kind

LABELS = ("true_labels", "random_labels")  # what an expressivity suite's `labels` may hold


@dataclass(frozen=True)
class ExpressivityCell(ComputedCell):
    """The construction on the first n points of a dataset, with its labels or random ones."""

    kind: ClassVar[str] = "expressivity"
    dataset: str
    labels: str
    n: int
    seed: int
    depth: int

    def __post_init__(self):
        if self.labels not in LABELS:
            raise ValueError(f"labels {self.labels!r}; allowed: {', '.join(LABELS)}")


class ExpressivityKind(ComputedKind):
    """Theorem 1 cells per dataset, labelling, n, seed and depth."""

    cell_types = (ExpressivityCell,)

    def cells(self, suite: str, s: dict) -> dict[str, ExpressivityCell]:
        """datasets x labellings x n x seeds x depths."""
        return {f"{d}/{labels}/n{n}/seed{seed}/depth{k}": ExpressivityCell(d, labels, n, seed, k)
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
