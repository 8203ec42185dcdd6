"""Zhang et al.'s small AlexNet for 28x28 inputs (SPEC 1.1), and narrower members of its family.

[conv5x5 64 -> max-pool 3x3 stride 2 -> local response norm] x 2 -> linear 384 -> linear 192 ->
linear 10, with "same" padding (28 -> 14 -> 7), as in the TensorFlow CIFAR-10 tutorial model the
paper adapts: 1,387,786 parameters on 28x28x3 input. Dropout, when on, follows each hidden
linear layer.

``alexnet_c<channels>`` is the same network with ``channels`` filters per convolution instead of
64 (``alexnet_c64`` == ``alexnet_small``): the conv family at a size a CPU can train in the quick
preset (``alexnet_c16`` is ~6x cheaper per example than ``alexnet_small``).
"""

from __future__ import annotations

from torch import nn

from gengap.models.registry import MODELS, model


def small_alexnet(input_shape, num_classes: int, channels: int = 64, dropout: float = 0.0) -> nn.Sequential:
    in_channels, height, width = input_shape
    layers: list[nn.Module] = []
    for cin in (in_channels, channels):
        layers += [nn.Conv2d(cin, channels, 5, padding=2), nn.ReLU(),
                   nn.MaxPool2d(3, stride=2, padding=1),
                   nn.LocalResponseNorm(size=9, alpha=0.001, beta=0.75, k=1.0)]
    for _ in range(2):
        height, width = (height + 1) // 2, (width + 1) // 2
    layers.append(nn.Flatten())
    cin = channels * height * width
    for cout in (384, 192):
        layers += [nn.Linear(cin, cout), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        cin = cout
    layers.append(nn.Linear(cin, num_classes))
    return nn.Sequential(*layers)


@model("alexnet_small")
def alexnet_small(input_shape, num_classes, dropout: float = 0.0):
    return small_alexnet(input_shape, num_classes, 64, dropout)


@MODELS.register_pattern(r"alexnet_c([1-9]\d*)", "alexnet_c<channels> (channels >= 1)")
def narrow_alexnet(channels: str):
    """``alexnet_small`` with ``channels`` filters in each of its two convolutions."""

    def build(input_shape, num_classes, dropout: float = 0.0):
        return small_alexnet(input_shape, num_classes, int(channels), dropout)

    return build
