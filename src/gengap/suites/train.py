"""The ``train`` kind: datasets x corruptions x n x seeds x draws x models x regularization
training cells, each trained by the train rule and measured by the measure rule."""

from __future__ import annotations

import itertools
from typing import Mapping, Sequence

import pandas as pd

from gengap.cell import Cell
from gengap.report.format import number
from gengap.report.summary import summarize
from gengap.report.tables import rademacher_complexity
from gengap.suites.kinds import DEFAULT_KIND, SuiteKind, register_kind


DESIGNS = ("grid", "one_at_a_time")  # how a suite's lists become cells (the first: the default)
BLOCK_AXES = ("datasets", "corruptions", "n", "seeds", "draws", "models", "regularization")


def training_cells(suite: str, s: dict) -> dict[str, Cell]:
    """Every cell of a training suite's grid. ``draw`` 2 is a second, independent training sample
    of the same size, trained from the same initialization (Nagarajan & Kolter's S2).

    ``design: grid`` crosses every model, corruption, n and regularization setting; with
    ``blocks``, each block crosses the suite's axes with some of them overridden, and the cells
    are the union of the blocks'. ``design: one_at_a_time`` varies one of them at a time around
    a base point, the first value of each list (the measure-ranking grid: settings that vary one
    at a time), datasets and seeds crossed in full."""
    if s.get("design", DESIGNS[0]) == "grid":
        cells: dict[str, Cell] = {}
        for block in s.get("blocks") or [{}]:
            a = {k: block.get(k, s[k]) for k in BLOCK_AXES}
            for d, c, n, seed, draw, m, reg in itertools.product(
                    a["datasets"], a["corruptions"], a["n"], a["seeds"], range(1, a["draws"] + 1), a["models"],
                    a["regularization"]):
                cell = Cell(suite, d, c, n, seed, draw, m, reg, s["sampling"])
                cells.setdefault(cell.path, cell)
        return cells
    draws = range(1, s["draws"] + 1)
    axes = {"c": s["corruptions"], "n": s["n"], "m": s["models"], "reg": list(s["regularization"])}
    base = {k: v[0] for k, v in axes.items()}
    points = dict.fromkeys(tuple(dict(base, **{k: v}).values()) for k, values in axes.items() for v in values)
    cells = [Cell(suite, d, c, n, seed, draw, m, reg, s["sampling"]) for d in s["datasets"]
             for c, n, m, reg in points for seed in s["seeds"] for draw in draws]
    return {c.path: c for c in cells}


def _values(summary: pd.DataFrame, measure: str) -> pd.DataFrame:
    return summary[(summary["measure"] == measure) & (summary["draw"] == 1)]


def _setting_keys(summary: pd.DataFrame) -> list[str]:
    """What the overview tells settings apart by: the model, and the dataset and regularization
    setting where the suite has several (never a mean over datasets or regularizers)."""
    return [k for k in ("dataset", "model", "reg") if k == "model" or (k in summary and summary[k].nunique() > 1)]


def _setting_name(keys: list[str], values) -> str:
    """``mnist mlp_1x512 (wd)``; ``values`` one per key (a lone key's group label is not a tuple in
    every pandas call: a string must not be read as its letters)."""
    named = dict(zip(keys, values if isinstance(values, tuple) else (values,)))
    return " ".join(str(named[k]) for k in ("dataset", "model") if k in named) + (f" ({named['reg']})" if "reg" in named else "")


def _per_model(df: pd.DataFrame, describe, keys: list[str]) -> str:
    return "; ".join(f"{_setting_name(keys, key)}: {describe(g)}" for key, g in df.groupby(keys))


SINGLE_LEVEL_SHOWN = 6  # past this many settings seen at one noise level only, the overview gives their range


def _noise_per_setting(noise: pd.DataFrame, keys: list[str]) -> str:
    """Each setting's mean test error at each noise level it was trained at: ``mlp_1x256 (none):
    0.167 (p = 0) → 0.254 (p = 0.2)``. When more than ``SINGLE_LEVEL_SHOWN`` settings were seen at
    one level only (a factorial grid with a label-noise block), those are one range, not a list."""
    means = {key: g.groupby("label_noise")["value"].mean() for key, g in noise.groupby(keys)}
    single = {key: m for key, m in means.items() if len(m) == 1}
    shown = means if len(single) <= SINGLE_LEVEL_SHOWN else {k: m for k, m in means.items() if k not in single}
    text = [f"{_setting_name(keys, key)}: " + " → ".join(f"{number(v)} (p = {number(p)})" for p, v in m.items())
            for key, m in shown.items()]
    if len(shown) < len(means):
        values = pd.Series([m.iloc[0] for m in single.values()])
        levels = sorted({m.index[0] for m in single.values()})
        text.append(f"the other {len(single)} settings at p = {', '.join(number(p) for p in levels)} only: "
                    f"{number(values.min())}..{number(values.max())} (median {number(values.median())})")
    return "; ".join(text)


SLOPES_SHOWN = ("test_error", "dist_init", "dist_s2", "spectral_product", "bartlett17", "bartlett17_nk",
                "neyshabur18_init", "neyshabur19", "neyshabur19_nk")


def _slope_list(fits: pd.DataFrame) -> str:
    """``test_error -0.40 [-0.42, -0.37], dist_init +0.22 (1 seed: no interval)``."""
    def one(m):
        r = fits.loc[m]
        seeds = int(r["seeds"]) if "seeds" in r and r["seeds"] == r["seeds"] else 0
        interval = (f" [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]" if r["ci_low"] == r["ci_low"]
                    else f" ({seeds} seed{'s' if seeds != 1 else ''}: no interval)")
        return f"{m} {r['slope']:+.2f}{interval}"
    return ", ".join(one(m) for m in SLOPES_SHOWN if m in fits.index and fits.loc[m, "slope"] == fits.loc[m, "slope"])


def describe_training_suite(summary: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
    """The overview line of a training suite: cells and their status, test error against label noise,
    input corruptions, time to fit, S′ error, pooled slopes, Rademacher estimates."""
    cells = summary.drop_duplicates([k for k in Cell.names() if k in summary])
    fitted = int((cells["status"] == "fitted").sum())
    lost = {s: int((cells["status"] == s).sum()) for s in ("collapsed", "diverged")}  # fitted, then lost it; NaN
    parts = [f"{len(cells)} cells, {fitted} met the stopping rule"
             + "".join(f", {k} {s}" for s, k in lost.items() if k)]
    missed = cells[cells["status"] != "fitted"]
    if len(missed):  # name them: a reader must know which numbers come from unfitted cells
        names = ["/".join(str(r[k]) for k in ("dataset", "corruption", "model", "reg") if k in r and r[k] != "none")
                 + f" (n = {r['n']}, seed {r['seed']}, {r['status']})" for _, r in missed.iterrows()]
        parts.append("missed it: " + ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else ""))
    keys = _setting_keys(cells)
    test = _values(summary, "test_error")
    noise = test[test["label_noise"].notna()]
    if noise["label_noise"].nunique() > 1:
        levels = sorted(noise["label_noise"].unique())
        if all(sorted(g["label_noise"].unique()) == levels for _, g in noise.groupby(keys)):
            parts.append(f"test error at label noise p = {', '.join(number(p) for p in levels)}, " + _per_model(
                noise, lambda g: " → ".join(number(v) for v in g.groupby("label_noise")["value"].mean()), keys))
        else:  # settings seen at different noise levels (a one-at-a-time design): each says its own
            parts.append("test error against label noise, " + _noise_per_setting(noise, keys))
    other = test[test["label_noise"].isna() & (test["corruption"] != "rademacher")]
    if not other.empty:
        parts.append("test error of input corruptions, " + _per_model(
            other, lambda g: ", ".join(f"{c} {number(v)}" for c, v in g.groupby("corruption")["value"].mean().items()),
            keys))
    ratio = _values(summary, "train_error").query("corruption == 'random_labels'").dropna(subset=["relative_time_to_fit"])
    if not ratio.empty:
        accuracy = ratio["fit_accuracy"].iloc[0] if "fit_accuracy" in ratio else 1.0
        parts.append(f"to {number(100 * accuracy)} % training accuracy random labels take " + ", ".join(
            f"{number(v)}x ({_setting_name(keys, key)})"
            for key, v in ratio.groupby(keys)["relative_time_to_fit"].mean().items()) + " the steps of true labels")
    sprime = _values(summary, "sprime_error")
    if not sprime.empty:
        by_n = test.groupby("n")["value"].mean()
        parts.append("test error " + ", ".join(number(v) for v in by_n) + f" at n = {', '.join(map(str, by_n.index))}"
                     f" while the error on S′ is {', '.join(number(v) for v in sprime.groupby('n')['value'].mean())}")
    if slopes is not None:
        fits = slopes[slopes["pooled"]]
        several = "reg" in fits and fits["reg"].nunique() > 1
        for reg, g in (fits.groupby("reg", sort=False) if several else [(None, fits)]):
            parts.append(f"log-log slopes against n{f' ({reg})' if several else ''}, over seeds with a 95 % "
                         "interval: " + _slope_list(g.set_index("measure")))
    if (summary["corruption"] == "rademacher").any():
        parts.append(rademacher_line(summary))
    return "; ".join(parts)


def rademacher_line(summary: pd.DataFrame) -> str:
    """R̂ and the test error; the bound (table ``rademacher``, at the suite's delta) is at least
    train error + R̂, so R̂ near 1 makes it vacuous whatever delta."""
    t = rademacher_complexity(summary)
    return ("R̂ = " + ", ".join(f"{number(r)} (n = {n})" for n, r in zip(t["n"], t["rademacher"]))
            + ", so every bound is at least " + ", ".join(number(b) for b in t["train_error"] + t["rademacher"])
            + " (table rademacher), against test error " + ", ".join(number(e) for e in t["test_error"]))



class TrainingKind(SuiteKind):
    """Training cells: trained by the train rule, measured by the measure rule; a suite's summary
    joins every cell's measures, record and time to fit (``gengap.report.summary``)."""

    trains = True

    def cells(self, suite: str, config: dict) -> dict[str, Cell]:
        return training_cells(suite, config)

    def outputs(self, results: str, suite: str, config: dict) -> list[str]:
        out = super().outputs(results, suite, config) + [f"{results}/summary/history/{suite}.parquet"]
        out += [f"{results}/tables/{suite}/{t}.{ext}" for t in config["tables"] for ext in ("parquet", "md")]
        if config["slopes"]:
            out.append(f"{results}/summary/{suite}_slopes.parquet")
        return out

    def summary_inputs(self, results: str, suite: str, config: dict) -> dict[str, list[str]]:
        folders = [f"{results}/cells/{cell_id}" for cell_id in self.cells(suite, config)]
        return {role: [f"{f}/{name}" for f in folders] for role, name in
                (("measures", "measures.parquet"), ("records", "record.json"), ("histories", "history.parquet"))}

    def figure_inputs(self, results: str, suite: str) -> dict[str, str]:
        return dict(super().figure_inputs(results, suite), history=f"{results}/summary/history/{suite}.parquet")

    def summarize(self, inputs: Mapping[str, Sequence[str]], out_path: str, config: dict) -> pd.DataFrame:
        return summarize(inputs["measures"], inputs["records"], inputs["histories"], out_path,
                         fit_accuracy=config["fit_accuracy"])

    def describe(self, summary: pd.DataFrame, slopes: pd.DataFrame | None = None) -> str:
        return describe_training_suite(summary, slopes)


register_kind(TrainingKind(DEFAULT_KIND, default_figures=("label_noise", "loss_curves")))
