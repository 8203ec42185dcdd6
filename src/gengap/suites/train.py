"""The ``train`` kind: datasets x corruptions x n x seeds x draws x models x regularization
training cells, each trained by the train rule and measured by the measure rule."""

from __future__ import annotations

from gengap.cell import Cell
from gengap.suites.kinds import SuiteKind, register_kind


def training_cells(suite: str, s: dict) -> dict[str, Cell]:
    """Every cell of a training suite's grid. ``draw`` 2 is a second, independent training sample
    of the same size, trained from the same initialization (Nagarajan & Kolter's S2)."""
    cells = [Cell(suite, d, c, n, seed, draw, m, reg, s["sampling"]) for d in s["datasets"] for c in s["corruptions"]
             for n in s["n"] for seed in s["seeds"] for draw in range(1, s["draws"] + 1)
             for m in s["models"] for reg in s["regularization"]]
    return {c.path: c for c in cells}


register_kind(SuiteKind("train", training_cells, default_figures=("label_noise", "loss_curves"), trains=True))
