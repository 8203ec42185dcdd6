"""bounds_vs_n cells outside Snakemake (for a GPU machine without it): for each n, train on S1
and S2 from one shared initialization, measure, and print the fitted log-log slopes.

    GENGAP_DATA_ROOT=../shared/data python benchmarks/bounds_on_device.py --model mlp_5x1024_nobias \
        --n 128 256 512 1024 2048 4096 8192 --loss sigmoid_cross_entropy --out /tmp/bvn
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from gengap.data.sources import data_root, prepare_dataset
from gengap.data.training_set import write_training_set
from gengap.measures.cell import measure_cell
from gengap.report.slopes import slopes
from gengap.cell import Cell
from gengap.job import Job, resolve_device
from gengap.settings import TrainingSettings
from gengap.train.cell import CellFiles, train_cell

MEASURES = ["train_error", "test_error", "margins", "vc", "frobenius_bound", "dist_init", "dist_s2", "bartlett17",
            "neyshabur18", "neyshabur18_init", "path_norm", "pacbayes_mag_flatness", "pacbayes_init"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--model", default="mlp_5x1024_nobias")
    ap.add_argument("--n", type=int, nargs="+", default=[128, 256, 512, 1024, 2048, 4096])
    ap.add_argument("--loss", default="cross_entropy")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--max-epochs", type=int, default=3000)
    ap.add_argument("--preprocess", default="scale01")
    ap.add_argument("--flatness-points", type=int, default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default="bounds_out")
    args = ap.parse_args()
    settings = TrainingSettings(lr=args.lr, momentum=0.0, batch_size=64, max_epochs=args.max_epochs,
                                preprocess=args.preprocess, loss=args.loss,
                                stop={"criterion": "margin", "gamma": 10.0, "fraction": 0.99})
    job = Job(log=lambda m: None, device=resolve_device(args.device))
    out = Path(args.out)
    dataset = out / f"{args.dataset}.pt"
    prepare_dataset(args.dataset, data_root(), dataset)
    tables = []
    for n in args.n:
        cells = {}
        for draw in (1, 2):
            d = out / f"n{n}" / f"draw{draw}"
            write_training_set(dataset, n, 0, "true", d / "data.pt", draw=draw)
            rec = train_cell(Cell("bounds_vs_n", args.dataset, "true", n, 0, draw, args.model), settings,
                             d / "data.pt", CellFiles.in_folder(d), job=job)
            cells[draw] = d
            print(f"n={n} draw={draw}: {rec['status']} after {rec['epochs']} epochs, {rec['wall_time_s']:.1f}s", flush=True)
        d = cells[1]
        tables.append(measure_cell(d / "data.pt", d / "init.pt", d / "final.pt", d / "record.json", d / "measures.parquet",
                                   measures=MEASURES, options={"flatness_points": args.flatness_points},
                                   other_draw_path=cells[2] / "final.pt", job=job))
    table = pd.concat(tables, ignore_index=True)
    table.to_parquet(out / "summary.parquet")
    wide = table.pivot_table(index="n", columns="measure", values="value")
    print(wide[[c for c in ["test_error", "dist_init", "dist_s2", "bartlett17", "neyshabur18_init", "frobenius_bound",
                            "path_norm_bound", "pacbayes_init", "margins_p10"] if c in wide]].to_string(float_format="%.4g"))
    s = slopes(table)
    s = s[s["pooled"]][["measure", "slope", "ci_low", "ci_high"]]
    print(s.to_string(index=False, float_format="%+.3f"))
    s.to_csv(out / "slopes.csv", index=False)


if __name__ == "__main__":
    main()
