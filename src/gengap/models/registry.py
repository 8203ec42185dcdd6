"""The model registry: ``@model("name")`` on a function ``(input_shape, num_classes) -> nn.Module``."""

from __future__ import annotations

from typing import Callable

from torch import nn

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
