"""The margin distribution of a cell, so bounds can be recomputed with another gamma later."""

from __future__ import annotations

import torch

from gengap.measures.registry import measure


@measure("margins")
def margins(ctx) -> dict:
    """gamma used by the bounds; 5th and 10th percentile and median of the training margins
    f(x)_y - max_{j != y} f(x)_j."""
    m = ctx.train_margins.double().cpu()
    q = torch.quantile(m, torch.tensor([0.05, 0.10, 0.5], dtype=torch.float64)).tolist()
    return {"gamma": ctx.gamma, "p05": q[0], "p10": q[1], "median": q[2]}
