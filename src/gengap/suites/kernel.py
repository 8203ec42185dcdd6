"""Minimum-norm kernel interpolation (Zhang et al. section 5) and the linear-model fact behind it.

K alpha = Y is solved exactly (one-hot Y, no ridge) by Cholesky in float64; only if the
factorization fails is a jitter added (1e-12 x mean diagonal, x10 until it succeeds), and the
jitter is reported. Kernel matrices are built in row blocks so that no [n, n, d] intermediate
exists; predictions on the test set are made block by block as well.

Kernels: ``rbf`` (Gaussian on raw pixels, bandwidth from the median heuristic unless given) and
``linear_features`` (linear kernel on random ReLU features phi(x) = relu(W x) / sqrt(D), W Gaussian,
D features, accumulated over blocks of features: with D >= n the kernel has full rank, which a
linear kernel on 784 raw pixels does not for n > 784).
"""

from __future__ import annotations

import math
import time

import torch

from gengap.seeding import generator
from gengap.suites.kinds import SuiteKind, register_kind
from gengap.suites.run import points

BLOCK = 4096
KERNELS = ("rbf", "linear_features")  # the names a kernel suite's `kernels` may hold


def median_bandwidth(x: torch.Tensor, gen: torch.Generator, sample: int = 2000) -> float:
    """Median pairwise Euclidean distance on a random subsample (the median heuristic)."""
    idx = torch.randperm(len(x), generator=gen)[:sample].to(x.device)
    d = torch.cdist(x[idx], x[idx])
    return d[torch.triu(torch.ones_like(d, dtype=torch.bool), diagonal=1)].median().item()


def kernel_matrix(x1: torch.Tensor, x2: torch.Tensor, kind: str, bandwidth: float | None = None,
                  block: int = BLOCK) -> torch.Tensor:
    rows = []
    for i in range(0, len(x1), block):
        a = x1[i : i + block]
        if kind == "rbf":
            rows.append(torch.exp(-torch.cdist(a, x2).pow(2) / (2 * bandwidth**2)))
        elif kind == "linear":
            rows.append(a @ x2.T)
        else:
            raise ValueError(f"unknown kernel {kind!r}; allowed: rbf, linear")
    return torch.cat(rows)


def feature_kernel(x1: torch.Tensor, x2: torch.Tensor, features: int, seed: int,
                   block: int = BLOCK) -> torch.Tensor:
    """phi(x1) phi(x2)^T for phi(x) = relu(W x) / sqrt(D), W Gaussian [d, D], summed over blocks
    of features so that no [n, D] matrix is ever held; block b of W comes from its own seed."""
    K = torch.zeros(len(x1), len(x2), dtype=x1.dtype, device=x1.device)
    for start in range(0, features, block):
        width = min(block, features - start)
        W = torch.randn(x1.shape[1], width, generator=generator(seed, "kernel_features", start),
                        dtype=torch.float64).to(x1.device, x1.dtype)
        K += torch.relu(x1 @ W) @ torch.relu(x2 @ W).T
    return K / features


def solve_exact(K: torch.Tensor, Y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """alpha with K alpha = Y by Cholesky; jitter (added to the diagonal in place and removed
    again) only if the factorization fails; the jitter used is returned."""
    jitter = 0.0
    scale = K.diagonal().mean().item()
    while True:
        K.diagonal().add_(jitter)
        L, info = torch.linalg.cholesky_ex(K)
        K.diagonal().sub_(jitter)
        if int(info) == 0:
            return torch.cholesky_solve(Y, L), jitter
        del L
        jitter = scale * 1e-12 if jitter == 0 else jitter * 10
        if jitter > scale:
            raise RuntimeError("kernel matrix is not positive definite even with jitter = its mean diagonal")


def kernel_cell(train_x, train_y, test_x, test_y, *, kernel: str, num_classes: int, seed: int,
                bandwidth: float | None = None, features: int = 8192, device="cpu") -> dict:
    """Interpolate one-hot labels with the given kernel; report errors and the RKHS norm."""
    t0 = time.perf_counter()
    xtr = train_x.flatten(1).double().to(device)
    xte = test_x.flatten(1).double().to(device)
    if kernel == "linear_features":
        def gram(a, b):
            return feature_kernel(a, b, features, seed)
    elif kernel == "rbf":
        bandwidth = bandwidth or median_bandwidth(xtr, generator(seed, "bandwidth"))

        def gram(a, b):
            return kernel_matrix(a, b, "rbf", bandwidth)
    else:
        raise ValueError(f"unknown kernel {kernel!r}; allowed: {', '.join(KERNELS)}")
    Y = torch.nn.functional.one_hot(train_y.to(device), num_classes).double()
    K = gram(xtr, xtr)
    alpha, jitter = solve_exact(K, Y)
    train_pred = (K @ alpha).argmax(1)
    rkhs = math.sqrt(max((alpha * (K @ alpha)).sum().item(), 0.0))
    del K
    test_pred = torch.cat([(gram(xte[i : i + BLOCK], xtr) @ alpha).argmax(1) for i in range(0, len(xte), BLOCK)])
    return {"kernel": kernel, "n": len(train_y), "bandwidth": bandwidth,
            "train_error": (train_pred.cpu() != train_y).float().mean().item(),
            "test_error": (test_pred.cpu() != test_y).float().mean().item(),
            "rkhs_norm": rkhs, "jitter": jitter, "seconds": time.perf_counter() - t0}


def min_norm_sgd_cell(n: int, d: int, seed: int, epochs: int = 2000, batch_size: int = 10) -> dict:
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


# --- the suite kind ---------------------------------------------------------------------------

def kernel_cells(suite: str, s: dict) -> dict[str, dict]:
    """datasets x kernels x n x seeds interpolation cells, then the SGD minimum-norm checks
    (cells with ``kind: min_norm_sgd``, on synthetic least-squares problems, no dataset)."""
    out = {f"{d}/{kernel}/n{n}/seed{seed}": dict(kind="kernel", dataset=d, kernel=kernel, n=n, seed=seed,
                                                 bandwidth=s["bandwidth"], features=s["features"])
           for d in s["datasets"] for kernel in s["kernels"] for n in s["n"] for seed in s["seeds"]}
    sgd = s["sgd_check"]
    for n in sgd["n"]:
        for seed in s["seeds"]:
            out[f"min_norm_sgd/n{n}/d{sgd['d']}/seed{seed}"] = dict(kind="min_norm_sgd", n=n, d=sgd["d"],
                                                                   epochs=sgd["epochs"], seed=seed)
    return out


def run_kernel_cell(spec: dict, dataset_path: str | None, device: str = "cpu") -> dict:
    if spec["kind"] == "min_norm_sgd":
        return min_norm_sgd_cell(spec["n"], spec["d"], spec["seed"], epochs=spec["epochs"])
    data = points(spec, dataset_path)
    return kernel_cell(data["train_x"], data["train_y"], data["test_x"], data["test_y"], kernel=spec["kernel"],
                       num_classes=data["num_classes"], seed=spec["seed"], bandwidth=spec["bandwidth"],
                       features=spec["features"], device=device)


register_kind(SuiteKind("kernel", kernel_cells, default_figures=("kernel",), run=run_kernel_cell))
