"""What a run gives, in one Markdown table: one line per suite, every number read from the
suite's own summary (each suite's kind describes it: ``SuiteKind.describe``). The README's "what to
expect" table is this file from the quick preset, so the numbers it states are the numbers the
pipeline writes."""

from __future__ import annotations

import pandas as pd

from gengap.atomic import read_parquet, save_text
from gengap.report.ranking import headline
from gengap.report.verdicts import claim_count, claims, verdict_counts
from gengap.suites import KINDS

HEADER = "| suite | what it shows (measured) | the papers' claims |\n| --- | --- | --- |\n"


def overview(summaries: dict[str, pd.DataFrame], kinds: dict[str, str],
             slopes: dict[str, pd.DataFrame] | None = None, paper: pd.DataFrame | None = None,
             rankings: dict[str, pd.DataFrame] | None = None) -> str:
    """The Markdown table: ``summaries`` and ``kinds`` by suite name, ``slopes`` where fitted, the
    measure ranking's headline where a suite ranks its measures (its ``measure_ranking`` table), and
    the verdicts of the papers' claims about each suite (the paper-vs-gengap table)."""
    slopes, rankings = slopes or {}, rankings or {}
    lines = []
    for suite, summary in summaries.items():
        mine = claims(paper[paper["suite"] == suite]) if paper is not None else pd.DataFrame()
        verdicts = f"{claim_count(mine)}: {verdict_counts(mine)}" if len(mine) else "none stated"
        shows = KINDS[kinds[suite]].describe(summary, slopes.get(suite))
        if suite in rankings:
            shows += f"; {headline(rankings[suite])}"
        lines.append(f"| `{suite}` | {shows} | {verdicts} |")
    return HEADER + "\n".join(lines) + "\n"


def write_overview(summary_paths: dict[str, str], kinds: dict[str, str], slope_paths: dict[str, str],
                   out_path: str, paper_path: str | None = None, ranking_paths: dict[str, str] | None = None) -> str:
    text = overview({s: read_parquet(p) for s, p in summary_paths.items()}, kinds,
                    {s: read_parquet(p) for s, p in slope_paths.items()},
                    read_parquet(paper_path) if paper_path else None,
                    {s: read_parquet(p) for s, p in (ranking_paths or {}).items()})
    save_text(text, out_path)
    return text
