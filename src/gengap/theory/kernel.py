"""Minimum-norm kernel interpolation (Zhang et al. section 5) and the linear-model fact behind it.

K alpha = Y is solved exactly (one-hot Y, no ridge) in float64 by a tiled Cholesky
factorization that holds only the lower triangle of K, as square tiles: n^2/2 numbers instead of
the n^2 of K and another n^2 of its factor, so n = 60,000 needs about 15 GB instead of 58 GB.
Then iterative refinement (the residual Y - K alpha recomputed from the kernel, in float64, and
solved with the same factor) until ||K alpha - Y||_F / ||Y||_F <= ``tol``; the residual reached,
the RKHS norm, the peak memory and the time are reported with every cell. Only if the
factorization fails is a jitter added to the diagonal (1e-12 x mean diagonal, x10 until it
succeeds), and the jitter is reported. Nothing of size n x n other than the tiles exists.

Kernels: ``rbf`` (Gaussian exp(-||x - x'||^2 / (2 bandwidth^2)) on raw pixels, bandwidth from the
median heuristic unless given; gamma = 1 / (2 bandwidth^2)) and ``linear_features`` (linear kernel
on random ReLU features phi(x) = relu(W x) / sqrt(D), W Gaussian, D features, built one block of
features at a time: with D >= n the kernel has full rank, which a linear kernel on 784 raw pixels
does not for n > 784; its products K a are taken in feature space, phi (phi^T a), without K).
"""

from __future__ import annotations

import math
import resource
import time
from typing import Callable

import torch

from gengap.job import Job
from gengap.seeding import generator
from gengap.suites.kernel import KernelCell, MinNormSGDCell
from gengap.theory.registry import points, runner

BLOCK = 4096  # rows of a tile (float64: 128 MB at 4096 x 4096)
APPLY_BLOCK = 1024  # query rows of a product K(queries, x) a: 0.5 GB at n = 60,000
KERNELS = ("rbf", "linear_features")  # the names a kernel suite's `kernels` may hold


def median_bandwidth(x: torch.Tensor, gen: torch.Generator, sample: int = 2000) -> float:
    """Median pairwise Euclidean distance on a random subsample (the median heuristic)."""
    idx = torch.randperm(len(x), generator=gen)[:sample].to(x.device)
    d = torch.cdist(x[idx], x[idx])
    return d[torch.triu(torch.ones_like(d, dtype=torch.bool), diagonal=1)].median().item()


def solve_exact(K: torch.Tensor, Y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """alpha with K alpha = Y by one dense Cholesky; jitter (added to the diagonal in place and
    removed again) only if the factorization fails; the jitter used is returned. The reference the
    tiled solver is tested against."""
    jitter = 0.0
    scale = K.diagonal().mean().item()
    while True:
        K.diagonal().add_(jitter)
        L, info = torch.linalg.cholesky_ex(K)
        K.diagonal().sub_(jitter)
        if int(info) == 0:
            return torch.cholesky_solve(Y, L), jitter
        del L
        jitter = _next_jitter(jitter, scale)


def _next_jitter(jitter: float, scale: float) -> float:
    jitter = scale * 1e-12 if jitter == 0 else jitter * 10
    if jitter > scale:
        raise RuntimeError("kernel matrix is not positive definite even with jitter = its mean diagonal")
    return jitter


# --- kernels as tiles and products -------------------------------------------------------------

def tile_ranges(n: int, tile: int) -> list[range]:
    """Row ranges of ceil(n / tile) near-equal tiles."""
    count = max(1, math.ceil(n / tile))
    bounds = [round(i * n / count) for i in range(count + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


class RBFKernel:
    """exp(-gamma ||x - x'||^2) on the rows of ``x`` (float64), gamma = 1 / (2 bandwidth^2)."""

    def __init__(self, x: torch.Tensor, bandwidth: float):
        self.x, self.gamma = x, 1.0 / (2 * bandwidth**2)
        self.sq = x.pow(2).sum(1)

    def block(self, a: torch.Tensor, rows: range | None = None) -> torch.Tensor:
        """K(a, x[rows]) (all training points when rows is None)."""
        b = self.x if rows is None else self.x[rows.start : rows.stop]
        bsq = self.sq if rows is None else self.sq[rows.start : rows.stop]
        d2 = (a.pow(2).sum(1)[:, None] + bsq[None, :]).addmm_(a, b.T, alpha=-2).clamp_(min=0)
        return d2.mul_(-self.gamma).exp_()

    def lower_tiles(self, ranges: list[range]) -> dict[tuple[int, int], torch.Tensor]:
        return {(i, j): self.block(self.x[ri.start : ri.stop], rj)
                for i, ri in enumerate(ranges) for j, rj in enumerate(ranges[: i + 1])}

    def apply(self, queries: torch.Tensor, alpha: torch.Tensor, block: int = APPLY_BLOCK) -> torch.Tensor:
        """K(queries, x) @ alpha, a block of queries at a time."""
        return torch.cat([self.block(queries[i : i + block]) @ alpha for i in range(0, len(queries), block)])


class FeatureKernel:
    """phi(x) phi(x')^T, phi(x) = relu(W x) / sqrt(D) with W [d, D] Gaussian, block b of W drawn
    from its own seed (the same W whatever the block size of the products)."""

    def __init__(self, x: torch.Tensor, features: int, seed: int, block: int = 2048):
        self.x, self.features, self.seed, self.feature_block = x, features, seed, block

    def _weights(self):
        for start in range(0, self.features, self.feature_block):
            width = min(self.feature_block, self.features - start)
            yield torch.randn(self.x.shape[1], width, generator=generator(self.seed, "kernel_features", start),
                              dtype=torch.float64).to(self.x.device, self.x.dtype)

    def lower_tiles(self, ranges: list[range]) -> dict[tuple[int, int], torch.Tensor]:
        tiles = {(i, j): torch.zeros(len(ri), len(rj), dtype=self.x.dtype, device=self.x.device)
                 for i, ri in enumerate(ranges) for j, rj in enumerate(ranges[: i + 1])}
        for W in self._weights():  # each block of features once, then every tile
            F = torch.relu(self.x @ W)
            for (i, j), t in tiles.items():
                t.addmm_(F[ranges[i].start : ranges[i].stop], F[ranges[j].start : ranges[j].stop].T)
        for t in tiles.values():
            t.div_(self.features)
        return tiles

    def apply(self, queries: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """K(queries, x) @ alpha = phi(queries) (phi(x)^T alpha): no n x n product."""
        out = torch.zeros(len(queries), alpha.shape[1], dtype=alpha.dtype, device=alpha.device)
        for W in self._weights():
            out += torch.relu(queries @ W) @ (torch.relu(self.x @ W).T @ alpha)
        return out / self.features


# --- the tiled solver --------------------------------------------------------------------------

def tiled_cholesky(tiles: dict[tuple[int, int], torch.Tensor], count: int) -> bool:
    """Right-looking Cholesky in place on the lower tiles of an SPD matrix: afterwards tile (i, j)
    holds block (i, j) of L with K = L L^T. False if K is not positive definite."""
    for k in range(count):
        L, info = torch.linalg.cholesky_ex(tiles[k, k])
        if int(info) != 0:
            return False
        tiles[k, k] = L
        for i in range(k + 1, count):  # L_ik = A_ik L_kk^-T
            tiles[i, k] = torch.linalg.solve_triangular(L.T, tiles[i, k], upper=True, left=False)
        for j in range(k + 1, count):  # trailing update A_ij -= L_ik L_jk^T
            for i in range(j, count):
                tiles[i, j].addmm_(tiles[i, k], tiles[j, k].T, alpha=-1)
    return True


def tiled_solve(tiles: dict[tuple[int, int], torch.Tensor], ranges: list[range], R: torch.Tensor) -> torch.Tensor:
    """L L^T X = R from the factor's tiles: forward, then backward substitution by tiles."""
    z = [None] * len(ranges)
    for i, ri in enumerate(ranges):
        rhs = R[ri.start : ri.stop].clone()
        for j in range(i):
            rhs.addmm_(tiles[i, j], z[j], alpha=-1)
        z[i] = torch.linalg.solve_triangular(tiles[i, i], rhs, upper=False)
    x = [None] * len(ranges)
    for i in reversed(range(len(ranges))):
        rhs = z[i]
        for j in range(i + 1, len(ranges)):
            rhs.addmm_(tiles[j, i].T, x[j], alpha=-1)
        x[i] = torch.linalg.solve_triangular(tiles[i, i].T, rhs, upper=True)
    return torch.cat(x)


def solve_interpolation(kernel, Y: torch.Tensor, *, tile: int = BLOCK, tol: float = 1e-8, max_refinements: int = 5,
                        log: Callable[[str], None] = lambda m: None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """alpha with K alpha = Y (no ridge); returns alpha, K alpha and what the solve took: the jitter
    (0 unless the factorization failed), the refinement steps, the relative residual
    ||K alpha - Y||_F / ||Y||_F reached."""
    n = len(Y)
    ranges = tile_ranges(n, tile)
    jitter, scale = 0.0, None
    while True:
        t0 = time.perf_counter()
        tiles = kernel.lower_tiles(ranges)
        if scale is None:
            scale = torch.cat([tiles[i, i].diagonal() for i in range(len(ranges))]).mean().item()
        for i in range(len(ranges)):
            tiles[i, i].diagonal().add_(jitter)
        log(f"kernel: {len(tiles)} tiles of the lower triangle ({len(ranges)} x {len(ranges)} blocks of up to "
            f"{tile} rows) in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        if tiled_cholesky(tiles, len(ranges)):
            log(f"tiled Cholesky in {time.perf_counter() - t0:.0f} s (jitter {jitter:g})")
            break
        del tiles
        jitter = _next_jitter(jitter, scale)
        log(f"not positive definite: rebuilding with jitter {jitter:g}")
    alpha = tiled_solve(tiles, ranges, Y)
    y_norm = Y.norm().item()
    for step in range(max_refinements + 1):
        fitted = kernel.apply(kernel.x, alpha)
        residual = Y - fitted
        relative = residual.norm().item() / y_norm
        log(f"refinement {step}: relative residual {relative:.3g}")
        if relative <= tol or step == max_refinements:
            break
        alpha += tiled_solve(tiles, ranges, residual)
    return alpha, fitted, {"jitter": jitter, "refinements": step, "relative_residual": relative}


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def kernel_cell(train_x, train_y, test_x, test_y, *, kernel: str, num_classes: int, seed: int,
                bandwidth: float | None = None, features: int, device="cpu", tile: int = BLOCK,
                log: Callable[[str], None] = lambda m: None) -> dict:
    """Interpolate one-hot labels with the given kernel; report errors, the RKHS norm sqrt(alpha^T K
    alpha), the relative residual, the peak memory and the time."""
    t0 = time.perf_counter()
    xtr = train_x.flatten(1).double().to(device)
    xte = test_x.flatten(1).double().to(device)
    if kernel == "linear_features":
        K = FeatureKernel(xtr, features, seed)
    elif kernel == "rbf":
        bandwidth = bandwidth or median_bandwidth(xtr, generator(seed, "bandwidth"))
        K = RBFKernel(xtr, bandwidth)
    else:
        raise ValueError(f"unknown kernel {kernel!r}; allowed: {', '.join(KERNELS)}")
    Y = torch.nn.functional.one_hot(train_y.to(device), num_classes).double()
    alpha, fitted, solve = solve_interpolation(K, Y, tile=tile, log=log)
    rkhs = math.sqrt(max((alpha * fitted).sum().item(), 0.0))
    test_pred = K.apply(xte, alpha).argmax(1)
    return {"kernel": kernel, "n": len(train_y), "bandwidth": bandwidth,
            "gamma": 1 / (2 * bandwidth**2) if bandwidth else None,
            "train_error": (fitted.argmax(1).cpu() != train_y).float().mean().item(),
            "test_error": (test_pred.cpu() != test_y).float().mean().item(),
            "rkhs_norm": rkhs, **solve, "peak_memory_gb": peak_memory_gb(),
            "seconds": time.perf_counter() - t0}


def min_norm_sgd_cell(n: int, d: int, seed: int, *, epochs: int, batch_size: int = 10) -> dict:
    """SGD from w = 0 on the squared loss of an underdetermined X w = y (d > n) against the
    minimum-norm solution X^T (X X^T)^{-1} y; float64 throughout."""
    if d <= n:
        raise ValueError(f"the check needs d > n (got n = {n}, d = {d})")
    gen = generator(seed, "min_norm_sgd")
    X = torch.randn(n, d, generator=gen, dtype=torch.float64) / math.sqrt(d)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    w_min = X.T @ torch.linalg.solve(X @ X.T, y)
    w = torch.zeros(d, dtype=torch.float64)
    lr = 1.0 / X.pow(2).sum(1).max().item()  # stable for every single-row update
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            w -= lr * X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)
    return {"n": n, "d": d, "epochs": epochs,
            "relative_distance": ((w - w_min).norm() / w_min.norm()).item(),
            "train_residual": (X @ w - y).norm().item() / y.norm().item()}


# --- a cell of a kernel suite -------------------------------------------------------------------

@runner("kernel")
def run_kernel_cell(cell: KernelCell | MinNormSGDCell, dataset_path: str | None, job: Job) -> dict:
    """One cell of a ``kernel`` suite: an interpolation on the cell's n points, or an SGD
    minimum-norm check."""
    if isinstance(cell, MinNormSGDCell):
        return min_norm_sgd_cell(cell.n, cell.d, cell.seed, epochs=cell.epochs)
    data = points(cell.dataset, cell.n, cell.seed, dataset_path)
    return kernel_cell(data["train_x"], data["train_y"], data["test_x"], data["test_y"], kernel=cell.kernel,
                       num_classes=data["num_classes"], seed=cell.seed, bandwidth=cell.bandwidth,
                       features=cell.features, device=job.device, log=job.log)
