"""The model registry: ``@model("name")`` on a function ``(input_shape, num_classes) -> nn.Module``."""

from __future__ import annotations

import os
from typing import Callable

import torch
from torch import nn

from gengap.atomic import load_torch
from gengap.registry import Registry

ModelFactory = Callable[..., nn.Module]
MODELS: Registry[ModelFactory] = Registry("model")
model = MODELS.register


def build_model(name: str, input_shape: tuple[int, int, int], num_classes: int = 10,
                **options) -> nn.Module:
    """Build a registered model for inputs of shape (C, H, W)."""
    return MODELS[name](tuple(input_shape), num_classes, **options)


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def load_model(record: dict, state_path: str | os.PathLike | None = None,
               device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a trained cell's network from its record; load weights from ``state_path`` if given."""
    spec = record["model"]
    net = build_model(spec["name"], spec["input_shape"], spec["num_classes"], **spec["options"])
    if state_path is not None:
        net.load_state_dict(load_torch(state_path, map_location=device))
    return net.to(device)
