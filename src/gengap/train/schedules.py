"""Learning-rate schedules as functions of the optimizer step.

Zhang et al. decay the rate by x0.95 per epoch, with epochs of 50,000 CIFAR-10 examples. Tied to
epochs, that schedule starves small subsets: on 4,096 points an epoch is 32 steps, so after 300
epochs (9,600 steps) the rate is 0.95^300 ~ 2e-7 of its start and an MLP on random labels stalls
near 83 % training accuracy. We therefore decay per *examples seen*: x``decay`` every
``decay_examples`` examples (default 50,000), which equals the paper's schedule on full CIFAR-10
and keeps the same rate per gradient step on every n.
"""

from __future__ import annotations


def lr_at_step(step: int, *, lr: float, batch_size: int, decay: float = 1.0,
               decay_examples: int = 50_000) -> float:
    """The learning rate for optimizer step ``step`` (0-based), decayed continuously."""
    return lr * decay ** (step * batch_size / decay_examples)
