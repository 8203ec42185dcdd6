"""The bill before the run: projected device time of every training suite of a config.

    python -m gengap.project                          # config.yaml, rate measured on this machine
    python -m gengap.project --preset quick --results results   # epochs and times of a finished run
    python -m gengap.project --rate-tflops 50 --efficiency 0.3 --epochs 100

time = sum over cells of epochs x n x (train FLOPs + evaluation FLOPs / eval_every) per example
       / (rate x efficiency)

FLOPs per example are counted on the model (``gengap.flops``); the rate is a measured matmul
rate (``--rate-tflops`` from the device's benchmark, or measured here on ``--device``);
``--efficiency`` is the fraction of that rate training reaches (the throughput benchmark prints
it per model). Epochs per cell, in order of preference: the mean measured in ``--results`` for
the suite and model, ``--epochs``, else the epoch cap (an upper bound). The assumption used is
printed on every line. Computed suites (expressivity, kernel) are not projected.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd

from gengap.config import kind_of, load, suite_cells, training_settings
from gengap.suites.train import TrainingKind
from gengap.flops import flops_per_example, matmul_rate, network_input_shape


def measured_cells(results: Path | None) -> pd.DataFrame:
    """Epochs and wall time of every finished cell of a run (empty without one)."""
    if results is None or not (results / "cells").is_dir():
        return pd.DataFrame(columns=["suite", "model", "epochs", "wall_time_s"])
    rows = []
    for path in (results / "cells").glob("**/record.json"):
        r = json.loads(path.read_text())
        rows.append({"suite": r["cell"]["suite"], "model": r["cell"]["model"], "epochs": r["epochs"],
                     "wall_time_s": r["wall_time_s"]})
    return pd.DataFrame(rows)


def project(config: dict, rate_flops: float, efficiency: float = 1.0, epochs: int | None = None,
            measured: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (training suite, model): cells, epochs assumed and where from, FLOPs, hours."""
    measured = measured if measured is not None else measured_cells(None)
    done = measured.groupby(["suite", "model"]).agg(epochs=("epochs", "mean"), wall_time_s=("wall_time_s", "sum"))
    per_model: dict = defaultdict(lambda: {"cells": 0, "flops": 0.0, "examples": 0.0, "measured_s": float("nan")})
    cost_cache: dict = {}
    for suite, cfg in config["suites"].items():
        if not isinstance(kind_of(cfg), TrainingKind):  # only training cells cost training time
            continue
        for cell in suite_cells(config, suite).values():
            settings = training_settings(config, suite, cell.model, cell.reg)
            shape = network_input_shape(cell.dataset, settings)
            key = (cell.model, shape, settings.loss)
            if key not in cost_cache:
                cost_cache[key] = flops_per_example(cell.model, shape, loss=key[2])
            cost = cost_cache[key]
            row = per_model[(suite, cell.model)]
            if (suite, cell.model) in done.index:
                row["epochs"], row["source"] = done.loc[(suite, cell.model), "epochs"], "measured"
                row["measured_s"] = done.loc[(suite, cell.model), "wall_time_s"]
            elif epochs:
                row["epochs"], row["source"] = min(epochs, settings.max_epochs), "--epochs"
            else:
                row["epochs"], row["source"] = settings.max_epochs, "epoch cap"
            row["cells"] += 1
            row["examples"] += row["epochs"] * cell.n
            row["flops"] += row["epochs"] * cell.n * (cost["train"] + cost["eval"] / settings.eval_every)
    rows = [{"suite": s, "model": m, **v} for (s, m), v in per_model.items()]
    out = pd.DataFrame(rows, columns=["suite", "model", "cells", "epochs", "source", "examples", "flops", "measured_s"])
    out["projected_s"] = out["flops"] / (rate_flops * efficiency)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, default=Path("config.yaml"))
    ap.add_argument("--preset")
    ap.add_argument("--rate-tflops", type=float, help="the device's measured matmul rate (default: measure here)")
    ap.add_argument("--device", default="cpu", help="where to measure the rate when --rate-tflops is not given")
    ap.add_argument("--efficiency", type=float, default=1.0, help="fraction of the rate training reaches")
    ap.add_argument("--epochs", type=int, help="epochs per cell where no run has measured them")
    ap.add_argument("--results", type=Path, help="a run's results folder: its measured epochs and times")
    args = ap.parse_args(argv)
    rate = args.rate_tflops * 1e12 if args.rate_tflops else matmul_rate(args.device)
    table = project(load(args.config, args.preset), rate, args.efficiency, args.epochs, measured_cells(args.results))
    print(f"rate {rate / 1e12:.3g} TFLOP/s ({'given' if args.rate_tflops else 'measured on ' + args.device})"
          f" x efficiency {args.efficiency:g}; FLOPs counted per model (torch.utils.flop_counter)")
    shown = table.assign(pflop=table["flops"] / 1e15, projected_h=table["projected_s"] / 3600,
                         measured_h=table["measured_s"] / 3600)
    print(shown[["suite", "model", "cells", "epochs", "source", "pflop", "projected_h", "measured_h"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for suite, g in shown.groupby("suite", sort=False):
        print(f"{suite}: {g['projected_h'].sum():.3g} h projected")
    print(f"total: {shown['projected_h'].sum():.3g} h projected"
          + (f", {shown['measured_h'].sum():.3g} h measured" if shown["measured_h"].notna().any() else ""))


if __name__ == "__main__":
    main()
