"""Zhang et al.'s small AlexNet for 28x28 inputs (SPEC 1.1).

[conv5x5 64 -> max-pool 3x3 stride 2 -> local response norm] x 2 -> linear 384 -> linear 192 ->
linear 10, with "same" padding (28 -> 14 -> 7), as in the TensorFlow CIFAR-10 tutorial model the
paper adapts: 1,387,786 parameters on 28x28x3 input. Dropout, when on, follows each hidden
linear layer.
"""

from __future__ import annotations

import math

from torch import nn

from gengap.models.registry import model


@model("alexnet_small")
def alexnet_small(input_shape, num_classes, dropout: float = 0.0):
    channels, height, width = input_shape
    layers: list[nn.Module] = []
    for cin in (channels, 64):
        layers += [nn.Conv2d(cin, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1),
                   nn.LocalResponseNorm(size=9, alpha=0.001, beta=0.75, k=1.0)]
    for _ in range(2):
        height, width = (height + 1) // 2, (width + 1) // 2
    layers.append(nn.Flatten())
    cin = 64 * height * width
    for cout in (384, 192):
        layers += [nn.Linear(cin, cout), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        cin = cout
    layers.append(nn.Linear(cin, num_classes))
    return nn.Sequential(*layers)
