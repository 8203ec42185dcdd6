"""Zhang et al.'s Theorem 1: a two-layer ReLU network with 2n + d weights fits any labelling of
n distinct points in R^d, and its depth-k variant of width n/k + 3.

Construction: project every point on a direction a so that the projections x_i = <a, z_i> are
distinct; sort them; put one threshold between consecutive projections
(b_1 < x_1 < b_2 < x_2 < ... < b_n < x_n); then A_ij = max(x_i - b_j, 0) is lower triangular with
a positive diagonal. The network is c(z) = sum_j w_j max(<a, z> - b_j, 0).

A w = y needs no n x n matrix: on the sorted points c(z_i) = x_i S_i - T_i with the running sums
S_i = sum_{j<=i} w_j and T_i = sum_{j<=i} w_j b_j, so forward substitution is
w_i = (y_i - x_i S_{i-1} + T_{i-1}) / (x_i - b_i): O(n) time and memory. The running sums are kept
exactly (float64 numbers are dyadic rationals, so their sums and products are exact in integer
arithmetic); the only rounding of the solve is each w_i to float64. Residuals are reported three
ways: the network evaluated as a ReLU layer in float64 and in float32 (a block of points at a
time, O(n) memory; what anyone running the network sees), and evaluated exactly in rational
arithmetic on its float64 projections (the error of the float64 weights alone).

The direction is the best of ``tries`` random Gaussian directions by the smallest gap between
consecutive projections relative to their spread (well separated projections keep A well
conditioned). Thresholds sit halfway between neighbours, so every diagonal entry of A is half a gap.
"""

from __future__ import annotations

import math
from fractions import Fraction

import torch
from torch import nn

from gengap.job import Job
from gengap.models.registry import count_params
from gengap.seeding import generator
from gengap.suites.expressivity import ExpressivityCell
from gengap.theory.registry import points, runner


class DuplicatePointsError(ValueError):
    """Two input points are identical: no function can give them different labels."""


class ProjectionReLUNet(nn.Module):
    """c(z) = sum_j w_j relu(<a, z> - b_j): exactly d + 2n parameters. Evaluated a block of
    points at a time, so n points never make an n x n matrix."""

    BLOCK = 1024

    def __init__(self, a: torch.Tensor, b: torch.Tensor, w: torch.Tensor):
        super().__init__()
        self.a, self.b, self.w = nn.Parameter(a), nn.Parameter(b), nn.Parameter(w)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        p = z.flatten(1) @ self.a
        return torch.cat([torch.relu(p[i : i + self.BLOCK, None] - self.b[None, :]) @ self.w
                          for i in range(0, len(p), self.BLOCK)])


def check_distinct(z: torch.Tensor) -> None:
    uniq, inverse, counts = torch.unique(z, dim=0, return_inverse=True, return_counts=True)
    if len(uniq) < len(z):
        group = int(torch.nonzero(counts > 1)[0])
        idx = torch.nonzero(inverse == group).flatten()[:5].tolist()
        raise DuplicatePointsError(f"points {idx} are identical; the construction needs n distinct points")


def choose_direction(z: torch.Tensor, gen: torch.Generator, tries: int = 16) -> tuple[torch.Tensor, float]:
    """The random unit direction whose sorted projections have the largest smallest gap (relative)."""
    best, best_score = None, -1.0
    for _ in range(tries):
        a = torch.randn(z.shape[1], generator=gen, dtype=torch.float64)
        a /= a.norm()
        p = (z @ a).sort().values
        gaps = p.diff()
        score = (gaps.min() / (p[-1] - p[0])).item() if len(p) > 1 else 1.0
        if score > best_score:
            best, best_score = a, score
    if best_score <= 0:
        raise DuplicatePointsError("no direction separates the points (are they distinct?)")
    return best, best_score


def thresholds(x_sorted: torch.Tensor) -> torch.Tensor:
    """b_1 < x_1 < b_2 < ... < b_n < x_n, each b_j halfway to the previous projection."""
    first_gap = x_sorted[1] - x_sorted[0] if len(x_sorted) > 1 else torch.tensor(1.0, dtype=x_sorted.dtype)
    return torch.cat([(x_sorted[:1] - first_gap / 2), (x_sorted[:-1] + x_sorted[1:]) / 2])


def solve_running_sums(xs: torch.Tensor, b: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """w with sum_{j<=i} w_j (x_i - b_j) = y_i for sorted x (forward substitution of the lower
    triangular A_ij = max(x_i - b_j, 0)) in O(n): the running sums S = sum w_j and T = sum w_j b_j
    are exact rationals, each w_i is the float64 nearest to its exact quotient given w_1..w_{i-1}."""
    S = T = Fraction(0)
    w = []
    for x, bi, y in zip(map(Fraction, xs.tolist()), map(Fraction, b.tolist()), map(Fraction, ys.tolist())):
        wi = float((y - x * S + T) / (x - bi))
        w.append(wi)
        S += Fraction(wi)
        T += Fraction(wi) * bi
    return torch.tensor(w, dtype=torch.float64)


def exact_outputs(xs: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> list[Fraction]:
    """c at the sorted projections, exactly: x_i S_i - T_i in rational arithmetic (O(n))."""
    S = T = Fraction(0)
    out = []
    for x, bi, wi in zip(map(Fraction, xs.tolist()), map(Fraction, b.tolist()), map(Fraction, w.tolist())):
        S += wi
        T += wi * bi
        out.append(x * S - T)
    return out


def build_two_layer(z: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[ProjectionReLUNet, dict]:
    """The 2n + d network interpolating (z_i, y_i); z is [n, d] (any shape flattened), y real."""
    z = z.flatten(1).double()
    y = y.double()
    check_distinct(z)
    a, separation = choose_direction(z, gen)
    x = z @ a
    order = x.argsort()
    xs, ys = x[order], y[order]
    b = thresholds(xs)
    w = solve_running_sums(xs, b, ys)
    net = ProjectionReLUNet(a, b, w)
    exact = exact_outputs(xs, b, w)
    gaps = xs.diff()
    report = {"min_gap": gaps.min().item() if len(gaps) else math.nan,
              "relative_min_gap": separation,
              "max_abs_weight": w.abs().max().item(),
              "residual_exact": float(max(abs(c - Fraction(v)) for c, v in zip(exact, ys.tolist())))}
    return net, report


class DepthKNet(nn.Sequential):
    """An ordinary stack of Linear + ReLU layers; most weights are zero (see ``build_depth_k``)."""


def build_depth_k(z: torch.Tensor, y: torch.Tensor, k: int, gen: torch.Generator) -> tuple[nn.Module, dict]:
    """Depth-k variant: the n thresholds split into k blocks, one hidden layer per block.

    Layer 0 computes p = <a, z> - b_1 + gap (positive on the data). Layer t (1..k) carries p,
    computes relu(p - c_j) for the thresholds of block t, and carries the running sum of the
    previous blocks as s+ = relu(s), s- = relu(-s); the output adds the last block. Width
    n/k + 3 (rounded up); the non-zero weights are d + O(n).
    """
    two, report = build_two_layer(z, y, gen)
    a, b, w = two.a.detach(), two.b.detach(), two.w.detach()
    n, d = len(b), len(a)
    shift = b[0] - (b[1] - b[0] if n > 1 else 1.0)  # p = <a, z> - shift > 0 on every data point
    blocks = list(torch.arange(n).tensor_split(k))
    width = max(len(blk) for blk in blocks) + 3  # block units, p, s+, s-
    dt = torch.float64
    layers: list[nn.Module] = []
    first = nn.Linear(d, 1).double()
    with torch.no_grad():
        first.weight.copy_(a[None, :])
        first.bias.fill_(-shift)
    layers += [first, nn.ReLU()]
    prev_units, prev_block = 1, None  # previous layer: [p] or [block units..., p, s+, s-]
    for t, blk in enumerate(blocks):
        lin = nn.Linear(prev_units, width).double()
        W = torch.zeros(width, prev_units, dtype=dt)
        c = torch.zeros(width, dtype=dt)
        p_in = 0 if prev_block is None else width - 3  # where p sits in the previous layer
        for i, j in enumerate(blk.tolist()):  # threshold units of this block
            W[i, p_in] = 1.0
            c[i] = -(b[j] - shift)
        W[width - 3, p_in] = 1.0  # carry p
        if prev_block is not None:  # s = s_prev + sum over the previous block
            for sign, row in ((1.0, width - 2), (-1.0, width - 1)):
                W[row, width - 2], W[row, width - 1] = sign, -sign
                for i, j in enumerate(prev_block.tolist()):
                    W[row, i] = sign * w[j]
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(c)
        layers += [lin, nn.ReLU()]
        prev_units, prev_block = width, blk
    out = nn.Linear(width, 1, bias=False).double()
    Wo = torch.zeros(1, width, dtype=dt)
    for i, j in enumerate(prev_block.tolist()):
        Wo[0, i] = w[j]
    Wo[0, width - 2], Wo[0, width - 1] = 1.0, -1.0
    with torch.no_grad():
        out.weight.copy_(Wo)
    layers += [out, nn.Flatten(0)]
    net = DepthKNet(nn.Flatten(), *layers)
    report = dict(report, width=width,
                  nonzero_weights=int(sum((p != 0).sum() for p in net.parameters())))
    return net, report


@torch.no_grad()
def residuals(net: nn.Module, z: torch.Tensor, y: torch.Tensor) -> dict:
    """Worst |c(z_i) - y_i| with the network evaluated in float64 and cast to float32."""
    y64 = y.double()
    r64 = (net.double()(z.double()).flatten() - y64).abs().max().item()
    net32 = net.float()
    r32 = (net32(z.float()).double().flatten() - y64).abs().max().item()
    net.double()
    return {"residual_float64": r64, "residual_float32": r32}


def expressivity_cell(z: torch.Tensor, y: torch.Tensor, depth: int, seed: int) -> dict:
    """Build the construction for (z, y) and report its size, conditioning and residuals."""
    gen = generator(seed, "expressivity_direction")
    if depth == 1:
        net, report = build_two_layer(z, y, gen)
    else:
        net, report = build_depth_k(z, y, depth, gen)
    n, d = len(y), z.flatten(1).shape[1]
    return {"n": n, "d": d, "depth": depth, "params": count_params(net),
            "params_2n_plus_d": 2 * n + d, **report, **residuals(net, z, y)}


# --- a cell of an expressivity suite -------------------------------------------------------------

@runner("expressivity")
def run_expressivity_cell(cell: ExpressivityCell, dataset_path: str | None, job: Job) -> dict:
    """One cell of an ``expressivity`` suite: the construction on the cell's n points, with their
    true labels or random ones."""
    data = points(cell.dataset, cell.n, cell.seed, dataset_path)
    y = data["train_y"]
    if cell.labels == "random_labels":
        y = torch.randint(data["num_classes"], (len(y),), generator=generator(cell.seed, "expressivity_labels"))
    return expressivity_cell(data["train_x"], y.double(), cell.depth, cell.seed)
