import pytest
import torch

from gengap.suites.expressivity import (DuplicatePointsError, ProjectionReLUNet, build_depth_k,
                                        build_two_layer, expressivity_cell, residuals)


def points(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), g


@pytest.mark.parametrize("n,d", [(1, 3), (2, 1), (50, 10), (300, 784)])
def test_two_layer_network_interpolates_any_labelling_with_2n_plus_d_params(n, d):
    z, g = points(n, d)
    for y in (torch.randn(n, generator=g, dtype=torch.float64) * 10,  # arbitrary reals
              torch.randint(10, (n,), generator=g).double()):  # random class labels
        net, report = build_two_layer(z, y, g)
        assert isinstance(net, ProjectionReLUNet)
        assert sum(p.numel() for p in net.parameters()) == 2 * n + d
        assert torch.allclose(net(z), y, atol=1e-6 * max(1.0, report["condition_1norm"] * 1e-10))
        assert residuals(net, z, y)["residual_float64"] < 1e-6


def test_thresholds_interleave_the_sorted_projections():
    z, g = points(40, 5)
    net, _ = build_two_layer(z, torch.zeros(40, dtype=torch.float64), g)
    x = (z @ net.a.detach()).sort().values
    b = net.b.detach()
    assert torch.all(b < x) and torch.all(b[1:] > x[:-1])  # b_1 < x_1 < b_2 < x_2 < ... < b_n < x_n


@pytest.mark.parametrize("k", [2, 3, 7])
def test_depth_k_variant_interpolates_with_width_n_over_k(k):
    n, d = 60, 8
    z, g = points(n, d, seed=1)
    y = torch.randint(10, (n,), generator=g).double()
    net, report = build_depth_k(z, y, k, g)
    assert report["width"] == -(-n // k) + 3
    assert residuals(net, z, y)["residual_float64"] < 1e-6
    assert report["nonzero_weights"] <= d + 1 + 4 * n + 6 * k  # d + O(n) non-zero weights
    hidden = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert len(hidden) == k + 2  # projection, k blocks, output


def test_duplicate_points_fail_loudly():
    z, g = points(10, 4)
    z[7] = z[2]
    with pytest.raises(DuplicatePointsError, match=r"points \[2, 7\] are identical"):
        build_two_layer(z, torch.arange(10).double(), g)


def test_cell_report():
    z, _ = points(100, 20)
    row = expressivity_cell(z, torch.randint(2, (100,)).double(), depth=1, seed=0)
    assert row["params"] == row["params_2n_plus_d"] == 220
    assert row["min_gap"] > 0 and row["condition_1norm"] >= 1
    assert row["residual_float64"] < 1e-8 and row["residual_float32"] >= 0
