"""Which measure predicts generalization? Every measure of a suite scored against the
generalization gap across its cells, as Jiang et al. (ICLR 2020, "Fantastic generalization
measures") and Dziugaite et al. (NeurIPS 2020, "In search of robust measures of generalization")
score them.

Each cell is described by its *settings*: dataset, width and depth of its MLP (from the model's
name; another model is its name in both), learning rate, batch size, weight decay, dropout, n and
its corruption (label noise p: ``true``, ``labels@0.2``, ...). The gap g of a cell is its measure ``gap`` (test error minus
training error).

- **Kendall's tau** over all pairs of cells: tau = mean over pairs of sign(mu_1 - mu_2) sign(g_1 - g_2).
- **Granulated Kendall Psi**: for each setting i that varies, psi_i = the mean of tau over the
  groups of cells that agree in every other setting (and the seed), groups of at least two cells;
  Psi = the mean of psi_i over the settings that vary.
- **Robust sign error**: an *environment* is a pair of cells that differ in exactly one setting
  (same seed). Its sign error is w (1 - sign(d mu) sign(d g)) / 2, where the weight
  w = 2 Phi(|d g| / s) - 1 is the confidence that the sign of d g is right when each test error
  is a mean over m test points, s^2 = sum of e (1 - e) / m over the two cells' test errors: a gap
  difference within the noise counts little. Reported: the mean, the 90th percentile and the
  maximum over environments, overall and per varied setting.

Margins are not complexities (a larger margin goes with a smaller gap): a measure named
``margins_*`` is scored as Jiang et al.'s inverse margin 1/gamma^2 and listed as
``1/margins_*^2``; a cell whose margin is not positive has no such value.

Rules: sign(0) = 0, so ties count as neither agreement nor disagreement (tau's numerator). Cells
whose training diverged, or that missed their stopping rule (``status`` other than ``fitted``),
are left out of every score, and so is a cell whose measure is NaN or infinite for that measure;
both are counted in the output (``cells_left_out``, ``cells_without_value``).
"""

from __future__ import annotations

import math
import re
from itertools import combinations

import numpy as np
import pandas as pd

# Not scored: the gap itself and its parts; a measure's reporting values (the flatness search's sigma
# and the points it used), which are how a measure was computed, not a measure.
SKIPPED = {"gap", "train_error", "test_error"}
AUXILIARY = ("_sigma", "_points")
SETTINGS = ("dataset", "width", "depth", "lr", "batch_size", "weight_decay", "dropout", "n", "corruption")
MLP = re.compile(r"mlp_(\d+)x(\d+)")
INVERSE_SQUARED = ("margins_",)  # scored as 1/x^2 (Jiang et al.'s inverse margin)


def score_name(measure: str) -> str:
    """The name a measure is ranked under: ``1/<measure>^2`` for a margin, else the measure."""
    return f"1/{measure}^2" if measure.startswith(INVERSE_SQUARED) else measure


def scored(cells: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The cells with a finite score and gap, the score in column ``score_name(measure)``."""
    x = cells[measure].to_numpy(dtype=float)
    if measure.startswith(INVERSE_SQUARED):
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(x > 0, 1.0 / x**2, np.nan)
    out = cells.assign(**{score_name(measure): x})
    keep = np.isfinite(x) & np.isfinite(out["gap"].to_numpy(dtype=float))
    return out[keep].reset_index(drop=True)


def cell_settings(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per cell (draw 1): its settings, seed, status, gap and test error."""
    cells = summary[summary["draw"] == 1] if "draw" in summary else summary
    keys = [k for k in ("suite", "dataset", "corruption", "n", "sampling", "seed", "draw", "model", "reg") if k in cells]
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


def granulated(cells: pd.DataFrame, measure: str) -> dict[str, float]:
    """psi_i per varied setting i: the mean tau over groups in which only i varies (and Psi)."""
    settings = varying(cells)
    psi = {}
    for s in settings:
        others = [o for o in settings if o != s] + ["seed"]
        taus = [kendall_tau(g[measure], g["gap"]) for _, g in cells.groupby(others) if g[s].nunique() > 1]
        taus = [t for t in taus if not math.isnan(t)]
        psi[s] = float(np.mean(taus)) if taus else math.nan
    finite = [v for v in psi.values() if not math.isnan(v)]
    return {"Psi": float(np.mean(finite)) if finite else math.nan, **{f"psi_{s}": v for s, v in psi.items()}}


def environments(cells: pd.DataFrame) -> list[tuple[int, int, str]]:
    """Pairs of cells (row positions) that differ in exactly one setting and share the seed."""
    settings = varying(cells)
    table = cells[settings + ["seed"]].to_numpy(dtype=object)
    pairs = []
    for a, b in combinations(range(len(cells)), 2):
        if table[a][-1] != table[b][-1]:
            continue
        differ = [s for s, x, y in zip(settings, table[a][:-1], table[b][:-1]) if x != y]
        if len(differ) == 1:
            pairs.append((a, b, differ[0]))
    return pairs


def sign_errors(cells: pd.DataFrame, measure: str, test_points: int) -> pd.DataFrame:
    """One row per environment: the varied setting, the weight and the weighted sign error."""
    rows = []
    mu, gap, err = (cells[c].to_numpy(dtype=float) for c in (measure, "gap", "test_error"))
    for a, b, setting in environments(cells):
        noise = math.sqrt((err[a] * (1 - err[a]) + err[b] * (1 - err[b])) / test_points)
        d_gap = gap[a] - gap[b]
        # 2 Phi(|dg| / noise) - 1, written with erf
        weight = math.erf(abs(d_gap) / noise / math.sqrt(2)) if noise > 0 else float(d_gap != 0)
        wrong = (1 - np.sign(mu[a] - mu[b]) * np.sign(d_gap)) / 2
        rows.append({"setting": setting, "weight": weight, "sign_error": weight * wrong})
    return pd.DataFrame(rows, columns=["setting", "weight", "sign_error"])


def _summary_of(errors: pd.Series, prefix: str) -> dict:
    if errors.empty:
        return {f"{prefix}mean": math.nan, f"{prefix}p90": math.nan, f"{prefix}max": math.nan}
    return {f"{prefix}mean": errors.mean(), f"{prefix}p90": errors.quantile(0.9), f"{prefix}max": errors.max()}


def rank_measures(summary: pd.DataFrame, test_points: int = 10_000, measures: list[str] | None = None) -> pd.DataFrame:
    """One row per measure: tau, Psi, every psi_i, the sign errors (mean, 90th percentile, max;
    overall and per varied setting), and the cells and environments behind them."""
    cells = cell_settings(summary)
    kept = cells[cells["status"] == "fitted"] if "status" in cells else cells
    left_out = len(cells) - len(kept)
    names = measures or sorted(m for m in summary["measure"].unique()
                               if m not in SKIPPED and not m.endswith(AUXILIARY))
    rows = []
    for m in names:
        if m not in kept:
            continue
        ok, name = scored(kept, m), score_name(m)
        errors = sign_errors(ok, name, test_points)
        row = {"measure": name, "tau": kendall_tau(ok[name], ok["gap"]), **granulated(ok, name),
               **_summary_of(errors["sign_error"], "sign_error_")}
        for s, g in errors.groupby("setting"):
            row.update(_summary_of(g["sign_error"], f"sign_error_{s}_"))
        row.update(cells=len(ok), environments=len(errors), cells_left_out=left_out,
                   cells_without_value=len(kept) - len(ok), varied=", ".join(varying(ok)))
        rows.append(row)
    return pd.DataFrame(rows).sort_values("Psi", ascending=False, na_position="last").reset_index(drop=True)


def sign_error_table(summary: pd.DataFrame, test_points: int = 10_000) -> pd.DataFrame:
    """Every environment's weighted sign error per measure (the distribution Dziugaite et al. plot)."""
    cells = cell_settings(summary)
    kept = cells[cells["status"] == "fitted"] if "status" in cells else cells
    out = []
    names = {score_name(m): m for m in summary["measure"].unique()}
    for name in rank_measures(summary, test_points)["measure"]:
        ok = scored(kept, names[name])
        out.append(sign_errors(ok, name, test_points).assign(measure=name))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["setting", "weight", "sign_error", "measure"])
