"""The margin distribution of a cell, so bounds can be recomputed with another gamma later."""

from __future__ import annotations

import torch

from gengap.measures.registry import measure


@measure("margins", label="training margin", kind="margin",
         outputs={"gamma": ("margin γ of the bounds", "margin"), "p05": ("5th percentile of the training margins", "margin"),
                  "p10": ("10th percentile of the training margins", "margin"), "median": ("median training margin", "margin")})
def margins(ctx) -> dict:
    """gamma used by the bounds; 5th and 10th percentile and median of the training margins
    f(x)_y - max_{j != y} f(x)_j."""
    m = ctx.train_margins.double().cpu()
    q = torch.quantile(m, torch.tensor([0.05, 0.10, 0.5], dtype=torch.float64)).tolist()
    return {"gamma": ctx.gamma, "p05": q[0], "p10": q[1], "median": q[2]}
