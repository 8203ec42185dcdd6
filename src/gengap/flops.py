"""What a training step costs, and what the device can do: the two numbers behind the throughput
benchmark (``benchmarks/throughput.py``) and the GPU-time projection (``gengap.project``).

FLOPs are counted by ``torch.utils.flop_counter`` on one real step (forward, loss, backward),
so they follow the model as built; the device's rate is *measured* with a large matmul in the
precision in use, never taken from a datasheet.
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
