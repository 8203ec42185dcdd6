"""PAC-Bayesian flatness measures (Jiang et al. 2020, as used by Nagarajan & Kolter).

The search finds the largest noise scale sigma whose perturbed network keeps its training error
within 0.1 of the unperturbed one: a geometric bisection (15 steps) of sigma between 1e-6 and 10,
each step averaging 10 Monte-Carlo draws of the noise. sigma is a *standard deviation* scale:
u_i ~ N(0, sigma^2 w_i^2 + eps^2) means u_i = sqrt(sigma^2 w_i^2 + eps^2) * N(0, 1), never
sigma^2 passed as a std. Noise comes from a fixed seed, so the measure is deterministic.
``flatness_points`` (measure option) caps how many training points each error is estimated on;
the number used is reported beside sigma (``<measure>_points``).
"""

from __future__ import annotations

import copy
import math

import torch

from gengap.measures.registry import measure
from gengap.seeding import derive_seed

EPS = 1e-3
STEPS, DRAWS, TOLERANCE = 15, 10, 0.1
SIGMA_RANGE = (1e-6, 10.0)


def noise_std(w: torch.Tensor, sigma: float, magnitude: bool) -> torch.Tensor:
    """Standard deviation of the perturbation of each weight."""
    if magnitude:
        return (sigma**2 * w.pow(2) + EPS**2).sqrt()
    return torch.full_like(w, sigma)


@torch.no_grad()
def perturb(net, sigma: float, magnitude: bool, gen: torch.Generator, into=None):
    """``net`` + u, u_i = noise_std_i * N(0, 1), written into ``into`` (a copy of net) or a new copy."""
    into = into if into is not None else copy.deepcopy(net)
    for p, q in zip(net.parameters(), into.parameters()):
        z = torch.randn(p.shape, generator=gen, device="cpu").to(p.device, p.dtype)
        q.copy_(p + noise_std(p, sigma, magnitude) * z)
    return into


@torch.no_grad()
def perturbed_error(net, x, y, sigma: float, magnitude: bool, gen: torch.Generator) -> float:
    """Training error of net + u averaged over DRAWS noise draws."""
    probe = copy.deepcopy(net)
    errors = [(perturb(net, sigma, magnitude, gen, probe)(x).argmax(1) != y).float().mean().item()
              for _ in range(DRAWS)]
    return sum(errors) / len(errors)


def flatness_sigma(ctx, magnitude: bool) -> tuple[float, int]:
    """Largest sigma with perturbed training error <= training error + 0.1, and the number of
    training points the errors were estimated on (the first ``flatness_points``, or all)."""
    limit = ctx.options.flatness_points
    x, y = ctx.train_x, ctx.train_y
    if limit and len(y) > limit:
        x, y = x[:limit], y[:limit]
    net = ctx.folded
    base = (net(x).argmax(1) != y).float().mean().item()
    gen = torch.Generator().manual_seed(derive_seed(0, "flatness", magnitude))
    lo, hi = map(math.log, SIGMA_RANGE)
    if perturbed_error(net, x, y, math.exp(hi), magnitude, gen) <= base + TOLERANCE:
        return math.exp(hi), len(y)
    for _ in range(STEPS):
        mid = (lo + hi) / 2
        if perturbed_error(net, x, y, math.exp(mid), magnitude, gen) <= base + TOLERANCE:
            lo = mid
        else:
            hi = mid
    return math.exp(lo), len(y)


@measure("pacbayes_mag_flatness", label="PAC-Bayes flatness 1/σ′²", kind="complexity")
def pacbayes_mag_flatness(ctx) -> dict:
    """1 / sigma'^2 for the magnitude-aware search u_i ~ N(0, sigma'^2 w_i^2 + eps^2)."""
    sigma, points = flatness_sigma(ctx, magnitude=True)
    return {"": 1 / sigma**2, "sigma": sigma, "points": points}


@measure("pacbayes_init", label="PAC-Bayes (from init)", kind="bound")
def pacbayes_init(ctx) -> dict:
    """sqrt((||w - w0||^2 / (4 sigma^2) + ln(m / sigma) + 10) / m), sigma from the search with
    u_i ~ N(0, sigma^2)."""
    sigma, points = flatness_sigma(ctx, magnitude=False)
    dist_sq = sum((p - p0).double().pow(2).sum().item()
                  for p, p0 in zip(ctx.folded.parameters(), ctx.folded_init.parameters()))
    m = ctx.m
    return {"": math.sqrt((dist_sq / (4 * sigma**2) + math.log(m / sigma) + 10) / m), "sigma": sigma,
            "points": points}
