"""Weight matrices of a network in [out, in] layout, the unit that norm measures combine.

Linear layers give their weight; convolutions give their kernel reshaped to
[out_channels, in_channels * kh * kw] (the usual matrix proxy for a convolution; its spectral
norm is not the operator norm of the convolution). Biases are not part of the matrices.
"""

from __future__ import annotations

import torch
from torch import nn


def weight_matrices(net: nn.Module) -> list[torch.Tensor]:
    mats = []
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            mats.append(module.weight.detach().double().flatten(1))
    if not mats:
        raise ValueError(f"{type(net).__name__} has no linear or convolutional layers")
    return mats


def layer_pairs(ctx) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(trained, initial) weight matrices per layer."""
    return list(zip(weight_matrices(ctx.net), weight_matrices(ctx.init)))


def spectral_norm(w: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(w, ord=2).item()


def frobenius_norm(w: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(w, ord="fro").item()
