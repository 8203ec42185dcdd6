"""Running one computed cell (a suite kind with ``run``) and gathering a suite's rows."""

from __future__ import annotations

import pandas as pd

from gengap.atomic import load_torch, read_parquet, save_parquet
from gengap.data.preprocess import to_inputs
from gengap.data.sources import DATASETS
from gengap.data.training_set import make_training_set
from gengap.suites.kinds import KINDS


def points(spec: dict, dataset_path: str) -> dict:
    """The cell's n points of its dataset (true labels) as inputs: real images as pixels / 255,
    synthetic points as they are; the test set alike."""
    data = make_training_set(load_torch(dataset_path), spec["n"], spec["seed"], "true")
    mode = "none" if DATASETS[spec["dataset"]].sample is not None else "scale01"
    return {**data, "train_x": to_inputs(data["train_x"], mode), "test_x": to_inputs(data["test_x"], mode)}


def run_cell(suite_kind: str, spec: dict, dataset_path: str | None, out_path: str, device: str = "cpu") -> dict:
    row = {**spec, **KINDS[suite_kind].run(spec, dataset_path, device)}
    save_parquet(pd.DataFrame([row]), out_path)
    return row


def summarize_rows(cell_paths: list[str], out_path: str) -> pd.DataFrame:
    table = pd.concat([read_parquet(p) for p in cell_paths], ignore_index=True)
    save_parquet(table, out_path)
    return table
