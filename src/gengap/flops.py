"""What a training step costs, and what the device can do: the numbers behind the throughput
benchmark (``benchmarks/throughput.py``) and the GPU-time projection (``gengap.project``).

FLOPs are counted by ``torch.utils.flop_counter`` on one real step (forward, loss, backward),
so they follow the model as built; the device's rates are *measured*, never taken from a
datasheet: a large matmul in the precision in use (compute-bound work) and a large copy (memory-
bound work, such as a batch-1 step, which streams every weight a few times and computes little).
"""

from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from gengap.data.preprocess import network_inputs
from gengap.data.sources import DATASETS
from gengap.models import build_model
from gengap.settings import TrainingSettings
from gengap.train.losses import LOSSES


def network_input_shape(dataset: str, settings: TrainingSettings) -> tuple[int, int, int]:
    """(C, H, W) a cell's network sees: the stored shape through the cell's own preprocessing."""
    return tuple(network_inputs(torch.zeros(1, *DATASETS[dataset].shape), settings).shape[1:])


def flops_per_example(model: str, input_shape, num_classes: int = 10, loss: str = "cross_entropy",
                      batch: int = 32) -> dict[str, float]:
    """FLOPs per training example of one SGD step (forward + loss + backward; the optimizer's
    few FLOPs per parameter are left out) and of one evaluation (forward only)."""
    torch.manual_seed(0)
    net = build_model(model, tuple(input_shape), num_classes)
    x = torch.randn(batch, *input_shape)
    y = torch.randint(num_classes, (batch,))
    with FlopCounterMode(display=False) as train:
        LOSSES[loss](net(x), y).backward()
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        net.eval()(x)
    return {"train": train.get_total_flops() / batch, "eval": forward.get_total_flops() / batch}


def matmul_rate(device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32, size: int | None = None,
                seconds: float = 1.0) -> float:
    """Measured FLOP/s of a square matmul (2 size^3 FLOPs) on ``device`` in ``dtype``: the rate
    the fractions of the benchmark are taken against."""
    device = torch.device(device)
    size = size or (8192 if device.type == "cuda" else 1024)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    a @ b  # warm-up
    sync()
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 3:
        a @ b
        runs += 1
        if runs % 10 == 0:
            sync()
    sync()
    return 2 * size**3 * runs / (time.perf_counter() - start)


def copy_bandwidth(device: str | torch.device = "cpu", megabytes: int = 256, seconds: float = 1.0) -> float:
    """Measured bytes/s of a large tensor copy (each byte counted once read and once written), on
    ``device`` with the threads torch uses: what bounds work that streams memory."""
    device = torch.device(device)
    src = torch.ones(megabytes << 18, device=device)  # float32: megabytes MiB
    dst = torch.empty_like(src)
    dst.copy_(src)  # warm-up: the pages exist
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or runs < 3:
        dst.copy_(src)
        runs += 1
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return 2 * src.numel() * src.element_size() * runs / (time.perf_counter() - start)


def streamed_bytes_per_step(net: torch.nn.Module) -> int:
    """The bytes an SGD step of a batch-1 network must stream at least, unfused: every weight read
    by the forward pass and by the backward pass, its gradient written, then read with the weight
    and the weight written back by the update (6 x the weights' bytes)."""
    return 6 * sum(p.numel() * p.element_size() for p in net.parameters())
