"""What a run gives, in one Markdown table: one line per suite, every number read from the
suite's own summary. The README's "what to expect" table is this file from the quick preset,
so the numbers it states are the numbers the pipeline writes."""

from __future__ import annotations

import pandas as pd

from gengap.atomic import read_parquet, save_text
from gengap.report.tables import rademacher

HEADER = "| suite | what it shows (measured) |\n| --- | --- |\n"


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.01 or abs(x) >= 1e4 else f"{x:.3g}"


def _values(summary: pd.DataFrame, measure: str) -> pd.DataFrame:
    return summary[(summary["measure"] == measure) & (summary["draw"] == 1)]


def _per_model(df: pd.DataFrame, describe) -> str:
    return "; ".join(f"{model}: {describe(g)}" for model, g in df.groupby("model"))


def training_suite(summary: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
    cells = summary.drop_duplicates(["dataset", "corruption", "n", "seed", "draw", "model", "reg"])
    fitted = int((cells["status"] == "fitted").sum())
    diverged = int((cells["status"] == "diverged").sum())
    parts = [f"{len(cells)} cells, {fitted} met the stopping rule" + (f", {diverged} diverged" if diverged else "")]
    test = _values(summary, "test_error")
    noise = test[test["label_noise"].notna()]
    if noise["label_noise"].nunique() > 1:
        parts.append("test error from p = 0 to p = 1, " + _per_model(
            noise, lambda g: " → ".join(_fmt(v) for v in g.groupby("label_noise")["value"].mean())))
    other = test[test["label_noise"].isna() & (test["corruption"] != "rademacher")]
    if not other.empty:
        parts.append("test error of input corruptions, " + _per_model(
            other, lambda g: ", ".join(f"{c} {_fmt(v)}" for c, v in g.groupby("corruption")["value"].mean().items())))
    ratio = _values(summary, "train_error").query("corruption == 'random_labels'").dropna(subset=["relative_time_to_fit"])
    if not ratio.empty:
        parts.append("random labels take " + ", ".join(
            f"{_fmt(r.relative_time_to_fit)}x ({r.model}{'' if r.reg == 'none' else ', ' + r.reg})"
            for r in ratio.itertuples()) + " the steps of true labels")
    sprime = _values(summary, "sprime_error")
    if not sprime.empty:
        by_n = test.groupby("n")["value"].mean()
        parts.append("test error " + ", ".join(_fmt(v) for v in by_n) + f" at n = {', '.join(map(str, by_n.index))}"
                     f" while the error on S′ is {', '.join(_fmt(v) for v in sprime.groupby('n')['value'].mean())}")
    if slopes is not None:
        pooled = slopes[slopes["pooled"]].set_index("measure")
        shown = [m for m in ("test_error", "dist_init", "dist_s2", "spectral_product", "bartlett17", "bartlett17_nk",
                             "neyshabur18_init", "neyshabur19", "neyshabur19_nk") if m in pooled.index]
        parts.append("pooled log-log slopes against n: " + ", ".join(
            f"{m} {pooled.loc[m, 'slope']:+.2f} [{pooled.loc[m, 'ci_low']:+.2f}, {pooled.loc[m, 'ci_high']:+.2f}]"
            for m in shown))
    if (summary["corruption"] == "rademacher").any():
        parts.append(rademacher_line(summary))
    return "; ".join(parts)


def rademacher_line(summary: pd.DataFrame) -> str:
    t = rademacher(summary)
    return ("R̂ = " + ", ".join(f"{_fmt(r)} (n = {n})" for n, r in zip(t["n"], t["rademacher"]))
            + "; the bound is " + ", ".join(_fmt(b) for b in t["bound"])
            + " against test error " + ", ".join(_fmt(e) for e in t["test_error"]))


def expressivity_suite(summary: pd.DataFrame, slopes=None) -> str:
    depth1 = summary[summary["depth"] == 1]
    exact = int((depth1["params"] == depth1["params_2n_plus_d"]).sum())
    worst = summary.groupby("n")[["residual_float64", "residual_float32"]].max()
    return (f"params = 2n + d in {exact} of {len(depth1)} depth-1 cells; worst residual in float64 "
            + ", ".join(f"{_fmt(r)} (n = {n})" for n, r in worst["residual_float64"].items())
            + "; in float32 up to " + _fmt(worst["residual_float32"].max())
            + ("; its float64 weights evaluated exactly: up to " + _fmt(summary["residual_exact"].max())
               if "residual_exact" in summary else ""))


def kernel_suite(summary: pd.DataFrame, slopes=None) -> str:
    k = summary[summary["kind"] == "kernel"]
    parts = [f"training error {_fmt(k['train_error'].max())} at most"]
    for kernel, g in k.groupby("kernel"):
        by_n = g.groupby("n")["test_error"].mean()
        parts.append(f"{kernel} test error " + ", ".join(f"{_fmt(v)} (n = {n})" for n, v in by_n.items()))
    sgd = summary[summary["kind"] == "min_norm_sgd"]
    if not sgd.empty:
        parts.append("SGD from zero lands within " + _fmt(sgd["relative_distance"].max())
                     + " (relative) of the minimum-norm solution")
    return "; ".join(parts)


# One describer per suite kind: (summary, slopes or None) -> the line's text.
DESCRIBE = {"train": training_suite, "expressivity": expressivity_suite, "kernel": kernel_suite}


def overview(summaries: dict[str, pd.DataFrame], kinds: dict[str, str],
             slopes: dict[str, pd.DataFrame] | None = None) -> str:
    """The Markdown table: ``summaries`` and ``kinds`` by suite name, ``slopes`` where fitted."""
    slopes = slopes or {}
    lines = []
    for suite, summary in summaries.items():
        describe = DESCRIBE.get(kinds[suite], lambda s, _: f"{len(s)} rows")
        lines.append(f"| `{suite}` | {describe(summary, slopes.get(suite))} |")
    return HEADER + "\n".join(lines) + "\n"


def write_overview(summary_paths: dict[str, str], kinds: dict[str, str], slope_paths: dict[str, str],
                   out_path: str) -> str:
    text = overview({s: read_parquet(p) for s, p in summary_paths.items()}, kinds,
                    {s: read_parquet(p) for s, p in slope_paths.items()})
    save_text(text, out_path)
    return text
