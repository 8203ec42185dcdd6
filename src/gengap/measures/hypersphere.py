"""Nagarajan & Kolter's construction on two hyperspheres (SPEC 1.3).

S' is the training set with every point moved to the other sphere (scaled by r_other / r_own)
and its label flipped. On these spheres S' is itself a sample of the distribution, so any
two-sided uniform convergence bound for the algorithm is at least |error on S' - test error|: a
classifier that is accurate on the distribution but wrong on all of S' makes it 1 - test error
(their Lemma). Where the classifier gets S' right the bound is small, and the construction shows
nothing (the notebook's d = 100 hypersphere at large n).
"""

from __future__ import annotations

import torch

from gengap.data.sources import HYPERSPHERE_RADII, hypersphere_radii
from gengap.evaluation import predict
from gengap.measures.errors import error_rate, test_error
from gengap.measures.registry import measure


def s_prime(x: torch.Tensor, y: torch.Tensor, radii=HYPERSPHERE_RADII):
    r = torch.tensor(radii, dtype=x.dtype, device=x.device)
    scale = (r[1 - y] / r[y]).reshape(-1, *[1] * (x.ndim - 1))
    return x * scale, 1 - y


@measure("sprime_error", label="error on S′", kind="error")
def sprime_error(ctx) -> float:
    """0-1 error on S' (training points projected onto the other sphere, labels flipped)."""
    if not ctx.dataset.startswith("hypersphere"):
        raise ValueError(f"S' is defined for the hypersphere data, not {ctx.dataset!r}")
    x, y = s_prime(ctx.train_x, ctx.train_y, hypersphere_radii(ctx.dataset))
    return error_rate(predict(ctx.net, x), y)


def lower_bound(sprime: float, test: float) -> float:
    """The lower bound on the tightest two-sided uniform-convergence bound that S' proves:
    |error on S' - test error| (1 - test error where S' is all misclassified)."""
    return abs(sprime - test)


@measure("uc_lower_bound", label="uniform-convergence lower bound (|error on S′ − test error|)", kind="error")
def uc_lower_bound(ctx) -> float:
    """|error on S' - test error|, the lower bound S' proves (``lower_bound``)."""
    return lower_bound(sprime_error(ctx), test_error(ctx))
