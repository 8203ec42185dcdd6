"""The ``kernel`` kind: minimum-norm interpolation K alpha = Y of a dataset's n points per kernel
(Zhang et al. section 5), and SGD from zero meeting the minimum-norm solution; computed by
``gengap.theory.kernel``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from gengap.report.format import number
from gengap.suites.kinds import ComputedCell, ComputedKind, register_kind


@dataclass(frozen=True)
class KernelCell(ComputedCell):
    """Minimum-norm interpolation of a dataset's first n points with one kernel (``bandwidth``
    None: the kernel's own default; ``features``: random features of the approximate kernels)."""

    kind: ClassVar[str] = "kernel"
    dataset: str
    kernel: str
    n: int
    seed: int
    bandwidth: float | None
    features: int


@dataclass(frozen=True)
class MinNormSGDCell(ComputedCell):
    """SGD from zero on a synthetic least-squares problem (n points in d dimensions), against
    its minimum-norm solution."""

    kind: ClassVar[str] = "min_norm_sgd"
    n: int
    d: int
    epochs: int
    seed: int


class KernelKind(ComputedKind):
    """Minimum-norm interpolation cells per dataset, kernel, n and seed, and SGD minimum-norm checks."""

    cell_types = (KernelCell, MinNormSGDCell)

    def cells(self, suite: str, s: dict) -> dict[str, KernelCell | MinNormSGDCell]:
        """datasets x kernels x n x seeds interpolation cells, then the SGD minimum-norm checks
        (on synthetic least-squares problems, no dataset)."""
        out: dict[str, KernelCell | MinNormSGDCell] = {
            f"{d}/{kernel}/n{n}/seed{seed}": KernelCell(d, kernel, n, seed, s["bandwidth"], s["features"])
            for d in s["datasets"] for kernel in s["kernels"] for n in s["n"] for seed in s["seeds"]}
        sgd = s["sgd_check"]
        for n in sgd["n"]:
            for seed in s["seeds"]:
                out[f"min_norm_sgd/n{n}/d{sgd['d']}/seed{seed}"] = MinNormSGDCell(n, sgd["d"], sgd["epochs"], seed)
        return out

    def describe(self, summary: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
        """Training and test error per kernel and n; how close SGD from zero lands to the minimum-norm solution."""
        k = summary[summary["kind"] == "kernel"]
        parts = [f"training error {number(k['train_error'].max())} at most"]
        keys = ["dataset", "kernel"] if k["dataset"].nunique() > 1 else ["kernel"]  # never a mean over datasets
        for key, g in k.groupby(keys):
            by_n = g.groupby("n")["test_error"].mean()
            parts.append(f"{' '.join(key)} test error " + ", ".join(f"{number(v)} (n = {n})" for n, v in by_n.items()))
        sgd = summary[summary["kind"] == "min_norm_sgd"]
        if not sgd.empty:
            parts.append("SGD from zero lands within " + number(sgd["relative_distance"].max())
                         + " (relative) of the minimum-norm solution")
        return "; ".join(parts)


register_kind(KernelKind("kernel", default_figures=("kernel",)))
