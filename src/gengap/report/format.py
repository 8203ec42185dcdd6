"""One number format for every table and text gengap writes."""

from __future__ import annotations

import math


def number(x: float | None) -> str:
    """3 significant digits, scientific notation below 0.01 and from 10,000 on; blank when missing.
    A number that is not 1 never reads 1: 0.99994 (an accuracy a few points short) keeps 6 digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    text = f"{x:.2g}" if abs(x) < 0.01 and x != 0 or abs(x) >= 1e4 else f"{x:.3g}"
    return f"{x:.6g}" if text in ("1", "-1") and abs(x) != 1 else text
