"""Weight matrices of a network in [out, in] layout, the unit that norm measures combine.

Linear layers give their weight; convolutions give their kernel reshaped to
[out_channels, in_channels * kh * kw] (the usual matrix proxy for a convolution; its spectral
norm is not the operator norm of the convolution). Biases are not part of the matrices.
BatchNorm is folded into the preceding layer first (SPEC 2), using its running statistics.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@torch.no_grad()
def fold_batchnorm(net: nn.Module) -> nn.Module:
    """A copy of ``net`` in eval mode where every BatchNorm that directly follows a linear or
    convolutional layer inside a Sequential is folded into it (and replaced by Identity)."""
    net = copy.deepcopy(net).eval()
    for seq in [m for m in net.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for prev, name in zip(names, names[1:]):
            layer, bn = seq._modules[prev], seq._modules[name]
            if not (isinstance(layer, _WEIGHTED) and isinstance(bn, _NORMS)):
                continue
            scale = (bn.running_var + bn.eps).rsqrt()
            shift = -bn.running_mean * scale
            if bn.affine:
                shift = shift * bn.weight + bn.bias
                scale = scale * bn.weight
            if layer.bias is None:
                layer.bias = nn.Parameter(torch.zeros_like(scale))
            layer.weight.mul_(scale.reshape(-1, *[1] * (layer.weight.ndim - 1)))
            layer.bias.copy_(layer.bias * scale + shift)
            seq._modules[name] = nn.Identity()
    remaining = [m for m in net.modules() if isinstance(m, _NORMS)]
    if remaining:
        raise ValueError(f"{len(remaining)} BatchNorm layers do not follow a linear/conv layer; cannot fold")
    return net


def weight_matrices(net: nn.Module) -> list[torch.Tensor]:
    mats = []
    for module in net.modules():
        if isinstance(module, _WEIGHTED):
            mats.append(module.weight.detach().double().flatten(1))
    if not mats:
        raise ValueError(f"{type(net).__name__} has no linear or convolutional layers")
    return mats


def layer_pairs(ctx) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(trained, initial) weight matrices per layer, BatchNorm folded."""
    return list(zip(weight_matrices(ctx.folded), weight_matrices(ctx.folded_init)))


def norm_2_1(w: torch.Tensor) -> float:
    """||W||_{2,1}: the sum over rows (output units) of each row's l2 norm."""
    return w.norm(dim=1).sum().item()


def spectral_norm(w: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(w, ord=2).item()


def frobenius_norm(w: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(w, ord="fro").item()
