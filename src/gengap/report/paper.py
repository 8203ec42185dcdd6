"""The "paper vs gengap" table: every number and claim of the two papers beside what this run
measured, and at what scale.

The papers' values are data (``workflow/report/paper_values.csv``: paper, source, the paper's
dataset, the claim, its value or its qualitative statement). Each row names the suite and a
*quantity*, a registered function that reads the measured value from that suite's summary (or
slopes). A suite that is not in the run gives "not run", never a silent gap.
"""

from __future__ import annotations

import math

import pandas as pd

from gengap.atomic import read_parquet, save_parquet, save_text
from gengap.registry import Registry
from gengap.report.tables import rademacher, table1

QUANTITIES: Registry = Registry("paper quantity")
COLUMNS = ["paper", "source", "claim", "paper_data", "paper_value", "paper_text", "suite", "gengap_value",
           "gengap_ci", "gengap_data", "gengap_scale"]


def _scale(df: pd.DataFrame) -> str:
    """``n = 256, 1 seed`` for the rows a value was taken from."""
    ns = sorted(set(df["n"])) if "n" in df else []
    seeds = df["seed"].nunique() if "seed" in df else 1
    n = f"n = {ns[0]}" if len(ns) == 1 else f"n = {ns[0]}..{ns[-1]}" if ns else ""
    return ", ".join(p for p in (n, f"{seeds} seed{'s' if seeds != 1 else ''}") if p)


def _value(df: pd.DataFrame, column: str = "value") -> list[dict]:
    """One measured value per dataset: the mean over the matching rows (seeds, draws 1)."""
    return [{"gengap_value": g[column].mean(), "gengap_data": d, "gengap_scale": _scale(g)}
            for d, g in df.groupby("dataset")]


def _match(df: pd.DataFrame, row: pd.Series, *fields: str) -> pd.DataFrame:
    for f in fields:
        if isinstance(row[f], str) and row[f]:
            df = df[df[f] == row[f]]
    return df


@QUANTITIES.register("table1")
def _table1(row, summary, slopes):
    labels = "random labels" if row["corruption"] == "random_labels" else "true labels"
    t = table1(summary)
    t = _match(t[t["labels"] == labels], row, "model", "reg")
    cells = _match(summary[summary["corruption"] == row["corruption"]], row, "model", "reg")
    return [dict(v, gengap_scale=_scale(cells[cells["dataset"] == v["gengap_data"]]))
            for v in _value(t, row["measure"])]


@QUANTITIES.register("test_error_at_p")
def _test_error_at_p(row, summary, slopes):
    df = summary[(summary["measure"] == "test_error") & (summary["draw"] == 1)]
    df = _match(df[(df["label_noise"] - float(row["p"])).abs() < 1e-9], row, "model")
    return [dict(v, gengap_data=f"{v['gengap_data']}, {m}") for m, g in df.groupby("model") for v in _value(g)]


@QUANTITIES.register("relative_time_to_fit")
def _relative_time_to_fit(row, summary, slopes):
    df = summary[(summary["measure"] == "train_error") & (summary["corruption"] == row["corruption"])]
    df = _match(df, row, "model").dropna(subset=["relative_time_to_fit"])
    return [dict(v, gengap_data=f"{v['gengap_data']}, {m}") for m, g in df.groupby("model")
            for v in _value(g, "relative_time_to_fit")]


@QUANTITIES.register("kernel_test_error")
def _kernel_test_error(row, summary, slopes):
    df = summary[(summary["kind"] == "kernel") & (summary["kernel"] == "rbf")]
    df = df[df["n"] == df.groupby("dataset")["n"].transform("max")]  # the largest n per dataset
    return _value(df, "test_error")


@QUANTITIES.register("rademacher")
def _rademacher(row, summary, slopes):
    t = rademacher(summary)
    t = t[t["n"] == t["n"].max()]
    return [dict(v, gengap_data=f"{v['gengap_data']}, {m}", gengap_scale=f"n = {g['n'].iloc[0]}, {int(g['draws'].iloc[0])} draws")
            for m, g in t.groupby("model") for v in _value(g, "rademacher")]


@QUANTITIES.register("expressivity_residual")
def _expressivity_residual(row, summary, slopes):
    return [{"gengap_value": g[row["measure"]].max(), "gengap_data": d, "gengap_scale": _scale(g)}
            for d, g in summary.groupby("dataset")]


@QUANTITIES.register("sprime_error")
def _sprime_error(row, summary, slopes):
    df = summary[(summary["measure"] == "sprime_error") & (summary["draw"] == 1)]
    return _value(df)


@QUANTITIES.register("slope")
def _slope(row, summary, slopes):
    if slopes is None:
        return []
    s = slopes[slopes["pooled"] & (slopes["measure"] == row["measure"])]
    cells = summary[(summary["measure"] == row["measure"]) & (summary["draw"] == 1)]
    return [{"gengap_value": r.slope, "gengap_ci": f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]",
             "gengap_data": f"{r.dataset}, {r.model}", "gengap_scale": _scale(cells[cells["dataset"] == r.dataset])}
            for r in s.itertuples()]


def compare(paper_values: pd.DataFrame, summaries: dict[str, pd.DataFrame],
            slopes: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (paper value, measured dataset); "not run" where the suite is absent, "no
    matching cells" where it ran without the cells the claim needs."""
    rows = []
    for _, row in paper_values.fillna("").iterrows():
        base = {c: row[c] for c in ("paper", "source", "claim", "paper_data", "paper_text", "suite")}
        base["paper_value"] = float(row["paper_value"]) if row["paper_value"] != "" else math.nan
        summary = summaries.get(row["suite"])
        if summary is None:
            rows.append(dict(base, gengap_scale="not run"))
            continue
        measured = QUANTITIES[row["quantity"]](row, summary, slopes.get(row["suite"]))
        rows += [dict(base, **m) for m in measured] or [dict(base, gengap_scale="no matching cells")]
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def write_paper_table(paper_values_path: str, summary_paths: dict[str, str], slope_paths: dict[str, str],
                      parquet_path: str, markdown_path: str, html_path: str | None = None) -> pd.DataFrame:
    table = compare(pd.read_csv(paper_values_path, dtype=str),
                    {s: read_parquet(p) for s, p in summary_paths.items()},
                    {s: read_parquet(p) for s, p in slope_paths.items()})
    save_parquet(table, parquet_path)
    shown = table.astype(object)
    for col in ("paper_value", "gengap_value"):
        shown[col] = table[col].map(lambda v: f"{v:.4g}")
    shown = shown.where(table.notna(), "")
    save_text(shown.to_markdown(index=False) + "\n", markdown_path)
    if html_path:
        save_text(shown.to_html(index=False, border=0), html_path)
    return table
