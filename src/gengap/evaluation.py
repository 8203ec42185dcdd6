"""Evaluating a network on a tensor of inputs: logits, margins, loss and accuracy.

Used by the training loop (stopping rules, history) and by the measures alike, so neither
imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gengap.train.losses import LOSSES


def resolve_device(requested: str = "auto") -> torch.device:
    """``auto`` is CUDA when torch sees a GPU, else the CPU; ``cuda`` without one is an error."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but torch sees no CUDA device")
    return torch.device(requested)


def margins_of(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """f(x)_y - max_{j != y} f(x)_j for every row."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.scatter(1, y[:, None], float("-inf"))
    return true - others.max(dim=1).values


@torch.no_grad()
def predict(net: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Logits for every row of ``x`` in eval mode (restores the previous mode)."""
    was_training = net.training
    net.eval()
    out = torch.cat([net(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    net.train(was_training)
    return out


@dataclass(frozen=True)
class EvalStats:
    """One pass over a data set: the loss the cell trains with, accuracy and every margin."""

    loss: float
    accuracy: float
    margins: torch.Tensor  # f(x)_y - max_{j != y} f(x)_j per point


def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str = "cross_entropy") -> EvalStats:
    """``net`` on (``x``, ``y``) in eval mode; ``loss`` names an entry of the loss registry."""
    logits = predict(net, x).float()
    return EvalStats(
        loss=LOSSES[loss](logits, y).item(),
        accuracy=(logits.argmax(1) == y).float().mean().item(),
        margins=margins_of(logits, y),
    )
