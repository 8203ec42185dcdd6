import math

import pytest
import torch

from gengap.suites.kernel import feature_kernel, kernel_cell, kernel_matrix, median_bandwidth, min_norm_sgd_cell, solve_exact


def test_kernel_matrix_in_blocks_equals_the_direct_formula():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(37, 5, generator=g, dtype=torch.float64)
    K = kernel_matrix(x, x, "rbf", bandwidth=1.5, block=8)
    direct = torch.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / (2 * 1.5**2))
    assert torch.allclose(K, direct, atol=1e-12)
    assert torch.allclose(kernel_matrix(x, x, "linear", block=5), x @ x.T)


def test_feature_kernel_in_blocks_equals_one_feature_matrix():
    from gengap.seeding import generator

    g = torch.Generator().manual_seed(3)
    x = torch.randn(20, 6, generator=g, dtype=torch.float64)
    K = feature_kernel(x, x[:7], features=10, seed=1, block=4)
    W = torch.cat([torch.randn(6, w, generator=generator(1, "kernel_features", s), dtype=torch.float64)
                   for s, w in ((0, 4), (4, 4), (8, 2))], dim=1)
    assert torch.allclose(K, torch.relu(x @ W) @ torch.relu(x[:7] @ W).T / 10)


def test_median_heuristic():
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)  # distances 1, 2, 3
    assert median_bandwidth(x, torch.Generator().manual_seed(0)) == 2.0


def test_exact_solve_interpolates_and_reports_jitter_only_when_needed():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(50, 4, generator=g, dtype=torch.float64)
    K = kernel_matrix(x, x, "rbf", bandwidth=1.0)
    Y = torch.randn(50, 3, generator=g, dtype=torch.float64)
    alpha, jitter = solve_exact(K, Y)
    assert jitter == 0.0 and torch.allclose(K @ alpha, Y, atol=1e-8)
    singular = torch.ones(4, 4, dtype=torch.float64)  # rank one: Cholesky fails without jitter
    _, jitter = solve_exact(singular, torch.ones(4, 1, dtype=torch.float64))
    assert jitter > 0 and torch.equal(singular, torch.ones(4, 4, dtype=torch.float64))  # K restored


@pytest.mark.parametrize("kernel", ["rbf", "linear_features"])
def test_interpolation_has_zero_training_error_and_beats_chance(kernel):
    g = torch.Generator().manual_seed(2)
    centers = torch.randn(3, 10, generator=g) * 3
    y = torch.randint(3, (300,), generator=g)
    x = centers[y] + torch.randn(300, 10, generator=g)
    row = kernel_cell(x[:200], y[:200], x[200:], y[200:], kernel=kernel, num_classes=3, seed=0, features=1024)
    assert row["train_error"] == 0.0
    assert row["test_error"] < 0.2
    assert row["rkhs_norm"] > 0 and math.isfinite(row["rkhs_norm"])


def test_sgd_from_zero_meets_the_minimum_norm_solution():
    row = min_norm_sgd_cell(n=30, d=200, seed=0, epochs=1000)
    assert row["relative_distance"] < 1e-8
    assert row["train_residual"] < 1e-8
    with pytest.raises(ValueError, match="d > n"):
        min_norm_sgd_cell(n=30, d=20, seed=0)
