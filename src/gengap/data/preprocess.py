"""Turning stored images into network inputs, on the device, on whole tensors at once."""

from __future__ import annotations

import torch

PREPROCESSING = ("standardize", "scale01", "none")


def to_inputs(x: torch.Tensor, mode: str = "standardize") -> torch.Tensor:
    """uint8 (or float, pixel units) images -> float32 inputs.

    ``scale01``: pixels / 255 (the bounds_vs_n protocol, SPEC 1.2).
    ``standardize``: per-image (x - mean) / max(std, 1/sqrt(#values)), as in Zhang et al.
    ``none``: the stored values as float32 (synthetic data such as the hyperspheres).
    """
    if mode == "none":
        return x.float()
    x = x.float() / 255.0
    if mode == "scale01":
        return x
    if mode != "standardize":
        raise ValueError(f"unknown preprocessing {mode!r}; allowed: {', '.join(PREPROCESSING)}")
    flat = x.flatten(1)
    mean = flat.mean(dim=1, keepdim=True)
    std = flat.std(dim=1, keepdim=True, correction=0)
    floor = 1.0 / flat.shape[1] ** 0.5
    return ((flat - mean) / std.clamp_min(floor)).reshape(x.shape)
