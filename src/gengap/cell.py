"""The training cell: one point of a suite's grid, its key, its folder and its training set.

Every place that names a cell (the rules' paths and wildcards, the summaries' key columns, the
train job's record) derives from this one type, so adding a grid dimension is adding a field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Mapping

from gengap.settings import TrainingSettings

# How a training set's n points are drawn from the dataset (the cell field ``sampling``).
SAMPLINGS = ("distinct", "replacement")


@dataclass(frozen=True, order=True)
class Cell:
    """One training cell: a model trained on one corrupted training set under one setting."""

    suite: str
    dataset: str
    corruption: str
    n: int
    seed: int
    draw: int  # 2 = Nagarajan & Kolter's second sample S2 (same initialization)
    model: str
    reg: str = "none"  # name of the suite's regularization setting
    # how the n points are drawn: "distinct" (a random subset) or "replacement" (n uniform draws
    # with replacement, as in Nagarajan & Kolter's code; allows n beyond the dataset)
    sampling: str = "distinct"

    # Folder of a cell below ``<results>/cells`` and of its training set below
    # ``<results>/training_sets``, as Snakemake wildcard patterns.
    PATH = "{suite}/{dataset}/{corruption}/n{n}/{sampling}/seed{seed}/draw{draw}/{model}/{reg}"
    TRAINING_SET = "{dataset}/n{n}/{sampling}/seed{seed}/draw{draw}/{corruption}"
    # What each wildcard may match (names are registry names; corruptions may hold @ and .).
    WILDCARDS = {"suite": r"[A-Za-z0-9_]+", "dataset": r"[A-Za-z0-9_]+", "corruption": r"[A-Za-z0-9_@.]+",
                 "n": r"\d+", "seed": r"\d+", "draw": r"\d+", "model": r"[A-Za-z0-9_]+",
                 "reg": r"[A-Za-z0-9_]+", "sampling": "|".join(SAMPLINGS)}

    @classmethod
    def names(cls) -> list[str]:
        """The key fields, in path order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def from_wildcards(cls, wildcards: Mapping) -> "Cell":
        """The cell of a job, from its Snakemake wildcards (strings) or any mapping of the fields."""
        values = {f.name: wildcards[f.name] for f in fields(cls)}
        return cls(**{k: int(v) if cls.__dataclass_fields__[k].type == "int" else str(v)
                      for k, v in values.items()})

    def key(self) -> dict:
        return asdict(self)

    @property
    def path(self) -> str:
        return self.PATH.format(**self.key())

    @property
    def training_set(self) -> str:
        return self.TRAINING_SET.format(**self.key())

    def other_draw(self) -> "Cell":
        """The same cell trained on the other sample (S2 for S1 and back)."""
        return replace(self, draw=2 if self.draw == 1 else 1)

    def identity(self, settings: TrainingSettings, training_set: str | None, code: str) -> str:
        """What the cell's result depends on, as one key: the content of its training set (its
        digest), the digest of the code it runs, its model, settings and seed; no paths, no
        machine details. Keys the checkpoint and is recorded."""
        blob = json.dumps({"training_set": training_set, "code": code, "model": self.model,
                           "settings": settings.identity(), "seed": self.seed}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
