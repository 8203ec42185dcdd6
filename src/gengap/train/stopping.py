"""Stopping rules, checked on the full training set (eval mode) after each evaluation.

A rule is ``fn(stats, **options) -> bool``; the epoch cap is always in force besides it.
"""

from __future__ import annotations

import inspect

from gengap.evaluation import EvalStats
from gengap.registry import Registry

STOP_RULES: Registry = Registry("stopping rule")


@STOP_RULES.register("train_accuracy")
def train_accuracy_reached(stats: EvalStats, target: float = 1.0, **_) -> bool:
    """Training accuracy at least ``target`` (1.0 = every point fitted)."""
    return stats.accuracy >= target


@STOP_RULES.register("margin")
def margin_reached(stats: EvalStats, gamma: float = 10.0, fraction: float = 0.99, **_) -> bool:
    """At least ``fraction`` of training points have margin >= ``gamma`` (Nagarajan & Kolter)."""
    return (stats.margins >= gamma).float().mean().item() >= fraction


@STOP_RULES.register("train_loss")
def train_loss_reached(stats: EvalStats, target: float = 0.01, **_) -> bool:
    """The training loss (the cell's loss, on the full training set in eval mode) at most
    ``target``: Jiang et al.'s rule for their measure study (cross-entropy 0.01)."""
    return stats.loss <= target


@STOP_RULES.register("epochs")
def epoch_cap_only(stats: EvalStats, **_) -> bool:
    """Never stops early: train for the full epoch cap."""
    return False


def should_stop(stats: EvalStats, rule: dict) -> bool:
    options = dict(rule)
    return STOP_RULES[options.pop("criterion")](stats, **options)


def rule_options(rule: dict) -> dict:
    """A stopping rule's options with the rule's own defaults filled in (its function's signature:
    the one place they are defined), e.g. the margin rule's ``gamma`` for the margin bounds."""
    options = dict(rule)
    fn = STOP_RULES[options.pop("criterion")]
    defaults = {name: p.default for name, p in inspect.signature(fn).parameters.items()
                if p.default is not inspect.Parameter.empty}
    return {**defaults, **options}
