"""The label-noise level p of a corruption, read from its name alone (torch-free: summaries and
figures use it without importing the corruptions themselves)."""

from __future__ import annotations

# p of the corruptions that replace labels: true labels 0, labels@p p, random labels 1; every other
# corruption (of the inputs, or rademacher's two classes) has none
LEVELS = {"true": 0.0, "random_labels": 1.0}
PARAMETRIC = "labels"  # labels@p: each label replaced with probability p


def label_noise_level(spec: str) -> float | None:
    """``'labels@0.2'`` -> 0.2, ``'true'`` -> 0.0, ``'random_labels'`` -> 1.0, else None."""
    name, _, raw = str(spec).partition("@")
    if name == PARAMETRIC and raw:
        return float(raw)
    return LEVELS.get(name)
