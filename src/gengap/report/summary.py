"""Gathering a suite's cells into one tidy Parquet table (one row per cell and measure)."""

from __future__ import annotations

import os
from typing import Sequence

import pandas as pd

from gengap.atomic import read_json, read_parquet, save_parquet
from gengap.cell import Cell
from gengap.data.label_noise import label_noise_level
from gengap.settings import TrainingSettings

# Fields of a cell's record that every summary row carries.
RECORD_FIELDS = ("status", "epochs", "steps", "steps_to_fit", "time_to_fit_s", "wall_time_s",
                 "device", "code_version")
# Training settings every summary row carries (Table 1's switches, and what a row was trained with).
SETTING_FIELDS = ("lr", "batch_size", "weight_decay", "random_crop", "dropout", "precision")
CELL_KEYS = Cell.names()


def _record_row(path: str | os.PathLike) -> dict:
    record = read_json(path)
    row = dict(record["cell"])
    row.update({f: record.get(f) for f in RECORD_FIELDS})
    row["final_train_accuracy"] = (record.get("final") or {}).get("train_accuracy")
    settings = TrainingSettings.from_mapping(record.get("settings") or {})
    row.update({f: getattr(settings, f) for f in SETTING_FIELDS})
    row["stop_fraction"] = settings.stop.get("fraction")  # the margin rule's, when it is one
    return row


def with_label_noise(df: pd.DataFrame) -> pd.DataFrame:
    """Add the label-noise level p (NaN for corruptions of the inputs)."""
    levels = {c: label_noise_level(c) for c in df["corruption"].unique()}
    return df.assign(label_noise=df["corruption"].map(levels).astype(float))


def steps_to_accuracy(history: pd.DataFrame, accuracy: float) -> int | None:
    """Steps taken when an evaluation first found training accuracy >= ``accuracy`` (None if none did)."""
    if "train_accuracy" not in history:
        return None
    reached = history[history["train_accuracy"] >= accuracy]
    return int(reached["step"].iloc[0]) if len(reached) else None


def with_relative_time_to_fit(records: pd.DataFrame) -> pd.DataFrame:
    """time to fit (steps to the suite's ``fit_accuracy``) / the same of the cell with true labels
    (Zhang et al. Fig. 1b)."""
    keys = [k for k in CELL_KEYS if k != "corruption"]
    true = records[records["corruption"] == "true"].set_index(keys)["steps_to_accuracy"].rename("true_steps")
    merged = records.join(true, on=keys)
    return records.assign(relative_time_to_fit=merged["steps_to_accuracy"] / merged["true_steps"])


def summarize(measure_paths: Sequence[str], record_paths: Sequence[str], history_paths: Sequence[str],
              out_path: str, fit_accuracy: float = 1.0) -> pd.DataFrame:
    """Concatenate per-cell measures, join each cell's record and its time to fit (the steps to
    ``fit_accuracy`` training accuracy, read from its history: a threshold every cell reaches,
    where 100 % is not); write the summary table."""
    rows = []
    for record_path, history_path in zip(record_paths, history_paths, strict=True):
        row = _record_row(record_path)
        row["fit_accuracy"] = fit_accuracy
        row["steps_to_accuracy"] = steps_to_accuracy(read_parquet(history_path), fit_accuracy)
        rows.append(row)
    records = with_relative_time_to_fit(pd.DataFrame(rows))
    measures = pd.concat([read_parquet(p) for p in measure_paths], ignore_index=True)
    table = with_label_noise(measures.merge(records, on=CELL_KEYS, how="left"))
    save_parquet(table, out_path)
    return table


def gather_histories(record_paths: Sequence[str], history_paths: Sequence[str], out_path: str) -> pd.DataFrame:
    """Every cell's training history, prefixed by the cell's key columns."""
    histories = []
    for record_path, path in zip(record_paths, history_paths):
        cell = read_json(record_path)["cell"]
        h = read_parquet(path)
        for key in reversed(CELL_KEYS):
            h.insert(0, key, cell[key])
        histories.append(h)
    table = with_label_noise(pd.concat(histories, ignore_index=True))
    save_parquet(table, out_path)
    return table
