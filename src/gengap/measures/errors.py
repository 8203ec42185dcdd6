"""0-1 errors and size: train_error, test_error, gap, params."""

from __future__ import annotations

from gengap.measures.registry import measure
from gengap.models.registry import count_params


def error_rate(logits, y) -> float:
    return (logits.argmax(1) != y).float().mean().item()


@measure("train_error", label="training error", kind="error")
def train_error(ctx) -> float:
    """0-1 error on the cell's training set (with its corrupted labels, as trained)."""
    return error_rate(ctx.train_logits, ctx.train_y)


@measure("test_error", label="test error", kind="error")
def test_error(ctx) -> float:
    """0-1 error on the clean-labelled test set."""
    return error_rate(ctx.test_logits, ctx.test_y)


@measure("gap", label="generalization gap", kind="error")
def gap(ctx) -> float:
    """test error - train error."""
    return test_error(ctx) - train_error(ctx)


@measure("params", label="number of weights", kind="complexity")
def params(ctx) -> float:
    """Number of trainable weights (biases included)."""
    return count_params(ctx.net)
