"""Suite kinds: what a cell of a suite is, how it runs and what the suite outputs.

A kind is one registered ``SuiteKind``: its ``cells`` expand a suite's config into cells (a dict
from cell id, a relative path, to the cell), and either it ``trains`` (cells are training cells,
run by the train and measure rules, with histories), or its ``run`` computes one summary row per
cell (the ``suite_cell`` rule). Adding a kind is one module in ``gengap.suites`` that registers
it, plus its config keys in the schema (under ``if: kind``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from gengap.registry import Registry


@dataclass(frozen=True)
class SuiteKind:
    name: str
    cells: Callable[[str, dict], dict[str, Any]]  # (suite name, suite config) -> {cell id: cell}
    default_figures: tuple[str, ...]
    # Computed kinds: run(cell spec, dataset file or None, device) -> one summary row.
    run: Callable[[dict, str | None, str], dict] | None = None
    trains: bool = False  # training cells (train + measure rules, histories, measures)

    def dataset_of(self, spec: dict) -> str | None:
        """The dataset file a computed cell reads, if any."""
        return spec.get("dataset")

    def outputs(self, results: str, suite: str, config: dict) -> list[str]:
        """Every final output of the suite, below the results folder ``results``."""
        out = [f"{results}/summary/{suite}.parquet"]
        out += [f"{results}/figures/{suite}/{name}.{ext}" for name in config["figures"] for ext in ("png", "pdf")]
        if self.trains:
            out.append(f"{results}/summary/history/{suite}.parquet")
            out += [f"{results}/tables/{suite}/{t}.{ext}" for t in config["tables"] for ext in ("parquet", "md")]
            if config["slopes"]:
                out.append(f"{results}/summary/{suite}_slopes.parquet")
        return out


KINDS: Registry[SuiteKind] = Registry("suite kind")


def register_kind(kind: SuiteKind) -> SuiteKind:
    return KINDS.register(kind.name)(kind)
