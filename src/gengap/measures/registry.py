"""The measure registry: ``@measure("name")`` on a function ``(ctx: MeasureContext) -> float``.

A measure may also return a dict ``{suffix: value}``; each entry becomes a row named
``name`` (suffix ``""``) or ``name_suffix`` (e.g. a bound and its numerator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import torch
from torch import nn

from gengap.registry import Registry
from gengap.evaluation import margins_of, predict
from gengap.measures.layers import fold_batchnorm

MEASURES: Registry = Registry("measure")
measure = MEASURES.register


@dataclass
class MeasureContext:
    """Everything a measure may look at for one cell; derived quantities are computed once."""

    net: nn.Module  # trained weights
    init: nn.Module  # initial weights
    train_x: torch.Tensor  # network inputs (preprocessed), the cell's (corrupted) training set
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    options: dict = field(default_factory=dict)  # gamma, delta, ...
    other: nn.Module | None = None  # trained on the other draw (S2), same initialization
    dataset: str = ""
    stop_rule: dict | None = None  # the rule the cell was trained with

    @property
    def delta(self) -> float:
        return float(self.options.get("delta") or 0.01)

    @cached_property
    def gamma(self) -> float:
        """The margin of the margin bounds: configured, else the stopping rule's, else the 10th
        percentile of the training margins (NaN when that is not positive)."""
        if self.options.get("gamma"):
            return float(self.options["gamma"])
        if self.stop_rule and self.stop_rule.get("criterion") == "margin":
            return float(self.stop_rule.get("gamma", 10.0))
        q = torch.quantile(self.train_margins.double().cpu(), 0.1).item()
        return q if q > 0 else float("nan")

    @cached_property
    def input_norm_max(self) -> float:
        """B = max_i ||x_i||_2 over the training inputs (as fed to the network)."""
        return self.train_x.flatten(1).double().norm(dim=1).max().item()

    @cached_property
    def folded(self) -> nn.Module:
        return fold_batchnorm(self.net)

    @cached_property
    def folded_init(self) -> nn.Module:
        return fold_batchnorm(self.init)

    @cached_property
    def train_logits(self) -> torch.Tensor:
        return predict(self.net, self.train_x)

    @cached_property
    def test_logits(self) -> torch.Tensor:
        return predict(self.net, self.test_x)

    @cached_property
    def train_margins(self) -> torch.Tensor:
        return margins_of(self.train_logits, self.train_y)

    @property
    def m(self) -> int:
        return len(self.train_y)


def compute_measures(ctx: MeasureContext, names: list[str]) -> list[dict]:
    """Rows ``{measure, value}``; a measure that raises gives NaN and its error, not a crash."""
    rows = []
    for name in names:
        try:
            value = MEASURES[name](ctx)
        except Exception as err:  # one broken measure must not hide the others
            rows.append({"measure": name, "value": float("nan"), "error": f"{type(err).__name__}: {err}"})
            continue
        items = value.items() if isinstance(value, dict) else [("", value)]
        for suffix, v in items:
            rows.append({"measure": f"{name}_{suffix}" if suffix else name,
                         "value": float(v), "error": None})
    return rows
