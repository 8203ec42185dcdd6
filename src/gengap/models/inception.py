"""Zhang et al.'s small Inception network for 28x28 inputs (their appendix; SPEC 1.1).

conv3x3 96 -> Inception(32,32), Inception(32,48), Downsample(80) -> Inception(112,48),
Inception(96,64), Inception(80,80), Inception(48,96), Downsample(96) -> Inception(176,160) x2 ->
global mean pool -> linear 10. A conv module is conv (with bias) + BatchNorm without affine
parameters + ReLU; ``inception_small_nobn`` drops the BatchNorm. 1,649,402 parameters on
28x28x3 input either way. Dropout, when switched on, acts before the final linear layer.
"""

from __future__ import annotations

import torch
from torch import nn

from gengap.models.registry import model


def conv_module(cin: int, cout: int, kernel: int, stride: int = 1, batchnorm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)]
    if batchnorm:
        layers.append(nn.BatchNorm2d(cout, affine=False))
    layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Inception(nn.Module):
    """concat(1x1 conv c1, 3x3 conv c3)."""

    def __init__(self, cin: int, c1: int, c3: int, batchnorm: bool):
        super().__init__()
        self.branch1 = conv_module(cin, c1, 1, batchnorm=batchnorm)
        self.branch3 = conv_module(cin, c3, 3, batchnorm=batchnorm)
        self.out_channels = c1 + c3

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x)], dim=1)


class Downsample(nn.Module):
    """concat(3x3 stride-2 conv c, 3x3 stride-2 max-pool)."""

    def __init__(self, cin: int, c: int, batchnorm: bool):
        super().__init__()
        self.conv = conv_module(cin, c, 3, stride=2, batchnorm=batchnorm)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.out_channels = c + cin

    def forward(self, x):
        return torch.cat([self.conv(x), self.pool(x)], dim=1)


def small_inception(input_shape, num_classes: int, batchnorm: bool, dropout: float = 0.0) -> nn.Sequential:
    channels = input_shape[0]
    layers: list[nn.Module] = [conv_module(channels, 96, 3, batchnorm=batchnorm)]
    cin = 96
    plan = [("i", 32, 32), ("i", 32, 48), ("d", 80), ("i", 112, 48), ("i", 96, 64), ("i", 80, 80),
            ("i", 48, 96), ("d", 96), ("i", 176, 160), ("i", 176, 160)]
    for step in plan:
        block = Inception(cin, step[1], step[2], batchnorm) if step[0] == "i" else Downsample(cin, step[1], batchnorm)
        layers.append(block)
        cin = block.out_channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(cin, num_classes))
    return nn.Sequential(*layers)


@model("inception_small")
def inception_small(input_shape, num_classes, dropout: float = 0.0):
    return small_inception(input_shape, num_classes, batchnorm=True, dropout=dropout)


@model("inception_small_nobn")
def inception_small_nobn(input_shape, num_classes, dropout: float = 0.0):
    return small_inception(input_shape, num_classes, batchnorm=False, dropout=dropout)
