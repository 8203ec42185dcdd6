"""Norm- and margin-based generalization bounds of SPEC 2.

Each bound returns ``{"": value, "numerator": numerator}``: the value it gives on the error (above
1 is vacuous) and the norm expression before division by gamma * sqrt(m). Products of norms are
accumulated in log space. Conventions: m training points, B = max_i ||x_i||, L weight matrices,
h the largest width, gamma the margin (``MeasureContext.gamma``), BatchNorm folded.
"""

from __future__ import annotations

import math

import torch

from gengap.measures.layers import fold_batchnorm, frobenius_norm, layer_pairs, norm_2_1, spectral_norm, weight_matrices
from gengap.measures.registry import measure
from gengap.models.registry import count_params


def _bound(ctx, numerator: float) -> dict:
    return {"": numerator / (ctx.gamma * math.sqrt(ctx.m)), "numerator": numerator}


@measure("vc", label="VC bound", kind="bound")
def vc(ctx) -> dict:
    """sqrt((8/m)(V ln(2em/V) + ln(4/delta))), V = L W log2 W (Bartlett et al. 2019).

    The bound assumes m >= V/(2e); below that it is vacuous and reported as +inf.
    """
    n_weights = count_params(ctx.folded)
    V = len(weight_matrices(ctx.folded)) * n_weights * math.log2(n_weights)
    m = ctx.m
    inner = V * math.log(2 * math.e * m / V) + math.log(4 / ctx.delta)
    value = math.sqrt(8 / m * inner) if 2 * math.e * m > V else math.inf
    return {"": value, "numerator": V}


@measure("frobenius_bound", label="Frobenius bound", kind="bound")
def frobenius_bound(ctx) -> dict:
    """B (sqrt(2 ln 2 L) + 1) prod ||W_i||_F / (gamma sqrt m) (Golowich, Rakhlin, Shamir)."""
    mats = weight_matrices(ctx.folded)
    log_prod = sum(math.log(frobenius_norm(w)) for w in mats)
    return _bound(ctx, ctx.input_norm_max * (math.sqrt(2 * math.log(2) * len(mats)) + 1) * math.exp(log_prod))


@measure("dist_s2", label="distance between S1 and S2 weights", kind="complexity")
def dist_s2(ctx) -> float:
    """sqrt(sum_i ||W_i - W_i^{S2}||_F^2): distance to the weights trained on the second draw."""
    if ctx.other is None:
        raise ValueError("needs the network trained on the second draw S2 (set draws: 2 in the suite)")
    others = weight_matrices(fold_batchnorm(ctx.other))
    return math.sqrt(sum(frobenius_norm(w - v) ** 2 for w, v in zip(weight_matrices(ctx.folded), others)))


def _bartlett17(ctx, transpose: bool) -> dict:
    pairs = layer_pairs(ctx)
    spectral = [spectral_norm(w) for w, _ in pairs]
    ratio_sum = sum((norm_2_1((w - w0).T if transpose else w - w0) / s) ** (2 / 3)
                    for (w, w0), s in zip(pairs, spectral))
    log_num = math.log(ctx.input_norm_max) + sum(map(math.log, spectral)) + 1.5 * math.log(ratio_sum)
    return _bound(ctx, math.exp(log_num))


@measure("bartlett17", label="Bartlett et al. 2017", kind="bound")
def bartlett17(ctx) -> dict:
    """B prod ||W_i||_2 (sum_i (||W_i - W_i^0||_{2,1} / ||W_i||_2)^{2/3})^{3/2} / (gamma sqrt m)
    (spectrally-normalized margin bound, log factors dropped as plotted by Nagarajan & Kolter).
    The (2,1) norm as in Bartlett et al.'s paper: ||A^T||_{2,1} sums the l2 norms of the rows of
    A (one per output unit; gengap's matrices are [out, in])."""
    return _bartlett17(ctx, transpose=False)


@measure("bartlett17_nk", label="Bartlett et al. 2017 (N&K's code)", kind="bound")
def bartlett17_nk(ctx) -> dict:
    """bartlett17 with the (2,1) norm of Nagarajan & Kolter's code: ``np.sum(np.linalg.norm(W -
    W0, axis=1))`` on TensorFlow's [in, out] matrices sums the l2 norms over *input* units (the
    columns of gengap's [out, in] matrices), the transpose of the paper's orientation."""
    return _bartlett17(ctx, transpose=True)


def _neyshabur18(ctx, from_init: bool) -> dict:
    pairs = layer_pairs(ctx)
    spectral = [spectral_norm(w) for w, _ in pairs]
    frob_sq = [frobenius_norm(w - w0 if from_init else w) ** 2 for w, w0 in pairs]
    h = max(max(w.shape) for w, _ in pairs)
    L = len(pairs)
    log_num = (math.log(ctx.input_norm_max * L * math.sqrt(h)) + sum(map(math.log, spectral))
               + 0.5 * math.log(sum(f / s**2 for f, s in zip(frob_sq, spectral))))
    return _bound(ctx, math.exp(log_num))


@measure("neyshabur18", label="Neyshabur et al. 2018", kind="bound")
def neyshabur18(ctx) -> dict:
    """B L sqrt(h) prod ||W_i||_2 sqrt(sum_i ||W_i||_F^2 / ||W_i||_2^2) / (gamma sqrt m) (PAC-Bayes).

    L is the number of weight matrices (the paper's depth d). Nagarajan & Kolter's code multiplies
    by its ``depth`` flag, the number of *hidden* layers (L - 1): a constant factor L / (L - 1)
    that changes neither the slope against n nor the sign of a trend, so it has no second form."""
    return _neyshabur18(ctx, from_init=False)


@measure("neyshabur18_init", label="Neyshabur et al. 2018 (from init)", kind="bound")
def neyshabur18_init(ctx) -> dict:
    """neyshabur18 with ||W_i - W_i^0||_F in the sum."""
    return _neyshabur18(ctx, from_init=True)


@measure("neyshabur19", label="Neyshabur et al. 2019", kind="bound")
def neyshabur19(ctx) -> dict:
    """Two-layer networks f = V[Ux]_+ (C classes, H hidden units), Neyshabur et al. 2019:
    R = 3 sqrt2 (sqrt(2C) + 1)(||V||_F + 1)(sqrt(mean_i ||[U0 x_i]_+||^2)
        + ||U - U0||_F sqrt(mean_i ||x_i||^2) + 1) / gamma;
    N = (R + 3 sqrt(5H + ln(max(1, gamma sqrt m) / delta)))^2; value sqrt(N / m)."""
    pairs = layer_pairs(ctx)
    if len(pairs) != 2:
        raise ValueError(f"defined for two-layer networks only (this one has {len(pairs)} weight layers)")
    (U, U0), (V, _) = pairs
    C, H = V.shape
    x = ctx.train_x.flatten(1).double().to(U0.device)
    hidden0 = torch.relu(x @ U0.T).pow(2).sum(1).mean().sqrt().item()
    x_rms = x.pow(2).sum(1).mean().sqrt().item()
    g, m = ctx.gamma, ctx.m
    R = (3 * math.sqrt(2) * (math.sqrt(2 * C) + 1) * (frobenius_norm(V) + 1)
         * (hidden0 + frobenius_norm(U - U0) * x_rms + 1) / g)
    N = (R + 3 * math.sqrt(5 * H + math.log(max(1.0, g * math.sqrt(m)) / ctx.delta))) ** 2
    return {"": math.sqrt(N / m), "numerator": N}


@measure("neyshabur19_nk", label="Neyshabur et al. 2019 (N&K's code)", kind="bound")
def neyshabur19_nk(ctx) -> dict:
    """Neyshabur et al. 2019 as Nagarajan & Kolter plot it for a two-layer net f = V[Ux]_+
    (their code's ``unilayer_bound``, the sqrt(H) and constant terms dropped):
    B ||V||_F (||U - U0||_F + ||U0||_2) / (gamma sqrt m)."""
    pairs = layer_pairs(ctx)
    if len(pairs) != 2:
        raise ValueError(f"defined for two-layer networks only (this one has {len(pairs)} weight layers)")
    (U, U0), (V, _) = pairs
    return _bound(ctx, ctx.input_norm_max * frobenius_norm(V) * (frobenius_norm(U - U0) + spectral_norm(U0)))


@measure("path_norm", label="path norm", kind="complexity", outputs={"bound": ("path-norm bound", "bound")})
@torch.no_grad()
def path_norm(ctx) -> dict:
    """sqrt(sum_k f_{w^2}(1)_k): every parameter squared, all-ones input, outputs summed;
    also as a bound, path_norm * B / (gamma sqrt m)."""
    import copy

    net = copy.deepcopy(ctx.folded).double()
    for p in net.parameters():
        p.pow_(2)
    ones = torch.ones(1, *ctx.train_x.shape[1:], dtype=torch.float64, device=ctx.train_x.device)
    value = net(ones).sum().sqrt().item()
    return {"": value, "bound": value * ctx.input_norm_max / (ctx.gamma * math.sqrt(ctx.m))}
