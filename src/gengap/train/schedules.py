"""Learning-rate schedules as functions of the optimizer step.

Zhang et al. decay the rate by x0.95 per epoch, with epochs of 50,000 CIFAR-10 examples. Tied to
epochs, that schedule starves small subsets: on 4,096 points an epoch is 32 steps, so after 300
epochs (9,600 steps) the rate is 0.95^300 ~ 2e-7 of its start and an MLP on random labels stalls
near 83 % training accuracy. We therefore decay per *examples seen*: x``decay`` every
``decay_examples`` examples (default 50,000), which equals the paper's schedule on full CIFAR-10
and keeps the same rate per gradient step on every n.

At n = 50,000 that is the paper's schedule exactly, and it freezes an MLP on MNIST random labels at
64 % training accuracy (the rate is 1.5e-6 of its start after 171 epochs). ``lr_decay_after``
(a training accuracy) holds the rate constant until the first evaluation at or above it and
decays from that step on: gengap's full-size schedule (README, "Schedules at full size").
"""

from __future__ import annotations

import math


def lr_at_step(step: int, *, lr: float, batch_size: int, decay: float = 1.0,
               decay_examples: int = 50_000, start: float = 0) -> float:
    """The learning rate for optimizer step ``step`` (0-based), decayed continuously from step
    ``start`` on (``math.inf``: not yet, the rate is constant)."""
    if step <= start or math.isinf(start):
        return lr
    return lr * decay ** ((step - start) * batch_size / decay_examples)


def decay_start(history: list[dict], decay_after: float | None) -> float:
    """The step the decay starts from: 0 without ``decay_after``, else the step of the first
    evaluation with training accuracy >= ``decay_after`` (``math.inf`` while there is none).
    Read from the history, so a resumed run continues the same schedule."""
    if decay_after is None:
        return 0
    return next((row["step"] for row in history if row.get("train_accuracy", -1) >= decay_after), math.inf)
