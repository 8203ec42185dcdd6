"""The verdict on each claim of the papers: one rule per kind of claim, written out beside it.

Vocabulary (SPEC 2, "Verdicts"):

- ``reproduced``: the value or interval satisfies the claim's rule, on the paper's data;
- ``holds on other data``: the same, on data the paper did not use (a CIFAR-10 claim checked on
  MNIST, or raw files that differ from the published ones);
- ``contradicted``: the interval (or, where there is none, the value) excludes the claim;
- ``inconclusive``: neither; the row says what would decide it (seeds, or the paper's cells);
- ``not run``: nothing measured.

Rules, by the ``test`` of a paper value (``workflow/report/paper_values.csv``):

- ``positive_slope`` / ``negative_slope``: the 95 % interval over seeds of the log-log slope
  against n (``gengap.report.slopes``: the seed is the unit) lies above / below 0: holds; below /
  above 0: contradicted; it holds 0, or there are fewer than 3 seeds (no interval): inconclusive.
- ``within``: |measured - paper| <= tolerance, only on the paper's data at its n (``paper_n``):
  holds, else contradicted; measured on other data or at another n: inconclusive (the paper's number
  is for its own cells).
- ``at_most`` / ``at_least``: measured <= / >= tolerance, else contradicted.
- ``factor``: 1 <= measured <= tolerance (a small constant factor), else contradicted.
- ``rises``: above the same model's and data's value at p = 0; ``lowest``: below every other p's.

A value from a cell stopped at a cap is a bound (``bound`` ">": at least this): it decides a
verdict only where the bound does (a ratio of "> 12x" contradicts "<= 10x"; "> 8x" decides
nothing). The qualitative tests are decided on whatever data and n the run used; the data and
scale stand beside every verdict.
"""

from __future__ import annotations

import math

import pandas as pd

from gengap.report.format import number
from gengap.report.seeds import MIN_SEEDS, seeds_needed

VERDICTS = ("reproduced", "holds on other data", "contradicted", "inconclusive", "not run")  # the table's order
REPRODUCED, OTHER, CONTRADICTED, INCONCLUSIVE, NOT_RUN = VERDICTS
TESTS = ("positive_slope", "negative_slope", "within", "at_most", "at_least", "factor", "rises", "lowest")


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _text(v: float) -> str:
    return f"{v:g}"


def same_data(paper_data: str, measured: str) -> bool:
    """The paper's dataset ("CIFAR-10", "MNIST", "hypersphere d = 1000", "any") is the measured one."""
    simple = lambda t: "".join(ch for ch in str(t).lower() if ch.isalnum())
    if str(paper_data).strip().lower() == "any":
        return bool(measured)
    return bool(measured) and simple(measured).startswith(simple(paper_data.split(" d ")[0]))


def rule_text(row: dict) -> str:
    """The claim's rule in words, as the table prints it."""
    test, tol = row["test"], _num(row.get("tolerance"))
    if test in ("positive_slope", "negative_slope"):
        side = "> 0" if test == "positive_slope" else "< 0"
        return f"95 % interval over seeds of the log-log slope against n {side}"
    if test == "within":
        n = f" at n = {int(_num(row['paper_n'])):,}" if row.get("paper_n") not in ("", None) and math.isfinite(_num(row["paper_n"])) else ""
        return f"within {_text(tol)} of {_text(_num(row['paper_value']))} on {row['paper_data']}{n}"
    if test == "at_most":
        return f"value ≤ {_text(tol)}"
    if test == "at_least":
        return f"value ≥ {_text(tol)}"
    if test == "factor":
        return f"ratio between 1× and {_text(tol)}×"
    if test == "rises":
        return "above the same model's value at p = 0"
    if test == "lowest":
        return "below the value at every other p"
    raise ValueError(f"unknown test {test!r} in the paper values; allowed: {', '.join(TESTS)}")


def _curve(row: dict, rows) -> dict[float, float]:
    """The measured values of the same quantity, model and data by p (for ``rises``, ``lowest``)."""
    return {float(r["p"]): _num(r.get("gengap_value")) for r in rows
            if r["quantity"] == row["quantity"] and r.get("model") == row.get("model")
            and r.get("gengap_data") == row.get("gengap_data") and r["p"] not in ("", None)}


def _slope_verdict(row: dict) -> tuple[bool | None, str]:
    """(holds, note): True / False when the interval decides, None when it does not."""
    seeds = int(_num(row.get("seeds"))) if math.isfinite(_num(row.get("seeds"))) else 0
    low, high = _num(row.get("ci_low")), _num(row.get("ci_high"))
    if not (math.isfinite(low) and math.isfinite(high)):
        return None, f"{seeds} seed{'s' if seeds != 1 else ''}: an interval needs at least {MIN_SEEDS}"
    up = row["test"] == "positive_slope"
    if (low > 0) if up else (high < 0):
        return True, ""
    if (high < 0) if up else (low > 0):
        return False, ""
    k = seeds_needed(_num(row.get("gengap_value")), _num(row.get("seed_sd")))
    return None, (f"the interval holds 0; at this spread about {k} seeds would decide it" if k
                  else "the interval holds 0; at this spread no feasible number of seeds would decide it")


def decide(row: dict, rows=()) -> tuple[str, str]:
    """(verdict, note) of one measured row; ``rows``: the whole table (``rises``, ``lowest``
    compare with the same curve's other rows)."""
    value = _num(row.get("gengap_value"))
    if not math.isfinite(value) and row["test"] not in ("positive_slope", "negative_slope"):
        return NOT_RUN, ""
    if row["test"] in ("positive_slope", "negative_slope") and not math.isfinite(value):
        return NOT_RUN, ""
    test, tol, bound = row["test"], _num(row.get("tolerance")), row.get("bound") or ""
    note = ""
    if test in ("positive_slope", "negative_slope"):
        held, note = _slope_verdict(row)
    elif test == "within":
        paper_n = _num(row.get("paper_n"))
        if not same_data(row["paper_data"], row.get("gengap_data", "")) or (
                math.isfinite(paper_n) and _num(row.get("gengap_n")) != paper_n):
            n = f", n = {int(paper_n):,}" if math.isfinite(paper_n) else ""
            return INCONCLUSIVE, f"the paper's number is for {row['paper_data']}{n}: it would take those cells"
        gap = value - _num(row["paper_value"])
        held = abs(gap) <= tol if not bound else (False if gap > tol else None)
    elif test == "at_most":
        held = value <= tol if not bound else (False if value > tol else None)
    elif test == "at_least":
        held = value >= tol if not bound else (True if value >= tol else None)
    elif test == "factor":
        held = 1 <= value <= tol if not bound else (False if value > tol else None)
    elif test in ("rises", "lowest"):
        curve = _curve(row, rows)
        others = [v for p, v in curve.items() if p != 0.0 and math.isfinite(v)]
        held = value > curve.get(0.0, math.nan) if test == "rises" else bool(others) and value < min(others)
    else:
        raise ValueError(f"unknown test {test!r} in the paper values; allowed: {', '.join(TESTS)}")
    if held is None:
        return INCONCLUSIVE, note or f"the value is a bound ({bound} {_text(value)}) that does not decide the rule"
    if not held:
        return CONTRADICTED, note
    return (REPRODUCED if same_data(row["paper_data"], row.get("gengap_data", "")) and not row.get("modified")
            else OTHER), note


CLAIM = ["paper", "source", "claim", "paper_model"]  # what makes rows of the paper values one claim
SEVERITY = (CONTRADICTED, INCONCLUSIVE, OTHER, REPRODUCED)  # a claim's verdict: its worst decided variant


def claim_verdict(variants: list[str], on_paper_data: list[bool]) -> str:
    """The verdict of a claim from its variants' (datasets, settings, thresholds): the worst among
    the variants decided on the paper's data where there are any, else among all; not run when none ran."""
    ran = [(v, p) for v, p in zip(variants, on_paper_data) if v != NOT_RUN]
    if not ran:
        return NOT_RUN
    pool = [v for v, p in ran if p] or [v for v, _ in ran]
    return min(pool, key=SEVERITY.index)


def claims(table: pd.DataFrame) -> pd.DataFrame:
    """One row per claim (paper, source, claim text): its verdict from its variants', its rule,
    the variants measured (each with its verdict and value), the suites it was looked for in."""
    out = []
    for key, g in table.groupby(CLAIM, sort=False):
        ran = g[g["verdict"] != NOT_RUN]
        on_paper = [same_data(d, m) for d, m in zip(g["paper_data"], g["gengap_data"].fillna(""))]
        first = g.iloc[0]
        out.append({**dict(zip(CLAIM, key)), "verdict": claim_verdict(list(g["verdict"]), on_paper),
                    "rule": first["rule"], "paper_data": first["paper_data"], "paper_says": _paper_says(first),
                    "measured": "; ".join(_variant_text(r) for _, r in ran.iterrows()),
                    "variants": len(ran), "suites": ", ".join(dict.fromkeys(g["suite"]))})
    table = pd.DataFrame(out, columns=[*CLAIM, "verdict", "rule", "paper_data", "paper_says", "measured", "variants",
                                       "suites"])
    order = table["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def _fmt(v) -> str:
    return number(v) if isinstance(v, float) else ("" if v is None else str(v))


def _paper_says(row) -> str:
    value, text = _fmt(row["paper_value"]), row["paper_text"] if isinstance(row["paper_text"], str) else ""
    return f"{value} ({text})" if value and text else value or text


def _variant_text(row) -> str:
    """``mnist, mlp_1x512, batch 1: +0.88 [+0.76, +1.00] (3 seeds), n = 128..32768 → contradicted``."""
    where = ", ".join(str(v) for v in (row["gengap_data"], row["model"], row["setting"])
                      if isinstance(v, str) and v)
    bound = row["bound"] if isinstance(row["bound"], str) else ""
    slope = row["test"] in ("positive_slope", "negative_slope") and isinstance(row["gengap_value"], float)
    value = f"{row['gengap_value']:+.2f}" if slope and math.isfinite(row["gengap_value"]) else _fmt(row["gengap_value"])
    value = f"{bound} {value}".strip()
    if isinstance(row["gengap_ci"], str) and row["gengap_ci"]:
        value += f" {row['gengap_ci']}"
    scale = f", {row['gengap_scale']}" if isinstance(row["gengap_scale"], str) and row["gengap_scale"] else ""
    note = f" ({row['note']})" if isinstance(row["note"], str) and row["note"] else ""
    return f"{where}: {value}{scale} → {row['verdict']}{note}"


def claim_count(table: pd.DataFrame) -> str:
    """``1 claim``, ``5 claims``."""
    return f"{len(table)} claim{'s' if len(table) != 1 else ''}"


def verdict_counts(table: pd.DataFrame, column: str = "verdict") -> str:
    """``3 reproduced, 2 holds on other data, 1 contradicted, 4 inconclusive, 5 not run``."""
    counts = table[column].value_counts()
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts)
