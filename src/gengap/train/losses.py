"""Training losses: ``fn(logits, y) -> scalar``, selected by the ``loss`` training setting."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gengap.registry import Registry

LOSSES: Registry = Registry("loss")


@LOSSES.register("cross_entropy")
def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy, mean over the batch."""
    return F.cross_entropy(logits, y)


@LOSSES.register("sigmoid_cross_entropy")
def sigmoid_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-logit sigmoid cross-entropy against one-hot targets, the mean over the batch *and* the
    classes: Nagarajan & Kolter's ``reduce_mean(sigmoid_cross_entropy_with_logits(...))``, so a
    learning rate means what it means in their code (a sum over the C classes would make every
    step C times theirs)."""
    target = F.one_hot(y, logits.shape[1]).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, target)
