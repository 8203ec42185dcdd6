"""Multi-layer perceptrons (Zhang et al.'s MLP 1x512 and 3x512)."""

from __future__ import annotations

import math

from torch import nn

from gengap.models.registry import MODELS, model


def relu_mlp(in_features: int, widths: list[int], num_classes: int, bias: bool = True,
             dropout: float = 0.0) -> nn.Sequential:
    """flatten -> [linear -> ReLU (-> dropout)] per width -> linear to the classes."""
    layers: list[nn.Module] = [nn.Flatten()]
    for width in widths:
        layers += [nn.Linear(in_features, width, bias=bias), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        in_features = width
    layers.append(nn.Linear(in_features, num_classes, bias=bias))
    return nn.Sequential(*layers)


@model("mlp_1x512")
def mlp_1x512(input_shape, num_classes, dropout: float = 0.0):
    return relu_mlp(math.prod(input_shape), [512], num_classes, dropout=dropout)


@model("mlp_3x512")
def mlp_3x512(input_shape, num_classes, dropout: float = 0.0):
    return relu_mlp(math.prod(input_shape), [512] * 3, num_classes, dropout=dropout)


@MODELS.register_pattern(r"mlp_([1-9]\d*)x([1-9]\d*)_nobias", "mlp_<depth>x<width>_nobias (depth, width >= 1)")
def bias_free_mlp(depth: str, width: str):
    """Nagarajan & Kolter's network: ``depth`` hidden ReLU layers of ``width``, no biases,
    Glorot (Xavier) uniform initialization. ``mlp_5x1024_nobias`` is their MNIST network;
    ``mlp_1x100000_nobias`` their hypersphere network."""

    def build(input_shape, num_classes, dropout: float = 0.0):
        net = relu_mlp(math.prod(input_shape), [int(width)] * int(depth), num_classes, bias=False,
                       dropout=dropout)
        for layer in net:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
        return net

    return build


@MODELS.register_pattern(r"mlp_([1-9]\d*)x([1-9]\d*)_tf1", "mlp_<depth>x<width>_tf1 (depth, width >= 1)")
def tf1_mlp(depth: str, width: str):
    """``depth`` hidden ReLU layers of ``width`` with biases, initialized as Nagarajan's notebook
    (uniform-convergence.ipynb, ``linear``) gets them from TensorFlow 1: Glorot-uniform weights,
    and biases of shape [1, out] made by ``tf.get_variable`` without an initializer, which TF 1
    fills Glorot-uniform too: U(-a, a) with a = sqrt(6 / (1 + out))."""

    def build(input_shape, num_classes, dropout: float = 0.0):
        net = relu_mlp(math.prod(input_shape), [int(width)] * int(depth), num_classes, dropout=dropout)
        for layer in net:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                bound = math.sqrt(6 / (1 + layer.out_features))
                nn.init.uniform_(layer.bias, -bound, bound)
        return net

    return build


@MODELS.register_pattern(r"mlp_([1-9]\d*)x([1-9]\d*)_xavier", "mlp_<depth>x<width>_xavier (depth, width >= 1)")
def xavier_mlp(depth: str, width: str):
    """``depth`` hidden ReLU layers of ``width`` with biases, Glorot (Xavier) uniform weights and
    zero biases (TensorFlow's defaults, as in Nagarajan & Kolter's hypersphere network)."""

    def build(input_shape, num_classes, dropout: float = 0.0):
        net = relu_mlp(math.prod(input_shape), [int(width)] * int(depth), num_classes, dropout=dropout)
        for layer in net:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
        return net

    return build


@MODELS.register_pattern(r"mlp_([1-9]\d*)x([1-9]\d*)", "mlp_<depth>x<width> (depth, width >= 1)")
def mlp_with_biases(depth: str, width: str):
    """``depth`` hidden ReLU layers of ``width`` with biases, PyTorch's default initialization.
    (A bias-free ReLU net is positively homogeneous, so it cannot separate concentric spheres:
    the hypersphere suite needs biases.)"""

    def build(input_shape, num_classes, dropout: float = 0.0):
        return relu_mlp(math.prod(input_shape), [int(width)] * int(depth), num_classes, dropout=dropout)

    return build
