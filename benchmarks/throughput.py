"""Training throughput of the paper's models against what the device can do.

For each model of the paper grid it trains one cell with gengap's loop (``gengap.train.loop.fit``:
data on the device, evaluation only at the end) and prints FLOPs per example (counted by
``torch.utils.flop_counter``), examples/s, steps/s, achieved TFLOP/s and the fraction of the
device's matmul rate, which it measures first (a large matmul in the precision in use).

    python benchmarks/throughput.py                                  # the paper grid, CUDA if present
    python benchmarks/throughput.py --device cpu --n 512 --epochs 1 --matmul-size 512   # tiny, CPU
    python benchmarks/throughput.py --precision tf32 --models mlp_1x512 alexnet_small

Each line is ``model input batch``; the efficiency it prints is what ``python -m gengap.project
--efficiency`` takes.
"""

from __future__ import annotations

import argparse
import time

import torch

from gengap.flops import copy_bandwidth, flops_per_example, matmul_rate
from gengap.models import build_model
from gengap.settings import TrainingSettings
from gengap.train.loop import fit

# (model, input shape, batch): Zhang et al.'s models on 28x28x3 and x1, Nagarajan & Kolter's
# network at batch 64 and batch 1
PAPER_GRID = [(m, s, 128) for m in ("inception_small", "alexnet_small", "mlp_1x512", "mlp_3x512")
              for s in ((3, 28, 28), (1, 28, 28))] + [("mlp_5x1024_nobias", (1, 28, 28), 64),
                                                     ("mlp_5x1024_nobias", (1, 28, 28), 1)]


def measure(model: str, shape, batch: int, n: int, epochs: int, device: torch.device, precision: str) -> dict:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, *shape, generator=g).to(device)
    y = torch.randint(10, (n,), generator=g).to(device)
    torch.manual_seed(0)
    net = build_model(model, shape, 10).to(device)
    settings = TrainingSettings(batch_size=batch, max_epochs=epochs, eval_every=epochs, precision=precision,
                                stop={"criterion": "epochs"})
    fit(net, x[: min(n, 4 * batch)], y[: min(n, 4 * batch)], settings.replace(max_epochs=1), seed=0,
        log=lambda m: None)  # warm-up: kernels, allocator
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = fit(net, x, y, settings, seed=0, log=lambda m: None)
    seconds = time.perf_counter() - start
    flops = flops_per_example(model, shape, batch=min(batch, 32) if batch > 1 else 1)
    # the final evaluation's forward pass over n examples is part of the time, so of the work
    work = epochs * n * flops["train"] + n * flops["eval"]
    return {"model": model, "input": "x".join(map(str, shape)), "batch": batch,
            "flops_per_example": flops["train"], "examples_per_s": epochs * n / seconds,
            "steps_per_s": out.steps / seconds, "tflops": work / seconds / 1e12}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--models", nargs="*", help="only these models of the paper grid")
    ap.add_argument("--n", type=int, default=50_000, help="training examples per cell")
    ap.add_argument("--n-batch1", type=int, default=2_000, help="training examples for the batch-1 line")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--precision", default="float32", choices=["float32", "tf32", "bf16"])
    ap.add_argument("--matmul-size", type=int, help="side of the rate-measuring matmul (default 8192 CUDA, 1024 CPU)")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    torch.backends.cuda.matmul.allow_tf32 = args.precision == "tf32"  # for the rate measurement only
    rate = matmul_rate(device, dtype, args.matmul_size)
    torch.backends.cuda.matmul.allow_tf32 = False
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    print(f"device {name}; measured {args.precision} matmul rate {rate / 1e12:.3g} TFLOP/s, copy bandwidth "
          f"{copy_bandwidth(device) / 1e9:.3g} GB/s; torch {torch.__version__}")
    print(f"{'model':<20} {'input':<8} {'batch':>5} {'MFLOP/ex':>9} {'ex/s':>10} {'steps/s':>9} {'TFLOP/s':>8} {'of rate':>8}")
    for model, shape, batch in PAPER_GRID:
        if args.models and model not in args.models:
            continue
        n = args.n_batch1 if batch == 1 else args.n
        r = measure(model, shape, batch, n, args.epochs, device, args.precision)
        print(f"{r['model']:<20} {r['input']:<8} {r['batch']:>5} {r['flops_per_example'] / 1e6:>9.2f} "
              f"{r['examples_per_s']:>10.0f} {r['steps_per_s']:>9.0f} {r['tflops']:>8.3g} "
              f"{r['tflops'] * 1e12 / rate:>8.1%}")


if __name__ == "__main__":
    main()
