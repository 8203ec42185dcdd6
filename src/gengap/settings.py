"""The training settings of one cell: one frozen type, its fields and defaults defined here only.

The config layer builds a cell's settings once (``gengap.config.training_settings``: defaults
<- per model <- per suite <- the cell's regularization setting); jobs rebuild the same value from
the rule's params with ``TrainingSettings.from_mapping``. Nothing else holds a default for a
training setting: the schema documents and checks the keys (a test checks that its keys and
allowed values are this type's), the loop, the measures and the benchmarks read attributes.

A cell's identity holds its settings as ``identity()`` gives them: every field of ``BASE`` and the
later options (``LATER``) only where they differ from their default, in field order (Snakemake
compares params by their text: the order in which a config writes its keys changes nothing). So
adding an option whose default is what the code did before reruns no existing cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

# How minibatches take the training set: a new permutation every epoch, or one fixed order.
BATCH_ORDERS = ("reshuffle", "fixed")
PRECISIONS = ("float32", "tf32", "bf16")
PREPROCESSING = ("standardize", "scale01", "none")


def _default_stop() -> dict:
    return {"criterion": "train_accuracy", "target": 1.0}


@dataclass(frozen=True)
class TrainingSettings:
    """SGD settings of one cell. Zhang et al.'s optimizer (momentum 0.9, batch 128, rate 0.01)
    under gengap's schedule: the rate held constant (``lr_decay`` 1.0; the paper's x0.95 per
    epoch freezes training at n = 50,000, README "Schedules at full size"), cap 1000 epochs."""

    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    dropout: float = 0.0  # after each hidden layer, for models that take it
    batch_size: int = 128
    lr_decay: float = 1.0  # x lr_decay per lr_decay_examples examples seen (gengap.train.schedules)
    lr_decay_examples: int = 50_000
    max_epochs: int = 1000
    eval_every: int = 1  # epochs between evaluations of the stopping rule
    preprocess: str = "standardize"  # PREPROCESSING
    random_crop: bool = False
    crop_size: int = 28  # network input size; larger images are centre-cropped to it
    loss: str = "cross_entropy"  # a name in gengap.train.losses.LOSSES
    precision: str = "float32"  # PRECISIONS
    stop: dict = field(default_factory=_default_stop)  # criterion and its options (gengap.train.stopping)
    # options added later: part of a cell's identity only where set to another value
    lr_decay_after: float | None = None  # hold the rate until this training accuracy, then decay
    batch_order: str = "reshuffle"  # BATCH_ORDERS

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "TrainingSettings":
        """The settings of a mapping of any subset of the fields (the rest at their defaults);
        an unknown key is an error that names it."""
        unknown = sorted(set(mapping) - set(NAMES))
        if unknown:
            raise ValueError(f"unknown training setting(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(NAMES)}")
        values = {k: (dict(v) if k == "stop" else v) for k, v in mapping.items()}
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        for name, allowed in (("preprocess", PREPROCESSING), ("precision", PRECISIONS), ("batch_order", BATCH_ORDERS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} = {getattr(self, name)!r}; allowed: {', '.join(allowed)}")

    def identity(self) -> dict:
        """The settings as they enter a cell's identity (see the module docstring)."""
        return {k: getattr(self, k) for k in NAMES if k in BASE or getattr(self, k) != DEFAULTS[k]}

    def replace(self, **changes) -> "TrainingSettings":
        return replace(self, **changes)


NAMES = tuple(f.name for f in fields(TrainingSettings))
LATER = ("lr_decay_after", "batch_order")
BASE = tuple(n for n in NAMES if n not in LATER)
DEFAULTS = {k: getattr(TrainingSettings(), k) for k in NAMES}


def base_defaults() -> dict:
    """Every field of BASE at its default, in field order: what the config layer fills into the
    top-level ``training`` before any override."""
    return {k: DEFAULTS[k] for k in BASE}
