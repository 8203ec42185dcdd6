"""The verdicts of the paper-vs-gengap table (decided in ``gengap.report.paper``), as the overview
and the figures count them."""

from __future__ import annotations

import pandas as pd

VERDICTS = ("reproduced", "not reproduced", "other data or scale", "not run")  # the table's order


def verdict_counts(table: pd.DataFrame) -> str:
    """``12 reproduced, 3 not reproduced, 20 other data or scale, 5 not run``."""
    counts = table["verdict"].value_counts()
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)
