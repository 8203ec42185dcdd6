"""One real cell end to end outside Snakemake (decode, corrupt, train, measure) on a device.

    GENGAP_DATA_ROOT=../shared/data python benchmarks/cell_on_device.py --device cuda \
        --model mlp_3x512 --n 4096 --corruption random_labels
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from gengap.cell import Cell
from gengap.data.sources import data_root, prepare_dataset
from gengap.data.training_set import write_training_set
from gengap.job import Job, resolve_device
from gengap.measures.cell import measure_cell
from gengap.settings import TrainingSettings
from gengap.train.cell import CellFiles, train_cell

SETTINGS = TrainingSettings(max_epochs=300)  # gengap's defaults: Zhang et al.'s SGD, constant rate
MEASURES = ["train_error", "test_error", "gap", "params", "spectral_product", "frobenius_product", "dist_init"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--model", default="mlp_1x512")
    ap.add_argument("--corruption", nargs="+", default=["random_labels"])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp())
    dataset = out / f"{args.dataset}.pt"
    prepare_dataset(args.dataset, data_root(), dataset)
    rows = []
    job = Job(log=lambda m: None, device=resolve_device(args.device))
    for corruption in args.corruption:
        cell = out / corruption
        write_training_set(dataset, args.n, args.seed, corruption, cell / "data.pt")
        t0 = time.perf_counter()
        files = CellFiles.in_folder(cell)
        record = train_cell(Cell("benchmark", args.dataset, corruption, args.n, args.seed, 1, args.model), SETTINGS,
                            cell / "data.pt", files, job=job)
        table = measure_cell(cell / "data.pt", files.init, files.final, files.record, cell / "measures.parquet",
                             measures=MEASURES, job=job)
        values = dict(zip(table["measure"], table["value"]))
        rows.append({"corruption": corruption, "device": record["device_name"], "status": record["status"],
                     "epochs": record["epochs"], "steps_to_fit": record["steps_to_fit"],
                     "train_s": round(record["wall_time_s"], 2), "total_s": round(time.perf_counter() - t0, 2),
                     **{k: round(values[k], 4) for k in ("train_error", "test_error", "spectral_product", "dist_init")}})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
