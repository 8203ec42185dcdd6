"""Nagarajan & Kolter's construction on two hyperspheres (SPEC 1.3).

S' is the training set with every point moved to the other sphere (scaled by r_other / r_own)
and its label flipped. A classifier that is accurate on the distribution but wrong on all of S'
shows that any two-sided uniform convergence bound for the algorithm is at least
1 - test error (their Lemma).
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


@measure("uc_lower_bound", label="uniform-convergence lower bound (1 − test error)", kind="error")
def uc_lower_bound(ctx) -> float:
    """1 - test error: the lower bound on the tightest uniform-convergence bound when S' is fully
    misclassified (reported for every cell; meaningful where sprime_error is near 1)."""
    return 1 - test_error(ctx)
