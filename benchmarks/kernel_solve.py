"""Minimum-norm kernel interpolation at a given n: time, peak memory, residual, test error.

    python benchmarks/kernel_solve.py --dataset results/datasets/mnist.pt --n 60000 --kernel rbf --gamma 0.02

Runs one kernel cell (``gengap.theory.kernel.kernel_cell``: the tiled float64 Cholesky holding
only the lower triangle of K, then iterative refinement) on the first n points of a seeded
subset, and prints what the cell's row reports, with the machine's measured float64 matmul rate.
"""

from __future__ import annotations

import argparse
import math

import torch

from gengap.flops import matmul_rate
from gengap.theory.kernel import KERNELS, kernel_cell
from gengap.theory.registry import points


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, help="a decoded dataset file (results/datasets/<name>.pt)")
    ap.add_argument("--n", type=int, default=8000)
    ap.add_argument("--kernel", default="rbf", choices=KERNELS)
    ap.add_argument("--gamma", type=float, default=None, help="RBF exp(-gamma ||x - x'||^2); default: median heuristic")
    ap.add_argument("--features", type=int, default=65536)
    ap.add_argument("--tile", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rate = matmul_rate("cpu", torch.float64) / 1e12
    print(f"float64 matmul rate: {rate:.3f} TFLOP/s on {torch.get_num_threads()} threads", flush=True)
    name = args.dataset.rsplit("/", 1)[-1].removesuffix(".pt")
    data = points(name, args.n, 0, args.dataset)
    bandwidth = math.sqrt(1 / (2 * args.gamma)) if args.gamma else None
    row = kernel_cell(data["train_x"], data["train_y"], data["test_x"], data["test_y"], kernel=args.kernel,
                      num_classes=data["num_classes"], seed=0, bandwidth=bandwidth, features=args.features,
                      tile=args.tile, log=lambda m: print(f"  {m}", flush=True))
    for key, value in row.items():
        print(f"{key:>18}: {value:.6g}" if isinstance(value, float) else f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
