"""Tables derived from a suite's summary, written as Parquet and Markdown.

``table1``: train and test accuracy per model and regularization setting, true vs random labels
(Zhang et al.'s Table 1). ``rademacher``: the empirical Rademacher complexity per model and n,
R = mean_k (1 - 2 * training error on the k-th draw of +-1 labels), and the classical bound
test error <= train error + R + sqrt(ln(1/delta) / (2n)) beside the measured test error
(SPEC 1.6: 2 * R(loss class) with R(0-1 loss class) = R(H) / 2).
"""

from __future__ import annotations

import inspect
import math

import pandas as pd

from gengap.atomic import read_parquet, save_parquet, save_text
from gengap.measure_options import MeasureOptions
from gengap.registry import Registry
from gengap.report.ranking import by_seed as ranking_by_seed_of, power as ranking_power_of, rank_measures

TABLES: Registry = Registry("table")
KEYS = ["dataset", "model", "reg", "n"]


def _errors(summary: pd.DataFrame, corruption: str) -> pd.DataFrame:
    """Mean train and test error per row; ``diverged`` counts the row's cells whose training
    diverged (their errors are in the mean: a table must not hide them)."""
    df = summary[(summary["corruption"] == corruption) & summary["measure"].isin(["train_error", "test_error"])]
    out = df.pivot_table(index=KEYS, columns="measure", values="value", aggfunc="mean")
    if "status" in df and not out.empty:
        cells = df[df["measure"] == "train_error"].assign(diverged=lambda d: d["status"] == "diverged")
        out = out.join(cells.groupby(KEYS)["diverged"].sum().astype(int))
    return out


def _table1_columns(summary: pd.DataFrame) -> pd.DataFrame:
    """The paper's columns besides the accuracies: # params, random crop, weight decay (and
    dropout, which Table 1 does not vary), per row key."""
    cols = {}
    params = summary[summary["measure"] == "params"]
    if not params.empty:
        cols["params"] = params.groupby(KEYS)["value"].first().astype(int)
    for f in ("random_crop", "weight_decay", "dropout"):
        if f in summary:
            cols[f] = summary.groupby(KEYS)[f].first().map(lambda v: "yes" if v else "no")
    return pd.DataFrame(cols)


@TABLES.register("table1")
def table1(summary: pd.DataFrame) -> pd.DataFrame:
    """Zhang et al.'s Table 1: train and test accuracy per dataset, model and regularization
    setting, on true and on random labels, with the paper's columns (# params, random crop,
    weight decay; mean over seeds; ``diverged`` counts diverged cells)."""
    parts = []
    for corruption, label in (("true", "true labels"), ("random_labels", "random labels")):
        err = _errors(summary, corruption)
        if err.empty:
            continue
        parts.append(pd.DataFrame({"labels": label, "train_accuracy": 1 - err["train_error"],
                                   "test_accuracy": 1 - err["test_error"],
                                   "diverged": err["diverged"] if "diverged" in err else 0}))
    if not parts:
        raise ValueError("table1 needs cells with corruption 'true' or 'random_labels'")
    table, extra = pd.concat(parts), _table1_columns(summary)
    if not extra.empty:
        table = table.join(extra, how="left")
    front = [c for c in ("params", "random_crop", "weight_decay", "dropout") if c in table]
    table = table[front + [c for c in table if c not in front]]
    return table.reset_index().sort_values(["dataset", "model", "reg", "n", "labels"])


def rademacher_complexity(summary: pd.DataFrame) -> pd.DataFrame:
    """Empirical Rademacher complexity R = mean_k (1 - 2 train error on the k-th draw of +-1
    labels) per model and n, beside the training and test error on true labels."""
    noise = summary[(summary["corruption"] == "rademacher") & (summary["measure"] == "train_error")]
    if noise.empty:
        raise ValueError("the rademacher table needs cells with corruption 'rademacher'")
    r = noise.assign(r=1 - 2 * noise["value"]).groupby(KEYS)["r"].agg(["mean", "std", "count"])
    out = r.rename(columns={"mean": "rademacher", "std": "rademacher_std", "count": "draws"})
    true = _errors(summary, "true")
    out = out.join(true.drop(columns="diverged", errors="ignore"), how="left")
    diverged = noise.assign(d=noise.get("status", pd.Series(dtype=str)) == "diverged").groupby(KEYS)["d"].sum()
    out["diverged"] = diverged.astype(int)
    return out.reset_index()


@TABLES.register("rademacher")
def rademacher(summary: pd.DataFrame, options: MeasureOptions) -> pd.DataFrame:
    """Empirical Rademacher complexity R per model and n (``rademacher_complexity``) and the
    classical bound train error + R + sqrt(ln(1/delta) / 2n), delta the suite's measure option,
    beside the measured test error (``vacuous`` when the bound is at least 1)."""
    out = rademacher_complexity(summary)
    out["confidence_term"] = [math.sqrt(math.log(1 / options.delta) / (2 * k)) for k in out["n"]]
    out["bound"] = out["train_error"] + out["rademacher"] + out["confidence_term"]
    out["vacuous"] = out["bound"] >= 1
    return out


BATCH_MAP_MEASURES = ("test_error", "dist_init", "bartlett17", "bartlett17_numerator", "neyshabur18_init",
                      "neyshabur18_init_numerator")


@TABLES.register("batch_map")
def batch_map(summary: pd.DataFrame) -> pd.DataFrame:
    """Nagarajan & Kolter's claim against the batch size: per batch size (a regularization setting
    of the suite), the log-log slope against n of each bound, its numerator, the distance from
    initialization and the test error, over seeds with its 95 % interval (``gengap.report.slopes``),
    on the n every batch size was trained at; and, per quantity, the batch sizes between which
    its slope changes sign (``crossing``: the geometric interpolation of where it is 0)."""
    from gengap.report.slopes import slopes

    df = summary[summary["measure"].isin(BATCH_MAP_MEASURES)]
    common = set.intersection(*(set(g["n"]) for _, g in df.groupby("reg"))) if len(df) else set()
    df = df[df["n"].isin(common)]
    fits = slopes(df).query("pooled")
    batch = df.groupby("reg")["batch_size"].first()
    fits = fits.assign(batch_size=fits["reg"].map(batch)).sort_values(["measure", "batch_size"])
    rows = []
    for measure, g in fits.groupby("measure", sort=False):
        crossing = ""
        b, s = g["batch_size"].to_numpy(float), g["slope"].to_numpy(float)
        for i in range(len(g) - 1):
            if s[i] * s[i + 1] < 0:  # linear in log batch size between the two
                t = s[i] / (s[i] - s[i + 1])
                crossing = f"{b[i]:g}..{b[i + 1]:g} (~{math.exp(math.log(b[i]) + t * math.log(b[i + 1] / b[i])):.2g})"
        for r in g.itertuples():
            rows.append({"measure": measure, "batch_size": int(r.batch_size), "slope": r.slope, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "seeds": r.seeds, "n": ", ".join(map(str, sorted(common))),
                         "crossing": crossing})
    return pd.DataFrame(rows, columns=["measure", "batch_size", "slope", "ci_low", "ci_high", "seeds", "n", "crossing"])


@TABLES.register("measure_ranking")
def measure_ranking(summary: pd.DataFrame) -> pd.DataFrame:
    """Every measure of the suite ranked by how it tracks the generalization gap across the cells,
    each score with its 95 % bootstrap interval: its direction, Kendall's tau, the granulated
    Kendall Psi over the hyperparameters (and over every varied setting), each psi_i, the
    Hoeffding-weighted sign errors (mean, 90th percentile, max; per varied setting), the cells and
    environments behind them, and the measures its Psi is separated from (``gengap.report.ranking``)."""
    table = rank_measures(summary)
    if table.empty:
        return table
    first = ["measure", "direction", "Psi", "Psi_low", "Psi_high", "tau", "tau_low", "tau_high", "Psi_all",
             "Psi_all_low", "Psi_all_high", "sign_error_mean", "sign_error_mean_low", "sign_error_mean_high",
             "sign_error_p90", "sign_error_max", "cells", "environments", "weighted_environments", "separated_from"]
    return table[first + [c for c in table if c not in first]]


@TABLES.register("ranking_power")
def ranking_power(summary: pd.DataFrame) -> pd.DataFrame:
    """Whether the grid can rank measures at all: per varied setting, its groups and environments,
    and the share of environments whose gap difference exceeds the test set's noise (2 binomial
    standard errors; a positive Hoeffding weight) (``gengap.report.ranking.power``)."""
    return ranking_power_of(summary)


@TABLES.register("ranking_by_seed")
def ranking_by_seed(summary: pd.DataFrame) -> pd.DataFrame:
    """Whether the ranking holds seed by seed: each measure's Psi and place on each seed's cells
    alone, its mean place, and on how many seeds it is first and in the top five
    (``gengap.report.ranking.by_seed``)."""
    return ranking_by_seed_of(summary)


def write_table(name: str, summary_path: str, parquet_path: str, markdown_path: str, options: dict,
                html_path: str | None = None) -> pd.DataFrame:
    """The table ``name`` of a suite's summary; ``options``: the suite's measure options, passed to
    a table that takes them (its signature says so: ``rademacher``'s delta)."""
    fn = TABLES[name]
    takes = "options" in inspect.signature(fn).parameters
    table = fn(read_parquet(summary_path), **({"options": MeasureOptions.from_mapping(options)} if takes else {}))
    save_parquet(table, parquet_path)
    save_text(table.to_markdown(index=False, floatfmt=".4f") + "\n", markdown_path)
    if html_path:  # for Snakemake's report
        save_text(table.to_html(index=False, float_format="{:.4f}".format, border=0), html_path)
    return table
