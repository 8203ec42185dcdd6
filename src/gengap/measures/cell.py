"""Measuring one trained cell from its files: the function the measure rule calls."""

from __future__ import annotations

import os

import pandas as pd

from gengap.atomic import load_torch, read_json, recorded_digest, save_parquet
from gengap.data.preprocess import network_inputs
from gengap.job import Job
from gengap.measure_options import MeasureOptions
from gengap.measures.registry import MeasureContext, compute_measures
from gengap.models import load_model
from gengap.settings import TrainingSettings


class MixedCell(RuntimeError):
    """A cell whose files were not written by one training run (two runs wrote its folder)."""


def check_cell_files(record: dict, record_path, **paths) -> None:
    """The training set and weights a cell's record names (their digests) are the files at
    ``paths`` (roles: ``training_set``, ``init``, ``final``); else ``MixedCell`` names them."""
    named = {"training_set": record.get("identity", {}).get("training_set"), **record.get("files", {})}
    for role, path in paths.items():
        if named.get(role) is not None and recorded_digest(path) != named[role]:
            raise MixedCell(f"{os.fspath(path)} is not the {role} its record {os.fspath(record_path)} names "
                            f"(digest {recorded_digest(path)}, recorded {named[role]}): two runs wrote this cell. "
                            "Delete its folder and rerun snakemake.")


def measure_cell(data_path, init_path, final_path, record_path, out_path, *,
                 measures: list[str], options: dict | None = None, other_draw_path=None,
                 job: Job = Job()) -> pd.DataFrame:
    """Compute ``measures`` for a trained cell; write a tidy Parquet table (one row per measure)."""
    dev = job.device
    record = read_json(record_path)
    data = load_torch(data_path)
    check_cell_files(record, record_path, training_set=data_path, init=init_path, final=final_path)
    settings = TrainingSettings.from_mapping(record["settings"])
    ctx = MeasureContext(
        net=load_model(record, final_path, dev).eval(),
        init=load_model(record, init_path, dev).eval(),
        train_x=network_inputs(data["train_x"].to(dev), settings),
        train_y=data["train_y"].to(dev),
        test_x=network_inputs(data["test_x"].to(dev), settings),
        test_y=data["test_y"].to(dev),
        options=MeasureOptions.from_mapping(options),
        other=load_model(record, other_draw_path, dev).eval() if other_draw_path else None,
        dataset=record["cell"].get("dataset", ""),
        stop_rule=settings.stop,
    )
    table = pd.DataFrame(compute_measures(ctx, measures))
    for key, value in record["cell"].items():
        table.insert(0, key, value)
    failed = table[table["error"].notna()]
    for _, row in failed.iterrows():
        job.log(f"measure {row['measure']} failed: {row['error']}")
    save_parquet(table, out_path)
    job.log(f"wrote {len(table)} measures to {os.fspath(out_path)}")
    return table
