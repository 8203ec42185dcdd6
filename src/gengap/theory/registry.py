"""Runners of computed cells: ``@runner("<kind>")`` on ``run(cell, dataset_path, job) -> row``,
``cell`` one of the kind's ``ComputedCell`` types.

A computed suite kind (``gengap.suites``: which cells a suite has, how its rows are gathered and
described) is torch-free; what computes one of its cells lives here, under the kind's name, and
only the ``suite_cell`` job imports it.
"""

from __future__ import annotations

import pandas as pd

from gengap.atomic import load_torch, save_parquet
from gengap.data.preprocess import to_inputs
from gengap.data.sources import DATASETS
from gengap.data.training_set import make_training_set
from gengap.job import Job
from gengap.registry import Registry

RUNNERS: Registry = Registry("computed cell runner")
runner = RUNNERS.register


def points(dataset: str, n: int, seed: int, dataset_path: str) -> dict:
    """The first n points (by ``seed``) of a dataset (true labels) as inputs: real images as
    pixels / 255, synthetic points as they are; the test set alike."""
    data = make_training_set(load_torch(dataset_path), n, seed, "true")
    mode = "none" if DATASETS[dataset].sample is not None else "scale01"
    return {**data, "train_x": to_inputs(data["train_x"], mode), "test_x": to_inputs(data["test_x"], mode)}


def run_cell(kind: str, cell, dataset_path: str | None, out_path: str, job: Job = Job()) -> dict:
    """Compute one cell of a suite of kind ``kind`` and write its summary row (the cell's params,
    then what the runner reports)."""
    row = {**cell.as_params(), **RUNNERS[kind](cell, dataset_path, job)}
    save_parquet(pd.DataFrame([row]), out_path)
    return row
