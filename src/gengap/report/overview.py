"""What a run gives, in one Markdown table: one line per suite, every number read from the
suite's own summary (each suite's kind describes it: ``SuiteKind.describe``). The README's "what to
expect" table is this file from the quick preset, so the numbers it states are the numbers the
pipeline writes."""

from __future__ import annotations

import pandas as pd

from gengap.atomic import read_parquet, save_text
from gengap.suites import KINDS

HEADER = "| suite | what it shows (measured) |\n| --- | --- |\n"


def overview(summaries: dict[str, pd.DataFrame], kinds: dict[str, str],
             slopes: dict[str, pd.DataFrame] | None = None) -> str:
    """The Markdown table: ``summaries`` and ``kinds`` by suite name, ``slopes`` where fitted."""
    slopes = slopes or {}
    lines = [f"| `{suite}` | {KINDS[kinds[suite]].describe(summary, slopes.get(suite))} |"
             for suite, summary in summaries.items()]
    return HEADER + "\n".join(lines) + "\n"


def write_overview(summary_paths: dict[str, str], kinds: dict[str, str], slope_paths: dict[str, str],
                   out_path: str) -> str:
    text = overview({s: read_parquet(p) for s, p in summary_paths.items()}, kinds,
                    {s: read_parquet(p) for s, p in slope_paths.items()})
    save_text(text, out_path)
    return text
