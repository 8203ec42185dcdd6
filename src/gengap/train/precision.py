"""Arithmetic precision of the training steps, a training setting (``precision``) recorded with
the cell: ``float32`` (default: true float32 matmuls and convolutions, TF32 off even where
PyTorch would allow it), ``tf32`` (TF32 tensor cores for matmuls and convolutions on Ampere and
later GPUs; no effect on a CPU) or ``bf16`` (bfloat16 autocast of the forward pass and loss;
weights, gradients and the optimizer stay float32). Evaluation (the stopping rule, measures)
always runs in float32.
"""

from __future__ import annotations

import contextlib
from typing import Callable, ContextManager, Iterator

import torch

from gengap.settings import PRECISIONS


@contextlib.contextmanager
def training_precision(name: str, device: torch.device) -> Iterator[Callable[[], ContextManager]]:
    """Sets the TF32 switches for the duration (restored after) and yields the context to wrap
    each forward pass in (bf16 autocast, or nothing)."""
    if name not in PRECISIONS:
        raise ValueError(f"precision = {name!r}; allowed: {', '.join(PRECISIONS)}")
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = name == "tf32"
    try:
        if name == "bf16":
            yield lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        else:
            yield contextlib.nullcontext
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
