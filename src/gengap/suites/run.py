"""One cell of a theory suite (expressivity, kernel) from paths and a plain spec dict."""

from __future__ import annotations

import pandas as pd
import torch

from gengap.atomic import save_parquet
from gengap.data.preprocess import to_inputs
from gengap.data.sources import DATASETS
from gengap.data.training_set import make_training_set
from gengap.seeding import generator
from gengap.suites.expressivity import expressivity_cell
from gengap.suites.kernel import kernel_cell, min_norm_sgd_cell


def _inputs(dataset: str, x: torch.Tensor) -> torch.Tensor:
    """Real images as pixels / 255; synthetic points as they are."""
    return to_inputs(x, "none" if DATASETS[dataset].sample is not None else "scale01")


def run_theory_cell(spec: dict, dataset_path: str | None, out_path: str, device: str = "cpu") -> dict:
    kind = spec["kind"]
    if kind == "min_norm_sgd":
        row = min_norm_sgd_cell(spec["n"], spec["d"], spec["seed"], epochs=spec["epochs"])
    else:
        data = make_training_set(torch.load(dataset_path, weights_only=True), spec["n"], spec["seed"], "true")
        x = _inputs(spec["dataset"], data["train_x"])
        if kind == "expressivity":
            y = data["train_y"]
            if spec["labels"] == "random_labels":
                y = torch.randint(data["num_classes"], (len(y),), generator=generator(spec["seed"], "expressivity_labels"))
            row = expressivity_cell(x, y.double(), spec["depth"], spec["seed"])
        elif kind == "kernel":
            row = kernel_cell(x, data["train_y"], _inputs(spec["dataset"], data["test_x"]), data["test_y"],
                              kernel=spec["kernel"], num_classes=data["num_classes"], seed=spec["seed"],
                              bandwidth=spec["bandwidth"], features=spec["features"], device=device)
        else:
            raise ValueError(f"unknown theory cell kind {kind!r}")
    row = {**spec, **row}
    save_parquet(pd.DataFrame([row]), out_path)
    return row


def summarize_theory(cell_paths: list[str], out_path: str) -> pd.DataFrame:
    table = pd.concat([pd.read_parquet(p) for p in cell_paths], ignore_index=True)
    save_parquet(table, out_path)
    return table
