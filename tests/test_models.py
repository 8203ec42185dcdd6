import pytest
import torch

from gengap.models import MODELS, build_model, count_params
from gengap.registry import UnknownNameError

# SPEC 1.1: parameter counts on 28x28x3 input.
EXPECTED_PARAMS = {"inception_small": 1_649_402, "inception_small_nobn": 1_649_402, "alexnet_small": 1_387_786,
                   "mlp_1x512": 1_209_866, "mlp_3x512": 1_735_178}


@pytest.mark.parametrize("name,expected", EXPECTED_PARAMS.items())
def test_parameter_counts_on_28x28x3(name, expected):
    assert count_params(build_model(name, (3, 28, 28), 10)) == expected


@pytest.mark.parametrize("name", [*MODELS, "mlp_2x64_nobias", "mlp_1x64_xavier"])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 28, 28)])
def test_every_model_runs_on_grey_and_colour_input(name, shape):
    net = build_model(name, shape, 10)
    assert net(torch.randn(4, *shape)).shape == (4, 10)


def test_unknown_model_lists_the_allowed_names():
    with pytest.raises(UnknownNameError, match="unknown model 'resnet'; allowed: alexnet_small, inception_small, inception_small_nobn, mlp_1x512"):
        build_model("resnet", (1, 28, 28))


def test_dropout_switch_adds_dropout_layers():
    net = build_model("mlp_3x512", (1, 28, 28), 10, dropout=0.5)
    assert sum(isinstance(m, torch.nn.Dropout) for m in net.modules()) == 3
    assert count_params(net) == count_params(build_model("mlp_3x512", (1, 28, 28), 10))


def test_bias_free_mlp_family_by_name():
    net = build_model("mlp_5x1024_nobias", (1, 28, 28), 10)
    assert count_params(net) == 784 * 1024 + 4 * 1024 * 1024 + 1024 * 10  # no biases
    assert all(not isinstance(m, torch.nn.Linear) or m.bias is None for m in net.modules())
    w = net[3].weight  # Glorot uniform: std sqrt(2 / (fan_in + fan_out))
    assert w.std().item() == pytest.approx((2 / 2048) ** 0.5, rel=0.02)
    with pytest.raises(UnknownNameError, match="mlp_<depth>x<width>_nobias"):
        build_model("mlp_5x_nobias", (1, 28, 28))


def test_xavier_mlp_has_biases_glorot_weights_and_zero_biases():
    net = build_model("mlp_1x3000_xavier", (1, 1, 1000), 2)  # the hypersphere network's shape
    assert count_params(net) == 1000 * 3000 + 3000 + 3000 * 2 + 2
    assert net[1].weight.std().item() == pytest.approx((2 / 4000) ** 0.5, rel=0.02)
    assert net[3].weight.std().item() == pytest.approx((2 / 3002) ** 0.5, rel=0.05)
    assert all(m.bias.abs().sum() == 0 for m in net.modules() if isinstance(m, torch.nn.Linear))
    default = build_model("mlp_1x3000", (1, 1, 1000), 2)  # PyTorch's init: std 1/sqrt(3 fan_in)
    assert default[1].weight.std().item() == pytest.approx((1 / 3000) ** 0.5, rel=0.02)


def test_inception_batchnorm_has_no_affine_parameters_and_nobn_has_none():
    bn = [m for m in build_model("inception_small", (3, 28, 28)).modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bn) == 1 + 2 * 8 + 2 and all(not m.affine for m in bn)  # stem, 8 inceptions, 2 downsamples
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in build_model("inception_small_nobn", (3, 28, 28)).modules())


def test_narrow_alexnet_family_by_name():
    assert count_params(build_model("alexnet_c64", (3, 28, 28))) == EXPECTED_PARAMS["alexnet_small"]
    c = 16  # two 5x5 convs, then 7x7xc features into 384 -> 192 -> 10
    expected = (3 * 25 * c + c) + (c * 25 * c + c) + (49 * c * 384 + 384) + (384 * 192 + 192) + (192 * 10 + 10)
    assert count_params(build_model("alexnet_c16", (3, 28, 28))) == expected == 384_922
    assert [m.out_channels for m in build_model("alexnet_c16", (1, 28, 28)).modules()
            if isinstance(m, torch.nn.Conv2d)] == [16, 16]
