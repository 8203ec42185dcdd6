"""The "paper vs gengap" table: every number and claim of the two papers beside what this run
measured, and at what scale.

The papers' values are data (``workflow/report/paper_values.csv``: paper, source, the paper's
dataset, the claim, its value or its qualitative statement, and the *test* that decides it). Each
row names the suite and a *quantity*, a registered function that reads the measured value from
that suite's summary (or slopes). A suite that is not in the run gives "not run", never a silent
gap.

Every row gets a verdict, by one rule per test (``verdict``):

- ``positive_slope`` / ``negative_slope``: *reproduced* when the 95 % interval of the pooled
  log-log slope lies above (below) 0, else *not reproduced* (an interval that holds 0 does not
  show the claimed direction).
- ``within``: a number of the paper: *reproduced* when |measured - paper| <= ``tolerance``, else
  *not reproduced*; but only on the paper's dataset and at its n (``paper_n``, where given):
  measured on other data or at another n it is *other data or scale*, since the paper's number
  does not apply there.
- ``at_most`` / ``at_least``: *reproduced* when measured <= (>=) ``tolerance`` (exactness up to
  it; a value near 1).
- ``factor``: *reproduced* when 1 <= measured <= ``tolerance`` (a small constant factor).
- ``rises``: *reproduced* when the measured value exceeds the same model's and dataset's value at
  p = 0 (the curve rises with label noise); ``lowest``: when the value at p = 0 is below every
  other p's.

The qualitative tests (slopes, at_most, at_least, factor, rises, lowest) are about directions and
orders, so they are decided on whatever data and n the run used; the data and scale stand beside
every verdict. No measured value: *not run*.
"""

from __future__ import annotations

import html
import math

import pandas as pd

from gengap.atomic import read_json, read_parquet, save_parquet, save_text
from gengap.registry import Registry
from gengap.report.format import number
from gengap.report.tables import rademacher, table1
from gengap.report.verdicts import VERDICTS, verdict_counts

QUANTITIES: Registry = Registry("paper quantity")
COLUMNS = ["verdict", "paper", "source", "claim", "model", "paper_data", "paper_value", "paper_text", "suite",
           "gengap_value", "gengap_ci", "gengap_data", "gengap_scale", "test", "tolerance"]


def _scale(df: pd.DataFrame) -> str:
    """``n = 256, 1 seed`` for the rows a value was taken from."""
    ns = sorted(set(df["n"])) if "n" in df else []
    seeds = df["seed"].nunique() if "seed" in df else 1
    n = f"n = {ns[0]}" if len(ns) == 1 else f"n = {ns[0]}..{ns[-1]}" if ns else ""
    return ", ".join(p for p in (n, f"{seeds} seed{'s' if seeds != 1 else ''}") if p)


def _value(df: pd.DataFrame, column: str = "value") -> list[dict]:
    """One measured value per dataset: the mean over the matching rows (seeds, draws 1)."""
    return [{"gengap_value": g[column].mean(), "gengap_data": d, "gengap_scale": _scale(g),
             "gengap_n": int(g["n"].max()) if "n" in g else None} for d, g in df.groupby("dataset")]


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
    return [dict(v, model=m) for m, g in df.groupby("model") for v in _value(g)]


@QUANTITIES.register("relative_time_to_fit")
def _relative_time_to_fit(row, summary, slopes):
    df = summary[(summary["measure"] == "train_error") & (summary["corruption"] == row["corruption"])]
    df = _match(df, row, "model").dropna(subset=["relative_time_to_fit"])
    return [dict(v, model=m) for m, g in df.groupby("model") for v in _value(g, "relative_time_to_fit")]


@QUANTITIES.register("kernel_test_error")
def _kernel_test_error(row, summary, slopes):
    df = summary[(summary["kind"] == "kernel") & (summary["kernel"] == "rbf")]
    df = df[df["n"] == df.groupby("dataset")["n"].transform("max")]  # the largest n per dataset
    return _value(df, "test_error")


@QUANTITIES.register("rademacher")
def _rademacher(row, summary, slopes):
    t = rademacher(summary)
    t = t[t["n"] == t["n"].max()]
    return [dict(v, model=m, gengap_scale=f"n = {g['n'].iloc[0]}, {int(g['draws'].iloc[0])} draws")
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
    return [{"gengap_value": r.slope, "ci_low": r.ci_low, "ci_high": r.ci_high,
             "gengap_ci": f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]", "model": r.model,
             "gengap_data": r.dataset, "gengap_scale": _scale(cells[cells["dataset"] == r.dataset])}
            for r in s.itertuples()]


def _same_data(paper_data: str, measured: str) -> bool:
    """The paper's dataset ("CIFAR-10", "MNIST", "hypersphere d = 1000") is the measured one."""
    simple = lambda t: "".join(ch for ch in str(t).lower() if ch.isalnum())
    return bool(measured) and simple(measured).startswith(simple(paper_data.split(" d ")[0]))


def _curve(row: dict, rows: list[dict]) -> dict[float, float]:
    """The measured values of the same quantity, model and data by p (for ``rises``, ``lowest``)."""
    return {float(r["p"]): r.get("gengap_value", math.nan) for r in rows
            if r["quantity"] == row["quantity"] and r.get("model") == row.get("model")
            and r.get("gengap_data") == row.get("gengap_data") and r["p"] not in ("", None)}


def verdict(row: dict, rows: list[dict] = ()) -> str:
    """The verdict of one compared row by its test (module docstring); ``rows``: the whole table,
    for tests that compare with another row."""
    value = row.get("gengap_value", math.nan)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not run"
    test, tol = row["test"], row.get("tolerance")
    tol = float(tol) if tol not in ("", None) else math.nan
    if test == "positive_slope":
        held = row["ci_low"] > 0
    elif test == "negative_slope":
        held = row["ci_high"] < 0
    elif test == "within":
        paper_n = row.get("paper_n")
        if not _same_data(row["paper_data"], row.get("gengap_data", "")) or (
                paper_n not in ("", None) and row.get("gengap_n") != int(paper_n)):
            return "other data or scale"
        held = abs(value - float(row["paper_value"])) <= tol
    elif test == "at_most":
        held = value <= tol
    elif test == "at_least":
        held = value >= tol
    elif test == "factor":
        held = 1 <= value <= tol
    elif test in ("rises", "lowest"):
        curve = _curve(row, rows)
        others = [v for p, v in curve.items() if p != 0.0]
        held = value > curve.get(0.0, math.nan) if test == "rises" else bool(others) and value < min(others)
    else:
        raise ValueError(f"unknown test {test!r} in the paper values; allowed: positive_slope, negative_slope, "
                         "within, at_most, at_least, factor, rises, lowest")
    return "reproduced" if held else "not reproduced"


def compare(paper_values: pd.DataFrame, summaries: dict[str, pd.DataFrame],
            slopes: dict[str, pd.DataFrame], modified: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per (paper value, measured dataset and model) with its verdict; "not run" where the
    suite is absent (``gengap_scale`` "not in this run") or ran without the cells the claim needs
    ("no matching cells"). Rows with a verdict on a measured value come first. ``modified``: the
    datasets decoded from raw files that are not the published ones (``allow_modified_data``),
    with those files: their rows name them, and none of them is "reproduced"."""
    rows = []
    for _, row in paper_values.fillna("").iterrows():
        base = row.to_dict()
        base["paper_value"] = float(row["paper_value"]) if row["paper_value"] != "" else math.nan
        summary = summaries.get(row["suite"])
        if summary is None:
            rows.append(dict(base, gengap_scale="not in this run"))
            continue
        measured = QUANTITIES[row["quantity"]](row, summary, slopes.get(row["suite"]))
        rows += [dict(base, **m) for m in measured] or [dict(base, gengap_scale="no matching cells")]
    for row in rows:
        row["verdict"] = verdict(row, rows)
    for row in rows:
        files = (modified or {}).get(row.get("gengap_data"))
        if files:
            row["gengap_data"] = f"{row['gengap_data']} (modified data: {', '.join(files)})"
            if row["verdict"] == "reproduced":
                row["verdict"] = "other data or scale"
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    order = table["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


# the report shows the table at its page width: wrapped text, fixed columns
STYLE = """<style>
/* Snakemake's report sets its landing text in a narrow prose column: let this table use the page */
div.prose:has(table.paper-vs-gengap) { max-width: 100%; }
table.paper-vs-gengap { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 12px; }
table.paper-vs-gengap th, table.paper-vs-gengap td { border-bottom: 1px solid #ddd; padding: 3px 5px;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.paper-vs-gengap td.reproduced { background: #dff0d8; } table.paper-vs-gengap td.not-reproduced { background: #f2dede; }
table.paper-vs-gengap td.other-data-or-scale { background: #fcf8e3; } table.paper-vs-gengap td.not-run { color: #888; }
</style>
"""
def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: one number format, the paper's value or statement in one
    column, the measured value with its interval in another."""
    fmt = lambda v: number(v) if isinstance(v, float) else ("" if v is None else str(v))
    paper = [f"{fmt(v)} ({t})" if fmt(v) and t else fmt(v) or t
             for v, t in zip(table["paper_value"], table["paper_text"].astype(object).fillna(""))]
    measured = [f"{fmt(v)} {ci if isinstance(ci, str) else ''}".strip() if fmt(v) else ""
                for v, ci in zip(table["gengap_value"], table["gengap_ci"])]
    return pd.DataFrame({"verdict": table["verdict"], "paper": table["paper"], "source": table["source"],
                         "claim": table["claim"], "model": table["model"].fillna(""),
                         "paper's data": table["paper_data"], "paper says": paper, "gengap measured": measured,
                         "gengap's data": table["gengap_data"].fillna(""), "scale": table["gengap_scale"].fillna("")})


def to_html(shown: pd.DataFrame) -> str:
    cells = lambda r: "".join(
        f'<td class="{r["verdict"].replace(" ", "-")}">{html.escape(str(v))}</td>' if k == "verdict"
        else f"<td>{html.escape(str(v))}</td>" for k, v in r.items())
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = "\n".join(f"<tr>{cells(r)}</tr>" for _, r in shown.iterrows())
    return f'{STYLE}<table class="paper-vs-gengap">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n'


def write_paper_table(paper_values_path: str, summary_paths: dict[str, str], slope_paths: dict[str, str],
                      parquet_path: str, markdown_path: str, html_path: str | None = None,
                      read_paths: dict[str, str] | None = None) -> pd.DataFrame:
    """The table from the files of a run; ``read_paths``: each dataset's ``<name>.read.json``
    (what its decoding read, modified files included)."""
    modified = {d: read_json(p).get("modified", []) for d, p in (read_paths or {}).items()}
    table = compare(pd.read_csv(paper_values_path, dtype=str),
                    {s: read_parquet(p) for s, p in summary_paths.items()},
                    {s: read_parquet(p) for s, p in slope_paths.items()}, modified)
    save_parquet(table, parquet_path)
    shown = shown_table(table)
    save_text(f"Verdicts: {verdict_counts(table)}.\n\n" + shown.to_markdown(index=False) + "\n", markdown_path)
    if html_path:
        save_text(to_html(shown), html_path)
    return table
