import pytest
import torch

from fractions import Fraction

from gengap.theory.expressivity import (DuplicatePointsError, ProjectionReLUNet, build_depth_k, build_two_layer,
                                        exact_outputs, expressivity_cell, residuals, solve_running_sums, thresholds)


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
        assert residuals(net, z, y)["residual_float64"] < 1e-6
        assert report["residual_exact"] <= 1e-10 * y.abs().max().item()  # only w rounded to float64


def test_running_sums_solve_equals_the_dense_triangular_solve():
    # the O(n) construction against the dense one it replaces: A_ij = max(x_i - b_j, 0), A w = y
    g = torch.Generator().manual_seed(4)
    xs = torch.randn(400, generator=g, dtype=torch.float64).sort().values
    b = thresholds(xs)
    y = torch.randint(10, (400,), generator=g).double()
    A = torch.relu(xs[:, None] - b[None, :])
    assert torch.equal(A, A.tril())
    dense = torch.linalg.solve_triangular(A, y[:, None], upper=False).squeeze(1)
    w = solve_running_sums(xs, b, y)
    assert torch.allclose(w, dense, rtol=0, atol=1e-8 * dense.abs().max().item())  # |w| reaches 1.2e7 here

    def exact_error(weights):  # the network on x in rational arithmetic: only the weights' rounding
        return max(abs(c - Fraction(v)) for c, v in zip(exact_outputs(xs, b, weights), y.tolist()))

    assert exact_error(w) < 1e-9 and exact_error(w) < exact_error(dense) / 100  # exact sums: 4e-11 vs 2.6e-6
    assert [float(c) for c in exact_outputs(xs, b, w)] == pytest.approx((A @ w).tolist(), abs=1e-5)


def test_network_is_evaluated_in_blocks_without_an_n_by_n_matrix():
    z, g = points(3000, 5)
    y = torch.randint(10, (3000,), generator=g).double()
    net, _ = build_two_layer(z, y, g)
    assert net.BLOCK < 3000
    p = z @ net.a.detach()
    assert torch.allclose(net(z), torch.relu(p[:, None] - net.b.detach()[None]) @ net.w.detach())


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
    assert row["min_gap"] > 0 and row["max_abs_weight"] > 0
    assert row["residual_float64"] < 1e-8 and row["residual_float32"] >= 0 and row["residual_exact"] < 1e-12
