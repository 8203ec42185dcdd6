"""The measure registry: ``@measure("name", label=..., kind=...)`` on a function
``(ctx: MeasureContext) -> float``.

A measure may also return a dict ``{suffix: value}``; each entry becomes a row named
``name`` (suffix ``""``) or ``name_suffix`` (e.g. a bound and its numerator).

Every measure describes itself: the label figures and tables show and its kind (``KINDS``), which
decides how it is drawn and ranked (a bound gets a line at 1; an error is what the others predict,
not ranked; a margin is ranked as 1/x^2). Each row the measure job writes carries its ``label`` and
``kind``, so summaries, figures and tables (which never import torch) read them from the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import torch
from torch import nn

from gengap.evaluation import margins_of, predict
from gengap.measure_options import MeasureOptions
from gengap.measures.layers import fold_batchnorm
from gengap.registry import Registry
from gengap.train.stopping import rule_options

# What a measure's rows are; every figure, table and ranking reads this, never a list of names.
KINDS = {
    "error": "an error measured on data (training, test, S′): what the other measures predict; not ranked",
    "bound": "an upper bound on the test error: above 1 it says nothing (vacuous)",
    "numerator": "a bound's norm expression before its division by γ√m",
    "complexity": "a norm, distance, size or flatness: ranked as is (larger predicts a larger gap)",
    "margin": "a statistic of the training margins: ranked as 1/x² (a smaller margin predicts a larger gap)",
    "auxiliary": "how a measure was computed (the σ a search found, the points it used): not ranked",
}
# the label and kind of a dict entry that its measure does not name in ``outputs``
SUFFIX_KINDS = {"numerator": "numerator"}


@dataclass(frozen=True)
class Output:
    """What one row of a measure is: its label and kind."""

    label: str
    kind: str


@dataclass(frozen=True)
class Measure:
    """A registered measure: its function and what its rows are. ``outputs`` names the entries of
    a measure that returns a dict (suffix -> label, kind) where the default does not fit: a
    ``numerator`` is the bound's numerator, any other suffix is auxiliary."""

    fn: Callable
    label: str
    kind: str
    outputs: dict = field(default_factory=dict)

    def __post_init__(self):
        for kind in [self.kind, *(k for _, k in self.outputs.values())]:
            if kind not in KINDS:
                raise ValueError(f"measure kind {kind!r}; allowed: {', '.join(KINDS)}")

    def __call__(self, ctx):
        return self.fn(ctx)

    def output(self, suffix: str = "") -> Output:
        if not suffix:
            return Output(self.label, self.kind)
        if suffix in self.outputs:
            return Output(*self.outputs[suffix])
        kind = SUFFIX_KINDS.get(suffix, "auxiliary")
        return Output(f"{self.label} ({suffix})" if kind == "numerator" else f"{self.label}: {suffix}", kind)


MEASURES: Registry[Measure] = Registry("measure")


def measure(name: str, *, label: str, kind: str, outputs: dict | None = None):
    """Register ``fn`` as measure ``name``, shown as ``label``, of kind ``kind`` (``KINDS``)."""
    def decorate(fn):
        MEASURES.register(name)(Measure(fn, label, kind, dict(outputs or {})))
        return fn

    return decorate


def describe_row(row: str) -> Output | None:
    """The label and kind of a row name: a measure's (``bartlett17``) or one of its entries
    (``bartlett17_numerator``); None for a name no registered measure writes."""
    if row in MEASURES:
        return MEASURES[row].output()
    base, _, suffix = row.rpartition("_")
    while base:
        if base in MEASURES:
            return MEASURES[base].output(suffix)
        base, _, more = base.rpartition("_")
        suffix = f"{more}_{suffix}"
    return None


def describe(summary):
    """``summary`` with the ``label`` and ``kind`` of every measure row filled from the registry
    where it has none: a summary written before rows carried them (``gengap.publish --refresh``)."""
    rows = {m: describe_row(m) for m in summary["measure"].unique()}
    out = summary.copy()
    for column in ("label", "kind"):
        known = out["measure"].map({m: getattr(o, column) for m, o in rows.items() if o is not None})
        out[column] = out[column].fillna(known) if column in out else known
    return out


@dataclass
class MeasureContext:
    """Everything a measure may look at for one cell; derived quantities are computed once."""

    net: nn.Module  # trained weights
    init: nn.Module  # initial weights
    train_x: torch.Tensor  # network inputs (preprocessed), the cell's (corrupted) training set
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    options: MeasureOptions = field(default_factory=MeasureOptions)
    other: nn.Module | None = None  # trained on the other draw (S2), same initialization
    dataset: str = ""
    stop_rule: dict | None = None  # the rule the cell was trained with

    @property
    def delta(self) -> float:
        return self.options.delta

    @cached_property
    def gamma(self) -> float:
        """The margin of the margin bounds: configured, else the stopping rule's, else the 10th
        percentile of the training margins (NaN when that is not positive)."""
        if self.options.gamma:
            return float(self.options.gamma)
        if self.stop_rule and self.stop_rule.get("criterion") == "margin":
            return float(rule_options(self.stop_rule)["gamma"])
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
    """Rows ``{measure, value, error, label, kind}``; a measure that raises gives NaN and its error, not a crash."""
    rows = []
    for name in names:
        entry = MEASURES[name]
        try:
            value = entry(ctx)
        except Exception as err:  # one broken measure must not hide the others
            rows.append({"measure": name, "value": float("nan"), "error": f"{type(err).__name__}: {err}",
                         **vars(entry.output())})
            continue
        items = value.items() if isinstance(value, dict) else [("", value)]
        for suffix, v in items:
            rows.append({"measure": f"{name}_{suffix}" if suffix else name,
                         "value": float(v), "error": None, **vars(entry.output(suffix))})
    return rows
