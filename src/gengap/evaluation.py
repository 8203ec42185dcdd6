"""Evaluating a network on a tensor of inputs: logits, margins, loss and accuracy.

Used by the training loop (stopping rules, history) and by the measures alike, so neither
imports the other; it imports neither (a loss comes in as a function).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


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


def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor,
             loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> EvalStats:
    """``net`` on (``x``, ``y``) in eval mode, with the loss the cell trains with."""
    logits = predict(net, x).float()
    return EvalStats(
        loss=loss(logits, y).item(),
        accuracy=(logits.argmax(1) == y).float().mean().item(),
        margins=margins_of(logits, y),
    )
