"""Every SPEC 2 bound against values computed by hand on a network with known weights."""

import math

import pytest
import torch
from torch import nn

from gengap.measure_options import MeasureOptions
from gengap.measures import MEASURES, MeasureContext, compute_measures
from gengap.measures import pacbayes
from gengap.measures.hypersphere import s_prime
from gengap.measures.layers import fold_batchnorm, norm_2_1


def bias_free(w1, w2):
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor(w1))
        net[3].weight.copy_(torch.tensor(w2))
    return net


W1, W2 = [[3.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]  # ||W1||_2 = 4, ||W1||_F = 5; ||W2||_2 = ||W2||_F = 5
W1_0, W2_0 = [[3.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 2.0]]  # W - W0 = diag(0, 3) and diag(0, 2)
X = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[-1.0, 0.0]], [[0.0, -1.0]]])  # B = 1, m = 4
GAMMA, DELTA = 2.0, 0.01


def context(repeat=1, **kw):
    x = X.repeat(repeat, 1, 1)
    y = torch.tensor([1, 1, 0, 0]).repeat(repeat)
    return MeasureContext(net=bias_free(W1, W2), init=bias_free(W1_0, W2_0), train_x=x, train_y=y,
                          test_x=x, test_y=y, options=MeasureOptions(gamma=GAMMA, delta=DELTA), **kw)


def rows(ctx, *names):
    return {r["measure"]: r["value"] for r in compute_measures(ctx, list(names))}


def test_2_1_norm_sums_row_norms_one_per_output_unit():
    assert norm_2_1(torch.tensor([[3.0, 4.0], [0.0, 0.0]])) == 5.0  # columns would give 3 + 4 = 7
    assert norm_2_1(torch.tensor([[3.0, 0.0], [4.0, 0.0]])) == 7.0


def test_frobenius_bound():
    r = rows(context(), "frobenius_bound")
    numerator = 1 * (math.sqrt(2 * math.log(2) * 2) + 1) * 5 * 5
    assert r["frobenius_bound_numerator"] == pytest.approx(numerator)
    assert r["frobenius_bound"] == pytest.approx(numerator / (GAMMA * math.sqrt(4)))


def test_bartlett17():
    r = rows(context(), "bartlett17")
    # (2,1) norms of W - W0: 3 and 2; spectral norms 4 and 5
    numerator = 1 * 4 * 5 * ((3 / 4) ** (2 / 3) + (2 / 5) ** (2 / 3)) ** 1.5
    assert r["bartlett17_numerator"] == pytest.approx(numerator)
    assert r["bartlett17"] == pytest.approx(numerator / 4)


def test_bartlett17_paper_and_code_orientation_of_the_2_1_norm():
    # W1 - W1_0 = [[3, 4], [0, 0]]: rows (paper, per output unit) 5 + 0; columns (code) 3 + 4
    ctx = MeasureContext(net=bias_free([[3.0, 4.0], [0.0, 4.0]], W2), init=bias_free([[0.0, 0.0], [0.0, 4.0]], W2_0),
                         train_x=X, train_y=torch.tensor([1, 1, 0, 0]), test_x=X, test_y=torch.tensor([1, 1, 0, 0]),
                         options=MeasureOptions(gamma=GAMMA, delta=DELTA))
    s1 = torch.linalg.matrix_norm(torch.tensor([[3.0, 4.0], [0.0, 4.0]]), ord=2).item()
    r = rows(ctx, "bartlett17", "bartlett17_nk")
    # W2 - W2_0 = diag(0, 2): rows and columns agree (2)
    assert r["bartlett17_numerator"] == pytest.approx(s1 * 5 * ((5 / s1) ** (2 / 3) + (2 / 5) ** (2 / 3)) ** 1.5)
    assert r["bartlett17_nk_numerator"] == pytest.approx(s1 * 5 * ((7 / s1) ** (2 / 3) + (2 / 5) ** (2 / 3)) ** 1.5)
    assert r["bartlett17_nk"] == pytest.approx(r["bartlett17_nk_numerator"] / (GAMMA * 2))


def test_neyshabur18_and_from_init():
    r = rows(context(), "neyshabur18", "neyshabur18_init")
    front = 1 * 2 * math.sqrt(2) * 4 * 5  # B L sqrt(h) prod spectral
    assert r["neyshabur18"] == pytest.approx(front * math.sqrt(25 / 16 + 25 / 25) / 4)
    assert r["neyshabur18_init"] == pytest.approx(front * math.sqrt(9 / 16 + 4 / 25) / 4)


def test_neyshabur19_two_layer():
    r = rows(context(), "neyshabur19")
    # U0 x_i = (3,0), (0,1), (-3,0), (0,-1) -> ||[U0 x]_+||^2 = 9, 1, 0, 0; ||U - U0||_F = 3; ||x|| = 1; ||V||_F = 5
    R = 3 * math.sqrt(2) * (math.sqrt(2 * 2) + 1) * (5 + 1) * (math.sqrt(10 / 4) + 3 * 1 + 1) / GAMMA
    N = (R + 3 * math.sqrt(5 * 2 + math.log(max(1, GAMMA * 2) / DELTA))) ** 2
    assert r["neyshabur19_numerator"] == pytest.approx(N)
    assert r["neyshabur19"] == pytest.approx(math.sqrt(N / 4))


def test_neyshabur19_as_plotted_by_nagarajan_kolter():
    r = rows(context(), "neyshabur19_nk")
    # B ||V||_F (||U - U0||_F + ||U0||_2) = 1 * 5 * (3 + 3); / (gamma sqrt m) = / 4
    assert r["neyshabur19_nk_numerator"] == pytest.approx(30.0)
    assert r["neyshabur19_nk"] == pytest.approx(7.5)


def test_neyshabur19_refuses_deeper_networks():
    ctx = context()
    ctx.net = ctx.init = nn.Sequential(nn.Flatten(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    (row,) = compute_measures(ctx, ["neyshabur19"])
    assert math.isnan(row["value"]) and "two-layer" in row["error"]


def test_path_norm():
    r = rows(context(), "path_norm")
    # W1^2 1 = (9, 16); W2^2 = [[1, 4], [4, 16]] -> (9 + 64, 36 + 256): sum 365
    assert r["path_norm"] == pytest.approx(math.sqrt(365))
    assert r["path_norm_bound"] == pytest.approx(math.sqrt(365) * 1 / (GAMMA * 2))


def test_vc_bound():
    r = rows(context(repeat=250), "vc")  # m = 1000, W = 8 weights, L = 2: V = 2 * 8 * 3 = 48
    assert r["vc_numerator"] == 48
    assert r["vc"] == pytest.approx(math.sqrt(8 / 1000 * (48 * math.log(2 * math.e * 1000 / 48) + math.log(4 / DELTA))))
    assert rows(context(), "vc")["vc"] == math.inf  # m = 4 < V / 2e: vacuous


def test_dist_s2():
    ctx = context(other=bias_free(W1_0, W2_0))
    assert MEASURES["dist_s2"](ctx) == pytest.approx(math.sqrt(9 + 4))
    (row,) = compute_measures(context(), ["dist_s2"])
    assert "second draw" in row["error"]


def test_margin_distribution_and_gamma_choice():
    ctx = context()  # f = (3, 6), (8, 16), (0, 0), (0, 0); y = 1, 1, 0, 0 -> margins 3, 8, 0, 0
    r = rows(ctx, "margins")
    assert r["margins_gamma"] == GAMMA and r["margins_median"] == pytest.approx(1.5)
    q = torch.quantile(torch.tensor([3.0, 8.0, 0.0, 0.0], dtype=torch.float64), torch.tensor([0.05, 0.1], dtype=torch.float64))
    assert (r["margins_p05"], r["margins_p10"]) == pytest.approx(q.tolist())
    ctx = context()
    ctx.options = MeasureOptions()
    ctx.stop_rule = {"criterion": "margin", "gamma": 12.0, "fraction": 0.99}
    assert ctx.gamma == 12.0  # the stopping rule's gamma
    ctx = context()
    ctx.options = MeasureOptions()
    ctx.stop_rule = {"criterion": "margin"}
    assert ctx.gamma == 10.0  # the margin rule's own default (its signature: the one place it is defined)
    ctx = context()
    ctx.options = MeasureOptions()
    assert math.isnan(ctx.gamma)  # 10th percentile margin is 0: no positive gamma


def test_flatness_noise_is_a_standard_deviation_not_a_variance():
    w = torch.tensor([2.0, -0.5, 0.0])
    std = pacbayes.noise_std(w, 0.1, magnitude=True)
    assert std.tolist() == pytest.approx([math.sqrt(0.01 * 4 + 1e-6), math.sqrt(0.01 * 0.25 + 1e-6), 1e-3])
    assert pacbayes.noise_std(w, 0.1, magnitude=False).tolist() == pytest.approx([0.1] * 3)
    # and the perturbation actually applied has that spread
    net = nn.Sequential(nn.Linear(1, 20_000, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(2.0)
    moved = pacbayes.perturb(net, 0.3, True, torch.Generator().manual_seed(1))
    delta = moved[0].weight - net[0].weight
    assert delta.std().item() == pytest.approx(math.sqrt(0.09 * 4 + 1e-6), rel=0.02)


def test_flatness_search_finds_the_largest_sigma_within_tolerance(monkeypatch):
    ctx = context()  # training error 0
    calls = []

    def fake_error(net, x, y, sigma, magnitude, gen):  # error grows smoothly with sigma
        calls.append(sigma)
        return sigma / 5

    monkeypatch.setattr(pacbayes, "perturbed_error", fake_error)
    sigma, points = pacbayes.flatness_sigma(ctx, magnitude=True)
    assert sigma == pytest.approx(0.5, rel=1e-3) and sigma <= 0.5  # 0.5 / 5 = 0 + 0.1
    assert len(calls) == 1 + pacbayes.STEPS and points == len(ctx.train_y)
    monkeypatch.setattr(pacbayes, "perturbed_error", lambda *a: 0.0)  # perfectly flat
    assert pacbayes.flatness_sigma(ctx, magnitude=False)[0] == pytest.approx(pacbayes.SIGMA_RANGE[1])
    ctx.options = MeasureOptions(flatness_points=2)  # a sample: the first 2 points, and the record says so
    assert pacbayes.flatness_sigma(ctx, magnitude=False)[1] == 2


def test_flatness_search_on_a_real_network_respects_the_tolerance():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 10, generator=g)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 2))
    y = net(x).argmax(1)  # the network is exact on its own labels: training error 0
    ctx = MeasureContext(net=net, init=net, train_x=x, train_y=y, test_x=x, test_y=y)
    for magnitude in (True, False):
        sigma, _ = pacbayes.flatness_sigma(ctx, magnitude=magnitude)
        assert pacbayes.SIGMA_RANGE[0] < sigma < pacbayes.SIGMA_RANGE[1]
        err = lambda s: pacbayes.perturbed_error(net, x, y, s, magnitude, torch.Generator().manual_seed(9))
        assert err(sigma / 3) < 0.1 < err(sigma * 3)


def test_pacbayes_values_follow_their_formulas(monkeypatch):
    monkeypatch.setattr(pacbayes, "flatness_sigma", lambda ctx, magnitude: (0.25 if magnitude else 0.5, 4))
    r = rows(context(), "pacbayes_mag_flatness", "pacbayes_init")
    assert r["pacbayes_mag_flatness"] == pytest.approx(1 / 0.25**2)
    assert r["pacbayes_init"] == pytest.approx(math.sqrt((13 / (4 * 0.25) + math.log(4 / 0.5) + 10) / 4))
    assert r["pacbayes_init_sigma"] == 0.5 and r["pacbayes_init_points"] == 4


def test_batchnorm_is_folded_into_the_preceding_layer():
    torch.manual_seed(0)
    for affine in (False, True):
        net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, affine=affine), nn.ReLU(), nn.Flatten(),
                            nn.Linear(12, 4, bias=False), nn.BatchNorm1d(4, affine=affine))
        net.train()
        for _ in range(5):
            net(torch.randn(16, 2, 4, 4) * 3 + 1)  # give the running statistics non-trivial values
        if affine:
            with torch.no_grad():
                for m in net.modules():
                    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                        m.weight.uniform_(0.5, 2)
                        m.bias.uniform_(-1, 1)
        net.eval()
        folded = fold_batchnorm(net)
        x = torch.randn(8, 2, 4, 4)
        assert torch.allclose(folded(x), net(x), atol=1e-5)
        assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in folded.modules())
        assert net.training is False and any(isinstance(m, nn.BatchNorm2d) for m in net.modules())  # original untouched


def test_s_prime_moves_points_to_the_other_sphere_and_flips_labels():
    x = torch.tensor([[3.0, 4.0], [0.0, 5.5]]) / torch.tensor([[5.0], [5.0]])  # radii 1 and 1.1
    xp, yp = s_prime(x, torch.tensor([0, 1]))
    assert xp.norm(dim=1).tolist() == pytest.approx([1.1, 1.0])
    assert yp.tolist() == [1, 0]


class _ByRadius(nn.Module):
    """Classifies by the sphere a point lies on (radius below or above ``cut``): right on S′ too."""

    def __init__(self, cut):
        super().__init__()
        self.cut = cut

    def forward(self, x):
        r = x.flatten(1).norm(dim=1, keepdim=True)
        return torch.cat([self.cut - r, r - self.cut], dim=1)


def test_the_uniform_convergence_lower_bound_is_what_s_prime_proves():
    """|error on S′ − test error|: 1 − test error only where every point of S′ is misclassified.
    A classifier that gets S′ right proves nothing (bound 0), where 1 − test error would say 1."""
    x = torch.tensor([[[-1.0, 0.0]], [[0.0, -1.0]], [[1.1, 0.0]], [[0.0, 1.1]]])  # radii 1, 1, 1.1, 1.1
    y = torch.tensor([0, 0, 1, 1])
    linear = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False))  # by direction: S′ all wrong
    with torch.no_grad():
        linear[1].weight.copy_(torch.tensor([[-1.0, -1.0], [1.0, 1.0]]))
    test_y = torch.tensor([0, 0, 1, 0])  # one test point wrong for both networks: test error 1/4
    values = {}
    for name, net in (("linear", linear), ("radius", _ByRadius(1.05))):
        ctx = MeasureContext(net=net, init=net, train_x=x, train_y=y, test_x=x, test_y=test_y,
                             dataset="hypersphere_d2_outer110")
        values[name] = {r["measure"]: r["value"] for r in compute_measures(ctx, ["test_error", "sprime_error", "uc_lower_bound"])}
    assert values["linear"] == {"test_error": 0.25, "sprime_error": 1.0, "uc_lower_bound": 0.75}
    assert values["radius"] == {"test_error": 0.25, "sprime_error": 0.0, "uc_lower_bound": 0.25}
