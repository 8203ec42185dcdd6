"""A suite's plan: what its jobs run, typed and checked, resolved once from the validated config.

``suite_plan(config, suite)`` gives the suite's cells (``Cell`` for training kinds, the kind's
``ComputedCell`` types otherwise), each training cell's ``TrainingSettings`` (by model and
regularization setting), its measures and their ``MeasureOptions``. The workflow makes one per
suite per run and takes every job's params from it. Jobs receive plain values of these types
(``identity()``, ``as_params()``): Snakemake compares only params made of builtins between runs
(``gengap.joblog.check_plain_params``), and each job makes the typed value again from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from gengap.cell import Cell
from gengap.config import kind_of, measure_options, suite_cells, training_settings
from gengap.measure_options import MeasureOptions
from gengap.settings import TrainingSettings
from gengap.suites import SuiteKind


@dataclass(frozen=True)
class SuitePlan:
    name: str
    kind: SuiteKind
    cells: Mapping[str, Any]  # by cell id (a path relative to the cell folders)
    measures: tuple[str, ...]  # what each training cell's measure job computes
    measure_options: MeasureOptions
    settings: Mapping[tuple[str, str], TrainingSettings]  # by (model, regularization setting)

    def training_settings(self, model: str, reg: str) -> TrainingSettings:
        try:
            return self.settings[(model, reg)]
        except KeyError:
            raise KeyError(f"suite {self.name} has no cell of model {model} with regularization {reg}") from None


def suite_plan(config: dict, suite: str) -> SuitePlan:
    """The plan of ``suite`` in a validated, resolved config (``gengap.config.prepare``)."""
    cells = suite_cells(config, suite)
    pairs = sorted({(c.model, c.reg) for c in cells.values() if isinstance(c, Cell)})
    return SuitePlan(
        name=suite,
        kind=kind_of(config["suites"][suite]),
        cells=MappingProxyType(cells),
        measures=tuple(config["suites"][suite].get("measures") or ()),
        measure_options=MeasureOptions.from_mapping(measure_options(config, suite)),
        settings=MappingProxyType({pair: training_settings(config, suite, *pair) for pair in pairs}),
    )
