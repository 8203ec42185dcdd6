import math

import pytest
import torch

from gengap.seeding import generator
from gengap.theory.kernel import (FeatureKernel, RBFKernel, kernel_cell, median_bandwidth, min_norm_sgd_cell,
                                  solve_exact, solve_interpolation, tile_ranges)


def full(kernel, n):
    """The whole matrix from the kernel's lower tiles (one tile)."""
    return kernel.lower_tiles([range(n)])[0, 0]


def test_rbf_kernel_equals_the_direct_formula_in_tiles_and_products():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(37, 5, generator=g, dtype=torch.float64)
    K = RBFKernel(x, bandwidth=1.5)
    direct = torch.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / (2 * 1.5**2))
    assert K.gamma == pytest.approx(1 / 4.5)
    ranges = tile_ranges(37, 8)
    assert [len(r) for r in ranges] == [7, 8, 7, 8, 7] and ranges[-1].stop == 37
    for (i, j), t in K.lower_tiles(ranges).items():
        assert i >= j and torch.allclose(t, direct[ranges[i].start : ranges[i].stop, ranges[j].start : ranges[j].stop],
                                         atol=1e-12)
    a = torch.randn(37, 3, generator=g, dtype=torch.float64)
    assert torch.allclose(K.apply(x[:10], a, block=4), direct[:10] @ a, atol=1e-12)


def test_feature_kernel_in_blocks_equals_one_feature_matrix():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(20, 6, generator=g, dtype=torch.float64)
    W = torch.cat([torch.randn(6, w, generator=generator(1, "kernel_features", s), dtype=torch.float64)
                   for s, w in ((0, 4), (4, 4), (8, 2))], dim=1)
    phi = torch.relu(x @ W)
    K = FeatureKernel(x, features=10, seed=1, block=4)  # W in blocks of 4 features
    tiles = K.lower_tiles(tile_ranges(20, 7))
    assert [(r.start, r.stop) for r in tile_ranges(20, 7)] == [(0, 7), (7, 13), (13, 20)]
    assert torch.allclose(tiles[2, 1], phi[13:20] @ phi[7:13].T / 10)
    a = torch.randn(20, 2, generator=g, dtype=torch.float64)
    assert torch.allclose(K.apply(x[:5], a), phi[:5] @ phi.T @ a / 10)  # in feature space, no n x n


def test_median_heuristic():
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)  # distances 1, 2, 3
    assert median_bandwidth(x, torch.Generator().manual_seed(0)) == 2.0


@pytest.mark.parametrize("kernel", ["rbf", "linear_features"])
def test_tiled_solve_equals_the_dense_cholesky_solve(kernel):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(300, 8, generator=g, dtype=torch.float64)
    K = RBFKernel(x, bandwidth=2.0) if kernel == "rbf" else FeatureKernel(x, features=600, seed=0, block=256)
    Y = torch.randn(300, 3, generator=g, dtype=torch.float64)
    reference, jitter = solve_exact(full(K, 300), Y)
    assert jitter == 0.0
    for tile in (64, 100, 300):  # 5 tiles, 3 tiles, one tile
        alpha, fitted, info = solve_interpolation(K, Y, tile=tile)
        assert torch.allclose(alpha, reference, rtol=1e-8, atol=1e-8 * reference.abs().max().item())
        assert info["relative_residual"] <= 1e-8 and info["jitter"] == 0.0
        assert torch.allclose(fitted, full(K, 300) @ alpha, atol=1e-10)


def test_jitter_only_when_the_factorization_fails():
    singular = torch.ones(4, 4, dtype=torch.float64)  # rank one: Cholesky fails without jitter
    _, jitter = solve_exact(singular, torch.ones(4, 1, dtype=torch.float64))
    assert jitter > 0 and torch.equal(singular, torch.ones(4, 4, dtype=torch.float64))  # K restored
    x = torch.zeros(6, 2, dtype=torch.float64)  # six identical points: K is all ones
    _, _, info = solve_interpolation(RBFKernel(x, 1.0), torch.ones(6, 1, dtype=torch.float64), tile=2)
    assert info["jitter"] > 0 and info["relative_residual"] < 1e-6


@pytest.mark.parametrize("kernel", ["rbf", "linear_features"])
def test_interpolation_has_zero_training_error_and_beats_chance(kernel):
    g = torch.Generator().manual_seed(2)
    centers = torch.randn(3, 10, generator=g) * 3
    y = torch.randint(3, (300,), generator=g)
    x = centers[y] + torch.randn(300, 10, generator=g)
    row = kernel_cell(x[:200], y[:200], x[200:], y[200:], kernel=kernel, num_classes=3, seed=0, features=1024, tile=64)
    assert row["train_error"] == 0.0 and row["relative_residual"] <= 1e-6
    assert row["test_error"] < 0.2
    assert row["rkhs_norm"] > 0 and math.isfinite(row["rkhs_norm"]) and row["peak_memory_gb"] > 0


def test_sgd_from_zero_meets_the_minimum_norm_solution():
    row = min_norm_sgd_cell(n=30, d=200, seed=0, epochs=1000)
    assert row["relative_distance"] < 1e-8
    assert row["train_residual"] < 1e-8
    with pytest.raises(ValueError, match="d > n"):
        min_norm_sgd_cell(n=30, d=20, seed=0, epochs=1000)


def test_overview_line_gives_each_dataset_its_own_errors():
    import pandas as pd
    from gengap.suites.kinds import KINDS
    rows = [dict(kind="kernel", dataset=d, kernel="rbf", n=n, seed=0, train_error=0.0, test_error=e)
            for d, errors in (("mnist", (0.04, 0.013)), ("fashion_mnist", (0.16, 0.11))) for n, e in zip((4000, 60000), errors)]
    line = KINDS["kernel"].describe(pd.DataFrame(rows))
    assert "mnist rbf test error 0.04 (n = 4000), 0.013 (n = 60000)" in line
    assert "fashion_mnist rbf test error 0.16 (n = 4000), 0.11 (n = 60000)" in line
    assert "0.1 (n" not in line and "0.0615" not in line  # no mean over the datasets
    one = KINDS["kernel"].describe(pd.DataFrame(rows[:2]))
    assert "; rbf test error 0.04 (n = 4000)" in one


def test_kernel_figure_legend_lies_below_the_axis_label():
    import pandas as pd
    from gengap.report.figures import FIGURES, plt
    rows = [dict(kind="kernel", dataset=d, kernel="rbf", n=n, seed=0, train_error=0.0, test_error=e, rkhs_norm=10.0 * n ** 0.5)
            for d, errors in (("mnist", (0.04, 0.013)), ("fashion_mnist", (0.16, 0.11))) for n, e in zip((4000, 60000), errors)]
    rows += [dict(kind="min_norm_sgd", n=n, d=2000, seed=0, relative_distance=r) for n, r in ((100, 4.4e-15), (400, 2.1e-14))]
    fig = FIGURES["kernel"](pd.DataFrame(rows), None)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend, axis = ax.get_legend().get_window_extent(renderer), ax.xaxis.get_tightbbox(renderer)
    assert legend.y1 <= axis.y0, "the legend covers the x axis's labels"
    plt.close(fig)
