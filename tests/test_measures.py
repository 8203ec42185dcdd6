import math

import numpy as np
import pytest
import torch
from torch import nn

from gengap.measures import MEASURES, MeasureContext, compute_measures


def two_layer_net(w1, w2, b1=None):
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor(w1))
        net[1].bias.copy_(torch.tensor(b1 or [0.0, 0.0]))
        net[3].weight.copy_(torch.tensor(w2))
        net[3].bias.zero_()
    return net


@pytest.fixture
def ctx():
    # W1 = [[3, 0], [0, 4]] (spectral 4, Frobenius 5); W2 = [[1, 2], [2, 4]] (rank 1: spectral = Frobenius = 5)
    net = two_layer_net([[3.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]])
    init = two_layer_net([[3.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 2.0]])
    # inputs chosen so the logits are known: f(x) = W2 relu(W1 x)
    x = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[-1.0, 0.0]], [[0.0, -1.0]]])
    # f = [3, 6], [8, 16], [0, 0], [0, 0] -> argmax 1, 1, 0 (tie -> first), 0
    y_train = torch.tensor([1, 1, 0, 1])  # one training error in four
    y_test = torch.tensor([0, 1, 0, 0])  # one test error in four... on the first point
    return MeasureContext(net=net, init=init, train_x=x, train_y=y_train, test_x=x, test_y=y_test)


def test_errors_and_gap(ctx):
    rows = {r["measure"]: r["value"] for r in compute_measures(ctx, ["train_error", "test_error", "gap", "params"])}
    assert rows["train_error"] == 0.25
    assert rows["test_error"] == 0.25
    assert rows["gap"] == 0.0
    assert rows["params"] == 2 * 2 + 2 + 2 * 2 + 2


def test_norm_products_against_hand_values(ctx):
    rows = {r["measure"]: r["value"] for r in compute_measures(ctx, ["spectral_product", "frobenius_product"])}
    assert rows["spectral_product"] == pytest.approx(4.0 * 5.0)
    assert rows["frobenius_product"] == pytest.approx(5.0 * 5.0)


def test_dist_init_against_hand_value(ctx):
    # W1 - W1^0 = [[0, 0], [0, 3]], W2 - W2^0 = [[0, 0], [0, 2]] -> sqrt(9 + 4); biases are not weights
    assert MEASURES["dist_init"](ctx) == pytest.approx(math.sqrt(13.0))


def test_norms_match_float64_numpy_on_random_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    init = nn.Sequential(nn.Flatten(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    x = torch.randn(10, 1, 7)
    ctx = MeasureContext(net=net, init=init, train_x=x, train_y=torch.zeros(10, dtype=torch.long),
                         test_x=x, test_y=torch.zeros(10, dtype=torch.long))
    ws = [net[1].weight.detach().double().numpy(), net[3].weight.detach().double().numpy()]
    w0 = [init[1].weight.detach().double().numpy(), init[3].weight.detach().double().numpy()]
    assert MEASURES["spectral_product"](ctx) == pytest.approx(np.prod([np.linalg.norm(w, 2) for w in ws]), rel=1e-12)
    assert MEASURES["frobenius_product"](ctx) == pytest.approx(np.prod([np.linalg.norm(w) for w in ws]), rel=1e-12)
    assert MEASURES["dist_init"](ctx) == pytest.approx(
        math.sqrt(sum(np.linalg.norm(a - b) ** 2 for a, b in zip(ws, w0))), rel=1e-12)


def test_a_failing_measure_gives_nan_and_its_error(ctx):
    ctx.net = nn.Sequential(nn.Flatten(), nn.ReLU())  # no weight matrices
    ctx.init = ctx.net
    (row,) = compute_measures(ctx, ["spectral_product"])
    assert math.isnan(row["value"]) and "no linear or convolutional layers" in row["error"]
