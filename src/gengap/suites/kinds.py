"""Suite kinds: what a cell of a suite is, what the suite outputs, how its summary is gathered
and how the overview describes it.

A kind is one registered ``SuiteKind``. Its ``cells`` expand a suite's config into cells (a dict
from cell id, a relative path, to the cell); everything the workflow and the report need of a
suite asks its kind (``outputs``, ``summary_inputs``, ``figure_inputs``, ``summarize``,
``describe``, ``check``), so nothing outside a kind's module branches on which kind it is.
Two shapes exist: ``TrainingKind`` (``gengap.suites.train``: training cells, run by the train and
measure rules) and ``ComputedKind`` (one summary row per cell, computed by the ``suite_cell`` rule
with the kind's runner in ``gengap.theory``). Adding a computed kind is one module here that
registers a ``ComputedKind``, its runner in ``gengap.theory``, and its config keys in the schema
(under ``if: kind``). This package imports no torch: summaries, figures and the overview use it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Mapping, Sequence

import pandas as pd

from gengap.atomic import read_parquet, save_parquet
from gengap.registry import Registry


@dataclass(frozen=True)
class SuiteKind:
    name: str
    default_figures: tuple[str, ...]
    trains: ClassVar[bool] = False  # training cells (the train and measure rules), histories

    def cells(self, suite: str, config: dict) -> dict[str, Any]:
        """Every cell of the suite, by cell id (a path relative to the cell folders)."""
        raise NotImplementedError

    def outputs(self, results: str, suite: str, config: dict) -> list[str]:
        """Every final output of the suite, below the results folder ``results``."""
        return [f"{results}/summary/{suite}.parquet"] + [
            f"{results}/figures/{suite}/{name}.{ext}" for name in config["figures"] for ext in ("png", "pdf")]

    def summary_inputs(self, results: str, suite: str, config: dict) -> dict[str, list[str]]:
        """The files the suite's summary is gathered from, by role."""
        raise NotImplementedError

    def figure_inputs(self, results: str, suite: str) -> dict[str, str]:
        return {"summary": f"{results}/summary/{suite}.parquet"}

    def summarize(self, inputs: Mapping[str, Sequence[str]], out_path: str, config: dict) -> pd.DataFrame:
        """Gather the summary from ``summary_inputs``' files and write it."""
        raise NotImplementedError

    def describe(self, summary: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
        """The overview's line for the suite: what the run gives, every number from the summary."""
        return f"{len(summary)} rows"

    def check(self, config: dict, suite: str) -> None:
        """Checks of the suite's config beyond the schema (names in registries, sizes)."""

    def dataset_of(self, cell: Any) -> str | None:
        """The dataset a computed cell reads, if any."""
        return None

    def definition(self) -> type:
        """The code of the kind (for ``gengap.provenance``): its class."""
        return type(self)


@dataclass(frozen=True)
class ComputedCell:
    """A cell of a computed kind, resolved from the suite's config once (checked as it is made).
    Its ``kind`` and fields are its identity: the ``suite_cell`` job's params (``as_params``, plain
    values in field order: Snakemake leaves a param that is not made of builtins out of a job's
    identity) and the first columns of its summary row."""

    kind: ClassVar[str]

    def as_params(self) -> dict[str, Any]:
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


class ComputedKind(SuiteKind):
    """One summary row per cell, computed by the runner registered under the kind's name
    (``gengap.theory``); a subclass says which cells (``cells``, of its ``cell_types``) and how to
    describe them."""

    cell_types: ClassVar[tuple[type[ComputedCell], ...]] = ()

    def cell(self, params: Mapping[str, Any]) -> ComputedCell:
        """The cell whose ``as_params`` are ``params`` (what its job receives)."""
        by_kind = {t.kind: t for t in self.cell_types}
        values = dict(params)
        return by_kind[values.pop("kind")](**values)

    def row_path(self, results: str, suite: str, cell_id: str) -> str:
        return f"{results}/theory/{suite}/{cell_id}.parquet"

    def summary_inputs(self, results: str, suite: str, config: dict) -> dict[str, list[str]]:
        return {"rows": [self.row_path(results, suite, c) for c in self.cells(suite, config)]}

    def summarize(self, inputs: Mapping[str, Sequence[str]], out_path: str, config: dict) -> pd.DataFrame:
        table = pd.concat([read_parquet(p) for p in inputs["rows"]], ignore_index=True)
        save_parquet(table, out_path)
        return table

    def dataset_of(self, cell: ComputedCell) -> str | None:
        return getattr(cell, "dataset", None)


KINDS: Registry[SuiteKind] = Registry("suite kind")
DEFAULT_KIND = "train"  # a suite that names no kind (gengap.suites.train)


def register_kind(kind: SuiteKind) -> SuiteKind:
    return KINDS.register(kind.name)(kind)
