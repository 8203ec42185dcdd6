"""Which measure predicts generalization? Every measure of a suite scored against the
generalization gap across its cells, as Jiang et al. (ICLR 2020, "Fantastic generalization
measures") and Dziugaite et al. (NeurIPS 2020, "In search of robust measures of generalization")
score them, each score with a 95 % interval (SPEC 1.7).

Each cell is described by its *settings*: the hyperparameters Jiang et al. vary (width and depth of
its MLP, from the model's name, another model being its name in both; learning rate, batch size,
weight decay, dropout) and the *environments* of the data (dataset, n, and its corruption, label
noise p). The gap g of a cell is its measure ``gap`` (test error minus training error).

- **Orientation**: every measure is scored so that a larger value predicts a larger gap. Norms and
  bounds are, as they are; a margin is not (a larger margin goes with a smaller gap): a measure of
  kind ``margin`` (``margins_*``) is scored as Jiang et al.'s inverse margin 1/gamma^2 (``1/margins_*^2``; a cell whose margin is not
  positive has no such value). Each row states its direction.
- **Kendall's tau** over all pairs of cells: mean of sign(mu_1 - mu_2) sign(g_1 - g_2).
- **Granulated Kendall Psi**: for each setting i that varies, psi_i = the mean of tau over the
  *groups* of cells that agree in every other setting and the seed (groups of at least two cells);
  ``Psi`` = the mean of psi_i over the hyperparameters (Jiang et al.'s), ``Psi_all`` over every
  varied setting, environments included (where any bound with a 1/sqrt(m) factor scores +1 on n).
- **Robust sign error**: an *environment* is a pair of cells that differ in exactly one setting
  (same seed): a pair inside a group. e = (1 - sign(d mu) sign(d g)) / 2, counted with weight
  (w - 1/2)+, w = max(0, 1 - 2 exp(-2 m (d g / 2)^2))^2, m the test set's size (a Hoeffding bound:
  w is at least the chance that both test errors are within |d g| / 2 of their expectations, so
  that the sign of d g is right); a gap difference within the test set's noise counts for nothing.
  Reported: the weighted mean, the 90th percentile and the maximum of e over environments of
  positive weight, overall and per varied setting.

Intervals (95 %, percentile bootstrap, ``B`` replicates, the same replicates for every measure so
that measures can be compared: measures scored on the same cells draw the same configurations,
groups and environments in each replicate): tau resamples *configurations* (every setting but the seed; a
configuration carries all its seeds, and pairs of a configuration with its own copy are not
pairs); each psi_i, and so Psi, resamples *groups* (a group is one configuration of the other
settings at one seed); the sign errors resample *environments*. Two measures are *separated* when
the bootstrap interval of the difference of their Psi excludes 0.

Rules: sign(0) = 0, so ties count as neither agreement nor disagreement. Cells whose training
diverged or missed its stopping rule (``status`` other than ``fitted``) are left out of every
score, and so is a cell whose measure is NaN or infinite for that measure; both are counted.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from gengap.cell import Cell
from gengap.report.format import number
from gengap.report.reading import measure_kinds
from gengap.report.seeds import mean_over_seeds

# Not scored: the gap itself and its parts (kind ``error``) and a measure's reporting values (kind
# ``auxiliary``: the flatness search's sigma and the points it used), which are how a measure was
# computed, not a measure. A margin (kind ``margin``) is scored as 1/x^2 (Jiang et al.'s inverse margin).
NOT_SCORED = ("error", "auxiliary")
HYPERPARAMETERS = ("width", "depth", "lr", "batch_size", "weight_decay", "dropout")
ENVIRONMENTS = ("dataset", "n", "corruption")
SETTINGS = (*ENVIRONMENTS[:1], *HYPERPARAMETERS, *ENVIRONMENTS[1:])
MLP = re.compile(r"mlp_(\d+)x(\d+)")
BOOTSTRAP = 200
TWO_SE = 2.0  # a gap difference is beyond the test set's noise past this many standard errors


def score_name(measure: str, kind: str) -> str:
    """The name a measure is ranked under: ``1/<measure>^2`` for a margin, else the measure."""
    return f"1/{measure}^2" if kind == "margin" else measure


def direction(kind: str) -> str:
    return ("1/margin^2: a smaller margin predicts a larger gap" if kind == "margin"
            else "as is: a larger value predicts a larger gap")


def scored(cells: pd.DataFrame, measure: str, kind: str) -> pd.DataFrame:
    """The cells with a finite score and gap, the score in column ``score_name(measure, kind)``."""
    x = cells[measure].to_numpy(dtype=float)
    if kind == "margin":
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(x > 0, 1.0 / x**2, np.nan)
    out = cells.assign(**{score_name(measure, kind): x})
    keep = np.isfinite(x) & np.isfinite(out["gap"].to_numpy(dtype=float))
    return out[keep].reset_index(drop=True)


def no_value_reason(cells: pd.DataFrame, measure: str, kind: str | None) -> str:
    """Why a measure has no score on these (fitted) cells: what its values are."""
    x = cells[measure].to_numpy(dtype=float) if measure in cells else np.zeros(0)
    finite = np.isfinite(x)
    if kind == "margin":
        finite &= x > 0
    if not len(x) or np.isnan(x).all():
        return "not computed: NaN at every cell"
    if np.isposinf(x).all():
        return "+inf at every cell: vacuous"
    if kind == "margin" and not (x[np.isfinite(x)] > 0).any():
        return "no positive margin"
    return f"finite at {int(finite.sum())} of {len(x)} cells"


def cell_settings(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per cell (draw 1): its settings, seed, status, gap and test error."""
    cells = summary[summary["draw"] == 1] if "draw" in summary else summary
    keys = [k for k in Cell.names() if k in cells]
    first = cells.drop_duplicates(keys).set_index(keys)
    out = first[[c for c in ("lr", "batch_size", "weight_decay", "dropout", "status") if c in first]].copy()
    out = out.reset_index()
    shape = out["model"].str.extract(MLP)
    out["depth"] = shape[0].fillna(out["model"])  # an MLP's depth and width; another model is its name
    out["width"] = shape[1].fillna(out["model"])
    values = cells.pivot_table(index=keys, columns="measure", values="value", aggfunc="first").reset_index()
    return out.merge(values, on=keys, how="left")


def _sign(x):
    return np.sign(np.asarray(x, dtype=float))


def kendall_tau(mu, gap) -> float:
    """Mean over all pairs of sign(d mu) sign(d gap); NaN with fewer than two cells."""
    mu, gap = np.asarray(mu, dtype=float), np.asarray(gap, dtype=float)
    if len(mu) < 2:
        return math.nan
    i, j = np.triu_indices(len(mu), k=1)
    return float(np.mean(_sign(mu[i] - mu[j]) * _sign(gap[i] - gap[j])))


def varying(cells: pd.DataFrame) -> list[str]:
    return [s for s in SETTINGS if s in cells and cells[s].nunique() > 1]


def groups(cells: pd.DataFrame, setting: str) -> list[np.ndarray]:
    """Row positions of each group in which only ``setting`` varies (same other settings and seed),
    groups of at least two values of it."""
    others = [o for o in varying(cells) if o != setting] + ["seed"]
    out = []
    for _, g in cells.groupby(others, sort=True) if others else [(None, cells)]:
        if g[setting].nunique() > 1:
            out.append(g.index.to_numpy())
    return out


def hoeffding_weight(d_gap, test_points: int) -> np.ndarray:
    """(w - 1/2)+ with w = max(0, 1 - 2 exp(-2 m (d g / 2)^2))^2 (SPEC 1.7): how much an environment
    counts; 0 for a gap difference within the test set's noise, 1/2 for a clear one."""
    d = np.abs(np.asarray(d_gap, dtype=float))
    w = np.maximum(0.0, 1.0 - 2.0 * np.exp(-2.0 * test_points * (d / 2.0) ** 2)) ** 2
    return np.maximum(0.0, w - 0.5)


class _Pairs:
    """Every environment (pair inside a group) of one setting: the pair's row positions and its group."""

    def __init__(self, cells: pd.DataFrame, setting: str):
        self.groups = groups(cells, setting)
        a, b, gid = [], [], []
        for k, idx in enumerate(self.groups):
            i, j = np.triu_indices(len(idx), k=1)
            a.append(idx[i])
            b.append(idx[j])
            gid.append(np.full(len(i), k))
        self.a = np.concatenate(a) if a else np.zeros(0, int)
        self.b = np.concatenate(b) if b else np.zeros(0, int)
        self.group = np.concatenate(gid) if gid else np.zeros(0, int)
        values = cells[setting].to_numpy(dtype=object)
        self.differ = values[self.a] != values[self.b]  # pairs inside a group differ only in the setting


def _group_taus(pairs: _Pairs, mu: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """tau of every group (NaN for a group whose pairs all tie in the setting)."""
    agree = _sign(mu[pairs.a] - mu[pairs.b]) * _sign(gap[pairs.a] - gap[pairs.b])
    total = np.bincount(pairs.group, weights=agree * pairs.differ, minlength=len(pairs.groups))
    count = np.bincount(pairs.group, weights=pairs.differ.astype(float), minlength=len(pairs.groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _sign_errors(pairs: _Pairs, mu, gap, test_points):
    keep = pairs.differ
    a, b = pairs.a[keep], pairs.b[keep]
    weight = hoeffding_weight(gap[a] - gap[b], test_points)
    error = (1 - _sign(mu[a] - mu[b]) * _sign(gap[a] - gap[b])) / 2
    return weight, error


def _config_pairs(config: np.ndarray, mu: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Between every two different configurations: the summed sign agreements of their cells' pairs
    and the number of those pairs (a bootstrap replicate with multiplicities k then has tau =
    k' A k / k' N k, pairs of a configuration with a copy of itself left out)."""
    size = int(config.max()) + 1
    agree_sum, pair_count = np.zeros((size, size)), np.zeros((size, size))
    i, j = np.triu_indices(len(mu), k=1)
    other = config[i] != config[j]
    i, j = i[other], j[other]
    agree = _sign(mu[i] - mu[j]) * _sign(gap[i] - gap[j])
    np.add.at(agree_sum, (config[i], config[j]), agree)
    np.add.at(pair_count, (config[i], config[j]), 1.0)
    return agree_sum, pair_count


def _error_summary(weight: np.ndarray, error: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, 90th percentile and maximum of the sign error over environments of positive weight."""
    keep = weight > 0
    if not keep.any():
        return math.nan, math.nan, math.nan
    w, e = weight[keep], error[keep]
    order = np.argsort(e)
    cum = np.cumsum(w[order]) / w.sum()
    p90 = float(e[order][np.searchsorted(cum, 0.9)])
    return float(np.average(e, weights=w)), p90, float(e.max())


def _interval(samples) -> tuple[float, float]:
    s = np.asarray([v for v in samples if np.isfinite(v)], dtype=float)
    return (float(np.percentile(s, 2.5)), float(np.percentile(s, 97.5))) if len(s) > 1 else (math.nan, math.nan)


def rank_measures(summary: pd.DataFrame, test_points: int = 10_000, measures: list[str] | None = None,
                  boot: int = BOOTSTRAP, seed: int = 0) -> pd.DataFrame:
    """One row per measure: its direction; tau, Psi (hyperparameters), Psi_all and every psi_i with
    95 % bootstrap intervals; the sign errors (weighted mean, 90th percentile, max; overall with
    intervals and per varied setting); the cells and environments behind them; and which measures
    its Psi is separated from (``separated_from``). A measure with a value on fewer than two fitted
    cells has no scores; its row says why (``no_value``: vacuous, not computed, no positive margin)."""
    cells = cell_settings(summary)
    kept = cells[cells["status"] == "fitted"] if "status" in cells else cells
    left_out = len(cells) - len(kept)
    kinds = measure_kinds(summary)
    names = measures or sorted(m for m in summary["measure"].unique() if kinds.get(m) not in NOT_SCORED)
    rows, psi_draws = [], {}
    for m in names:
        name = score_name(m, kinds.get(m))
        ok = scored(kept, m, kinds.get(m)) if m in kept else kept.iloc[:0]  # a NaN everywhere is no column
        if len(ok) < 2:  # listed, with why it has no scores
            rows.append({"measure": name, "direction": direction(kinds.get(m)), "cells": len(ok), "environments": 0,
                         "weighted_environments": 0, "cells_left_out": left_out,
                         "cells_without_value": len(kept) - len(ok), "varied": "",
                         "no_value": no_value_reason(kept, m, kinds.get(m))})
            continue
        mu, gap = ok[name].to_numpy(dtype=float), ok["gap"].to_numpy(dtype=float)
        settings = varying(ok)
        hyper = [s for s in settings if s in HYPERPARAMETERS]
        pairs = {s: _Pairs(ok, s) for s in settings}
        taus = {s: _group_taus(pairs[s], mu, gap) for s in settings}
        psi = {s: float(np.nanmean(t)) if np.isfinite(t).any() else math.nan for s, t in taus.items()}
        row = {"measure": name, "direction": direction(kinds.get(m)), "tau": kendall_tau(mu, gap)}
        # the bootstrap: configurations for tau, groups for each psi_i, environments for the sign errors
        config = ok.groupby(settings, sort=False).ngroup().to_numpy() if settings else np.zeros(len(ok), int)
        agree_sum, pair_count = _config_pairs(config, mu, gap)
        n_config = len(agree_sum)
        # one stream, the same for every measure: measures scored on the same cells draw the same
        # configurations, groups and environments, so their replicates pair up (``_separated``)
        local = np.random.default_rng(seed)
        tau_b, psi_b = [], {s: [] for s in settings}
        for _ in range(boot):
            k = np.bincount(local.integers(n_config, size=n_config), minlength=n_config).astype(float)
            total = k @ pair_count @ k
            tau_b.append(float(k @ agree_sum @ k / total) if total else math.nan)
            for s in settings:
                t = taus[s][np.isfinite(taus[s])]
                psi_b[s].append(float(t[local.integers(len(t), size=len(t))].mean()) if len(t) else math.nan)
        row["tau_low"], row["tau_high"] = _interval(tau_b)
        for label, chosen in (("Psi", hyper), ("Psi_all", settings)):
            values = [psi[s] for s in chosen if math.isfinite(psi[s])]
            row[label] = float(np.mean(values)) if values else math.nan
            draws = np.nanmean([psi_b[s] for s in chosen], axis=0) if chosen else np.full(boot, math.nan)
            row[f"{label}_low"], row[f"{label}_high"] = _interval(draws)
            if label == "Psi":
                psi_draws[name] = np.asarray(draws, dtype=float)
        for s in settings:
            row[f"psi_{s}"] = psi[s]
            row[f"psi_{s}_low"], row[f"psi_{s}_high"] = _interval(psi_b[s])
        weights, errors = [], []
        for s in settings:
            w, e = _sign_errors(pairs[s], mu, gap, test_points)
            weights.append(w)
            errors.append(e)
            mean, p90, top = _error_summary(w, e)
            row.update({f"sign_error_{s}_mean": mean, f"sign_error_{s}_p90": p90, f"sign_error_{s}_max": top})
        w = np.concatenate(weights) if weights else np.zeros(0)
        e = np.concatenate(errors) if errors else np.zeros(0)
        row["sign_error_mean"], row["sign_error_p90"], row["sign_error_max"] = _error_summary(w, e)
        stats = {"mean": [], "p90": [], "max": []}
        positive = np.flatnonzero(w > 0)
        for _ in range(boot):
            pick = positive[local.integers(len(positive), size=len(positive))] if len(positive) else positive
            for key, value in zip(stats, _error_summary(w[pick], e[pick])):
                stats[key].append(value)
        for key, values in stats.items():
            row[f"sign_error_{key}_low"], row[f"sign_error_{key}_high"] = _interval(values)
        row.update(cells=len(ok), environments=int(sum(p.differ.sum() for p in pairs.values())),
                   weighted_environments=int((w > 0).sum()), cells_left_out=left_out,
                   cells_without_value=len(kept) - len(ok), varied=", ".join(settings))
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    for column in ("tau", "tau_low", "tau_high", "Psi", "Psi_low", "Psi_high", "Psi_all", "Psi_all_low",
                   "Psi_all_high", "sign_error_mean", "sign_error_mean_low", "sign_error_mean_high",
                   "sign_error_p90", "sign_error_max"):
        if column not in table:
            table[column] = math.nan
    table = table.sort_values("Psi", ascending=False, na_position="last").reset_index(drop=True)
    table["separated_from"] = [_separated(name, psi_draws) for name in table["measure"]]
    return table


def _separated(name: str, draws: dict[str, np.ndarray]) -> str:
    """The measures whose Psi this one's is told apart from: the bootstrap interval of the
    difference (the same replicates) excludes 0."""
    out = []
    if name not in draws:  # no scores: nothing to tell apart
        return ""
    for other, d in draws.items():
        if other == name:
            continue
        diff = draws[name] - d
        low, high = _interval(diff)
        if np.isfinite(low) and (low > 0 or high < 0):
            out.append(other)
    return ", ".join(out)


def power(summary: pd.DataFrame, test_points: int = 10_000) -> pd.DataFrame:
    """Per varied setting: the groups, the environments (pairs inside them) and how many of their gap
    differences exceed the test set's noise: 2 binomial standard errors of the difference
    (sqrt(e1 (1 - e1) / m + e2 (1 - e2) / m)), and a positive Hoeffding weight (SPEC 1.7)."""
    cells = cell_settings(summary)
    kept = cells[cells["status"] == "fitted"].reset_index(drop=True) if "status" in cells else cells
    rows = []
    for s in varying(kept):
        pairs = _Pairs(kept, s)
        a, b = pairs.a[pairs.differ], pairs.b[pairs.differ]
        gap, err = kept["gap"].to_numpy(dtype=float), kept["test_error"].to_numpy(dtype=float)
        d = np.abs(gap[a] - gap[b])
        se = np.sqrt((err[a] * (1 - err[a]) + err[b] * (1 - err[b])) / test_points)
        rows.append({"setting": s, "kind": "hyperparameter" if s in HYPERPARAMETERS else "environment",
                     "groups": len(pairs.groups), "environments": len(d),
                     "median |d gap|": float(np.median(d)) if len(d) else math.nan,
                     "median 2 SE": float(np.median(TWO_SE * se)) if len(d) else math.nan,
                     "beyond 2 SE": float(np.mean(d > TWO_SE * se)) if len(d) else math.nan,
                     "positive Hoeffding weight": float(np.mean(hoeffding_weight(d, test_points) > 0)) if len(d) else math.nan})
    return pd.DataFrame(rows)


def headline(table: pd.DataFrame, shown: int = 3) -> str:
    """One sentence on a ranking table (``rank_measures``): the top measures by Psi over the
    hyperparameters with their intervals, whether the first is separated from the others, the
    lowest mean sign error, and how many measures reach the maximum sign error 1."""
    scored_rows = table[table["Psi"].notna()] if "Psi" in table else table.iloc[:0]
    if scored_rows.empty:
        return "no measure has a Ψ (too few cells or no hyperparameter varied)"

    def score(row, column):
        return f"{row['measure']} {number(row[column])} [{number(row[f'{column}_low'])}, {number(row[f'{column}_high'])}]"

    top = scored_rows.iloc[0]
    others = [m for m in scored_rows["measure"] if m != top["measure"]]
    separated = set(filter(None, str(top["separated_from"]).split(", ")))
    tied = [m for m in others if m not in separated]
    hyper = [s for s in str(top["varied"]).split(", ") if s in HYPERPARAMETERS]
    parts = [f"measures ranked by Ψ over {', '.join(hyper)} (95 % intervals): "
             + "; ".join(score(r, "Psi") for _, r in scored_rows.head(shown).iterrows())]
    parts.append(f"{top['measure']} is separated from {'all ' if len(others) > 1 else ''}{len(others)} "
                 f"other{'s' if len(others) > 1 else ''}" if not tied else
                 f"{top['measure']} is not separated from {len(tied)} of {len(others)}: "
                 + ", ".join(tied[:5]) + (f" and {len(tied) - 5} more" if len(tied) > 5 else ""))
    errors = table[table["sign_error_mean"].notna()] if "sign_error_mean" in table else table.iloc[:0]
    if len(errors):
        best = errors.sort_values("sign_error_mean").iloc[0]
        parts.append(f"lowest mean weighted sign error {score(best, 'sign_error_mean')}; maximum sign error 1 "
                     f"for {int((errors['sign_error_max'] >= 1).sum())} of {len(errors)} measures")
    return "; ".join(parts)


def by_seed(summary: pd.DataFrame) -> pd.DataFrame:
    """Does the ranking hold seed by seed? One row per measure: its Psi over the hyperparameters on
    each seed's cells alone (``Psi_seed<k>``) and its place in that seed's order (``rank_seed<k>``,
    1 = best), then its mean place; the last columns say how often it is the first and in the top
    five. Seeds are the unit of replication (SPEC 1.7): a measure that leads on one seed and not
    on the others is not a robust leader, whatever its pooled interval. ``Psi_mean`` is the mean of
    the seeds' Psi with its t-interval over seeds (``Psi_mean_low``, ``Psi_mean_high``), and
    ``below_first`` says whether the t-interval over seeds of the first row's Psi minus this one's
    (paired by seed) lies above 0; both need ``MIN_SEEDS`` seeds (else NaN and NA)."""
    seeds = sorted(summary["seed"].unique())
    table = None
    for seed in seeds:
        ranked = rank_measures(summary[summary["seed"] == seed], boot=1)
        if ranked.empty:
            continue
        ranked = ranked[ranked["Psi"].notna()][["measure", "Psi"]].reset_index(drop=True)
        ranked[f"rank_seed{seed}"] = np.arange(1, len(ranked) + 1)
        ranked = ranked.rename(columns={"Psi": f"Psi_seed{seed}"})
        table = ranked if table is None else table.merge(ranked, on="measure", how="outer")
    if table is None:
        return pd.DataFrame(columns=["measure"])
    ranks = table[[c for c in table if c.startswith("rank_seed")]]
    table["mean_rank"] = ranks.mean(axis=1)
    table["first_on_seeds"] = (ranks == 1).sum(axis=1)
    table["top5_on_seeds"] = (ranks <= 5).sum(axis=1)
    table = table.sort_values("mean_rank").reset_index(drop=True)
    psi = table[[c for c in table if c.startswith("Psi_seed")]].to_numpy(dtype=float)
    over = [mean_over_seeds(row) for row in psi]
    table["Psi_mean"] = [o["mean"] for o in over]
    table["Psi_mean_low"] = [o["ci_low"] for o in over]
    table["Psi_mean_high"] = [o["ci_high"] for o in over]
    below = [mean_over_seeds(psi[0] - row)["ci_low"] for row in psi]
    table["below_first"] = pd.array([None if i == 0 or not np.isfinite(low) else bool(low > 0)
                                     for i, low in enumerate(below)], dtype="boolean")
    return table
