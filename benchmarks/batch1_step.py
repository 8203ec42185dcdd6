"""A batch-1 SGD step of Nagarajan & Kolter's network against its memory limit.

A batch-1 step of ``mlp_5x1024_nobias`` is matrix-vector work: it computes ~10 MFLOP and streams
its 20 MB of weights several times, so the bound is memory, not arithmetic. The limit printed is
the bytes a step must stream (``gengap.flops.streamed_bytes_per_step``: every weight read by the
forward and the backward pass, its gradient written, read again with the weight by the update,
and the weight written: 6 x the weights) over the measured copy bandwidth. The step is gengap's
own (``gengap.train.loop.sgd_epoch``), timed ``--rounds`` times; the median is reported.

    python benchmarks/batch1_step.py                      # one thread, as a pipeline job runs
    python benchmarks/batch1_step.py --threads 2 --steps 2000
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from gengap.flops import copy_bandwidth, streamed_bytes_per_step
from gengap.models import build_model
from gengap.train.loop import sgd_epoch
from gengap.train.losses import LOSSES


def step_seconds(model: str, steps: int, batch: int = 1) -> float:
    torch.manual_seed(0)
    net = build_model(model, (1, 28, 28), 10)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(steps * batch, 1, 28, 28, generator=g), torch.randint(10, (steps * batch,), generator=g)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = LOSSES["sigmoid_cross_entropy"]
    order = torch.arange(len(y))
    sgd_epoch(net, opt, x[:batch * 20], y[:batch * 20], order[:batch * 20], batch, loss, lambda s: 0.1, 0, None,
              g)  # warm-up: allocator, kernels
    start = time.perf_counter()
    sgd_epoch(net, opt, x, y, order, batch, loss, lambda s: 0.1, 0, None, g)
    return (time.perf_counter() - start) / steps


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mlp_5x1024_nobias")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    bandwidth = copy_bandwidth()
    net = build_model(args.model, (1, 28, 28), 10)
    streamed = streamed_bytes_per_step(net)
    limit = streamed / bandwidth
    print(f"{args.model}, batch {args.batch}, {args.threads} thread(s), torch {torch.__version__}")
    print(f"copy bandwidth {bandwidth / 1e9:.1f} GB/s; {streamed / 1e6:.0f} MB streamed per unfused step "
          f"-> memory limit {limit * 1e3:.2f} ms per step")
    values = [step_seconds(args.model, args.steps, args.batch) for _ in range(args.rounds)]
    median = statistics.median(values)
    print(f"gengap's step {median * 1e3:6.2f} ms (median of {args.rounds}; min {min(values) * 1e3:.2f}, max "
          f"{max(values) * 1e3:.2f}): {median / limit:.2f}x the memory limit")


if __name__ == "__main__":
    main()
