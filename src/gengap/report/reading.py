"""What a suite's summary says about its measures: each row's ``label`` and ``kind``, written by
the measure job from the measure's registration (``gengap.measures.registry.KINDS``).

Figures, tables and the ranking read them here and keep no list of measure names of their own;
they never import torch, so they cannot ask the registry. A summary written before its rows
carried them is refused by name (``gengap.publish --refresh`` fills them from the registry).
"""

from __future__ import annotations

import pandas as pd

from gengap.data.label_noise import label_noise_level

# What the figures call the summaries' other columns and the theory suites' quantities (which are
# no measures: the expressivity and kernel suites compute them directly).
COLUMN_LABELS = {
    "training accuracy": "training accuracy", "label_noise": "label corruption p",
    "relative_time_to_fit": "time to fit / time to fit true labels", "rkhs_norm": "RKHS norm √(αᵀKα)",
    "residual_float64": "network in float64", "residual_float32": "network in float32",
    "residual_exact": "float64 weights, exact arithmetic", "linear_features": "random ReLU features",
    "rbf": "Gaussian RBF",
}


class UndescribedSummary(ValueError):
    pass


def _per_measure(summary: pd.DataFrame, column: str) -> dict[str, str]:
    if column not in summary:
        raise UndescribedSummary(
            f"this summary's measure rows carry no {column!r} (written before measures described "
            "themselves): measure the cells again, or run `python -m gengap.publish --refresh` on a "
            "published run")
    rows = summary.dropna(subset=[column]).drop_duplicates("measure")
    return dict(zip(rows["measure"], rows[column]))


def measure_kinds(summary: pd.DataFrame) -> dict[str, str]:
    """measure -> kind (``error``, ``bound``, ``numerator``, ``complexity``, ``margin``, ``auxiliary``)."""
    return _per_measure(summary, "kind")


def measure_labels(summary: pd.DataFrame) -> dict[str, str]:
    return _per_measure(summary, "label") if "label" in summary else {}


def labeller(summary: pd.DataFrame | None = None):
    """A function name -> what figures show: the measure's own label, else a column's, else the
    name with spaces."""
    labels = {**COLUMN_LABELS, **(measure_labels(summary) if summary is not None else {})}
    return lambda name: labels.get(str(name), str(name).replace("_", " "))


def of_kind(summary: pd.DataFrame, *kinds: str) -> list[str]:
    """The summary's measures of ``kinds``, in the order they first appear (the suite's order)."""
    found = measure_kinds(summary)
    return [m for m in dict.fromkeys(summary["measure"]) if found.get(m) in kinds]


def corruption_order(corruptions) -> list[str]:
    """The corruptions as figures show them: those of the labels by their noise level p (true
    labels 0, ``labels@p``, random labels 1), then the others in the order the suite lists them."""
    names = list(dict.fromkeys(map(str, corruptions)))
    labels = sorted((n for n in names if label_noise_level(n) is not None), key=label_noise_level)
    return labels + [n for n in names if label_noise_level(n) is None]
