"""The ``kernel`` kind: minimum-norm interpolation K alpha = Y of a dataset's n points per kernel
(Zhang et al. section 5), and SGD from zero meeting the minimum-norm solution; computed by
``gengap.theory.kernel``."""

from __future__ import annotations

import pandas as pd

from gengap.report.format import number
from gengap.suites.kinds import ComputedKind, register_kind


class KernelKind(ComputedKind):
    """Minimum-norm interpolation cells per dataset, kernel, n and seed, and SGD minimum-norm checks."""

    def cells(self, suite: str, s: dict) -> dict[str, dict]:
        """datasets x kernels x n x seeds interpolation cells, then the SGD minimum-norm checks
        (cells with ``kind: min_norm_sgd``, on synthetic least-squares problems, no dataset)."""
        out = {f"{d}/{kernel}/n{n}/seed{seed}": dict(kind="kernel", dataset=d, kernel=kernel, n=n, seed=seed,
                                                     bandwidth=s["bandwidth"], features=s["features"])
               for d in s["datasets"] for kernel in s["kernels"] for n in s["n"] for seed in s["seeds"]}
        sgd = s["sgd_check"]
        for n in sgd["n"]:
            for seed in s["seeds"]:
                out[f"min_norm_sgd/n{n}/d{sgd['d']}/seed{seed}"] = dict(kind="min_norm_sgd", n=n, d=sgd["d"],
                                                                       epochs=sgd["epochs"], seed=seed)
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
