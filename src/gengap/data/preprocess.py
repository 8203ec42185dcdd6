"""Turning stored images into network inputs, on the device, on whole tensors at once."""

from __future__ import annotations

import torch

from gengap.settings import PREPROCESSING, TrainingSettings


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
    return standardize(x)


def standardize(x: torch.Tensor) -> torch.Tensor:
    """Per-image (x - mean) / max(std, 1/sqrt(#values))."""
    flat = x.flatten(1)
    mean = flat.mean(dim=1, keepdim=True)
    std = flat.std(dim=1, keepdim=True, correction=0)
    floor = 1.0 / flat.shape[1] ** 0.5
    return ((flat - mean) / std.clamp_min(floor)).reshape(x.shape)


def network_inputs(x: torch.Tensor, settings: TrainingSettings) -> torch.Tensor:
    """Stored images -> the inputs a cell's network sees in evaluation: images larger than
    ``crop_size`` are centre-cropped (CIFAR-10: 32 -> 28) before the preprocessing."""
    if x.ndim == 4 and x.shape[-1] > settings.crop_size and settings.preprocess != "none":
        x = centre_crop(x, settings.crop_size)
    return to_inputs(x, settings.preprocess)


def centre_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top : top + size, left : left + size]
