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

from gengap.data.sources import data_root, prepare_dataset
from gengap.data.training_set import write_training_set
from gengap.measures.cell import measure_cell
from gengap.train.cell import train_cell

SETTINGS = dict(lr=0.01, momentum=0.9, weight_decay=0.0, dropout=0.0, batch_size=128, lr_decay=0.95,
                lr_decay_examples=50_000, max_epochs=300, eval_every=1, preprocess="standardize",
                stop={"criterion": "train_accuracy", "target": 1.0})
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
    for corruption in args.corruption:
        cell = out / corruption
        write_training_set(dataset, args.n, args.seed, corruption, cell / "data.pt")
        t0 = time.perf_counter()
        record = train_cell(cell / "data.pt", init_path=cell / "init.pt", final_path=cell / "final.pt",
                            history_path=cell / "history.parquet", record_path=cell / "record.json",
                            cell={"corruption": corruption, "n": args.n}, model_name=args.model,
                            settings=SETTINGS, seed=args.seed, device=args.device, log=lambda m: None)
        table = measure_cell(cell / "data.pt", cell / "init.pt", cell / "final.pt", cell / "record.json",
                             cell / "measures.parquet", measures=MEASURES, device=args.device, log=lambda m: None)
        values = dict(zip(table["measure"], table["value"]))
        rows.append({"corruption": corruption, "device": record["device_name"], "status": record["status"],
                     "epochs": record["epochs"], "steps_to_fit": record["steps_to_fit"],
                     "train_s": round(record["wall_time_s"], 2), "total_s": round(time.perf_counter() - t0, 2),
                     **{k: round(values[k], 4) for k in ("train_error", "test_error", "spectral_product", "dist_init")}})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
