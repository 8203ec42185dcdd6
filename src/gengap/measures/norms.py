"""Norm-based measures of SPEC 2: spectral_product, frobenius_product, dist_init.

Products are accumulated in log space (they overflow float64 for deep nets) and reported as
plain values; a product of norms is the numerator of the published bounds.
"""

from __future__ import annotations

import math

from gengap.measures.layers import frobenius_norm, layer_pairs, spectral_norm, weight_matrices
from gengap.measures.registry import measure


def log_product(values) -> float:
    return sum(math.log(v) for v in values)


@measure("spectral_product", label="product of spectral norms", kind="complexity")
def spectral_product(ctx) -> float:
    """prod_i ||W_i||_2."""
    return math.exp(log_product(spectral_norm(w) for w in weight_matrices(ctx.folded)))


@measure("frobenius_product", label="product of Frobenius norms", kind="complexity")
def frobenius_product(ctx) -> float:
    """prod_i ||W_i||_F."""
    return math.exp(log_product(frobenius_norm(w) for w in weight_matrices(ctx.folded)))


@measure("dist_init", label="distance from initialization ‖W − W0‖", kind="complexity")
def dist_init(ctx) -> float:
    """sqrt(sum_i ||W_i - W_i^0||_F^2)."""
    return math.sqrt(sum(frobenius_norm(w - w0) ** 2 for w, w0 in layer_pairs(ctx)))
