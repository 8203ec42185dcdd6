"""The "paper vs gengap" table: every claim of the two papers beside what this run measured, at
what scale, with its verdict and the rule that decided it.

The papers' values are data (``workflow/report/paper_values.csv``: paper, source, the paper's
dataset, the claim, its value or its qualitative statement, and the *test* that decides it). Each
row names the suite and a *quantity*, a registered function that reads the measured value from
that suite's summary (or slopes): one measured *variant* per dataset, model and setting (batch
size, threshold). Several rows of the CSV may state one claim (the same paper, source and claim
text) for different suites: together they are its variants.

Every variant gets a verdict by its test's rule (``gengap.report.verdicts``), and every claim the
verdict of its variants (the worst decided one on the paper's data, else on any data). The table
is one row per claim, its variants listed in it; claims that no suite of the run measured are
listed per suite, with the command that would run it. Counts count claims.
"""

from __future__ import annotations

import html
import math

import pandas as pd

from gengap.atomic import read_json, read_parquet, save_parquet, save_text
from gengap.registry import Registry
from gengap.report.tables import rademacher_complexity, table1
from gengap.report.verdicts import NOT_RUN, VERDICTS, claim_count, claims, decide, rule_text, verdict_counts

QUANTITIES: Registry = Registry("paper quantity")
COLUMNS = ["verdict", "note", "rule", "paper", "source", "claim", "paper_model", "model", "setting", "paper_data", "paper_value",
           "paper_text", "suite", "gengap_value", "bound", "gengap_ci", "seeds", "gengap_data", "gengap_scale", "test",
           "tolerance", "paper_row"]  # paper_row: the value's line in paper_values.csv (1 = the first value)


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
    """Steps to the suite's ``fit_accuracy`` over those of true labels, per model and data; where
    that threshold is below 100 %, also the steps to the stopping rule (100 %), and where a cell
    stopped at the epoch cap short of it, its ratio as a bound (> all its steps / true labels')."""
    df = _match(summary[summary["measure"] == "train_error"], row, "model")
    out = []
    for (m, d), g in df.groupby(["model", "dataset"]):
        true = g[g["corruption"] == "true"]
        cells = g[g["corruption"] == row["corruption"]]
        if true.empty or cells.empty:
            continue
        accuracy = float(g["fit_accuracy"].iloc[0]) if "fit_accuracy" in g and g["fit_accuracy"].notna().any() else 1.0
        thresholds = [("steps_to_accuracy", accuracy)]
        if accuracy < 1 and "steps_to_fit" in g:
            thresholds.append(("steps_to_fit", 1.0))
        for column, level in thresholds:
            reached, base = cells[column].astype(float), float(true[column].astype(float).mean())
            if reached.notna().all():
                value, bound = float((reached / base).mean()), ""
            else:  # stopped short: every step it took is a lower bound on the steps it needed
                value, bound = float((cells["steps"].astype(float) / base).max()), ">"
            out.append({"gengap_value": value, "bound": bound, "model": m, "gengap_data": d,
                        "setting": f"to {level * 100:g} % training accuracy",
                        "gengap_scale": _scale(cells), "gengap_n": int(cells["n"].max())})
    return out


@QUANTITIES.register("kernel_test_error")
def _kernel_test_error(row, summary, slopes):
    df = summary[(summary["kind"] == "kernel") & (summary["kernel"] == "rbf")]
    df = df[df["n"] == df.groupby("dataset")["n"].transform("max")]  # the largest n per dataset
    return _value(df, "test_error")


@QUANTITIES.register("rademacher")
def _rademacher(row, summary, slopes):
    t = rademacher_complexity(summary)
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
    """The log-log slope against n over seeds (``gengap.report.slopes``), per model, data and
    setting (``reg``, named by its batch size where it has one)."""
    if slopes is None:
        return []
    s = _match(slopes[slopes["pooled"] & (slopes["measure"] == row["measure"])], row, "reg")
    cells = summary[(summary["measure"] == row["measure"])]
    out = []
    for r in s.itertuples():
        mine = cells[(cells["dataset"] == r.dataset) & ((cells["reg"] == r.reg) if "reg" in cells else True)]
        batch = sorted(mine["batch_size"].dropna().unique()) if "batch_size" in mine else []
        ci = f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]" if math.isfinite(r.ci_low) else "no interval"
        out.append({"gengap_value": r.slope, "ci_low": r.ci_low, "ci_high": r.ci_high, "gengap_ci": ci,
                    "seeds": getattr(r, "seeds", math.nan), "seed_sd": getattr(r, "seed_sd", math.nan),
                    "model": r.model, "gengap_data": r.dataset, "gengap_scale": _scale(mine),
                    "setting": f"batch {int(batch[0])}" if len(batch) == 1 else ""})
    return out


def compare(paper_values: pd.DataFrame, summaries: dict[str, pd.DataFrame],
            slopes: dict[str, pd.DataFrame], modified: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per measured variant of each paper value (dataset, model, setting) with its verdict,
    the rule that decided it and what would decide it (``note``); one "not run" row where the
    suite is absent (``gengap_scale`` "not in this run") or ran without the cells the value needs
    ("no matching cells"). ``modified``: the datasets decoded from raw files that are not the
    published ones (``allow_modified_data``), with those files: their rows name them, and none is
    "reproduced"."""
    rows = []
    for index, row in paper_values.fillna("").iterrows():
        base = row.to_dict()
        base["paper_row"] = int(index) + 1
        base["paper_value"] = float(row["paper_value"]) if row["paper_value"] != "" else math.nan
        base["rule"] = rule_text(base)
        base["paper_model"] = row["model"]  # the model the paper's number is for (the measured one may differ)
        summary = summaries.get(row["suite"])
        if summary is None:
            rows.append(dict(base, gengap_scale="not in this run"))
            continue
        measured = QUANTITIES[row["quantity"]](row, summary, slopes.get(row["suite"]))
        rows += [dict(base, **m) for m in measured] or [dict(base, gengap_scale="no matching cells")]
    for row in rows:
        files = (modified or {}).get(row.get("gengap_data"))
        if files:
            row["modified"] = True
            row["gengap_data"] = f"{row['gengap_data']} (modified data: {', '.join(files)})"
    for row in rows:
        row["verdict"], row["note"] = decide(row, rows)
    return in_order(pd.DataFrame(rows))


def not_run(table: pd.DataFrame, commands: dict[str, str] | None = None) -> list[str]:
    """One line per suite whose claims were all not run: how many, why (the suite is not in this
    run, or ran without the cells they need), and the command that runs it."""
    per_claim = claims(table)
    idle = per_claim[per_claim["verdict"] == NOT_RUN]
    absent = set(table.loc[table["gengap_scale"] == "not in this run", "suite"])
    lines = []
    for suites, g in idle.groupby("suites", sort=True):
        first = suites.split(", ")[0]
        command = (commands or {}).get(first) or f"snakemake --cores all results/summary/{first}.parquet"
        models = sorted(set(filter(None, g["paper_model"])))
        why = ("not in this run" if set(suites.split(", ")) <= absent else
               "the suite ran without their cells" + (f" ({', '.join(models)})" if models else ""))
        lines.append(f"`{suites}`: {len(g)} claim{'s' if len(g) != 1 else ''} ({g['source'].iloc[0]}"
                     f"{', ...' if g['source'].nunique() > 1 else ''}), {why}: `{command}`")
    return lines


# the report shows the table at its page width: wrapped text, fixed columns
STYLE = """<style>
/* Snakemake's report sets its landing text in a narrow prose column: let this table use the page */
div.prose:has(table.paper-vs-gengap) { max-width: 100%; }
table.paper-vs-gengap { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 12px; }
table.paper-vs-gengap th, table.paper-vs-gengap td { border-bottom: 1px solid #ddd; padding: 3px 5px;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.paper-vs-gengap td.reproduced { background: #dff0d8; } table.paper-vs-gengap td.holds-on-other-data { background: #eaf4e4; }
table.paper-vs-gengap td.contradicted { background: #f2dede; } table.paper-vs-gengap td.inconclusive { background: #fcf8e3; }
table.paper-vs-gengap td.not-run { color: #888; }
</style>
"""


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The claims as people read them: verdict, claim, its rule, what the paper says, what was
    measured (every variant, with its own verdict)."""
    c = claims(table)
    c = c[c["verdict"] != NOT_RUN]
    claim = [f"{t} ({m})" if isinstance(m, str) and m else t for t, m in zip(c["claim"], c["paper_model"])]
    return pd.DataFrame({"verdict": c["verdict"], "paper": c["paper"], "source": c["source"], "claim": claim,
                         "rule": c["rule"], "paper's data": c["paper_data"], "paper says": c["paper_says"],
                         "gengap measured": c["measured"]})


def heading(table: pd.DataFrame) -> str:
    return f"Verdicts of {claim_count(claims(table))}: {verdict_counts(claims(table))}."


def to_html(shown: pd.DataFrame, head: str = "", idle: list[str] = ()) -> str:
    cells = lambda r: "".join(
        f'<td class="{r["verdict"].replace(" ", "-")}">{html.escape(str(v))}</td>' if k == "verdict"
        else f"<td>{html.escape(str(v))}</td>" for k, v in r.items())
    columns = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = "\n".join(f"<tr>{cells(r)}</tr>" for _, r in shown.iterrows())
    rest = ("<p>Not run:</p><ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in idle) + "</ul>\n") if idle else ""
    return (f"{STYLE}<p>{html.escape(head)}</p>\n<table class=\"paper-vs-gengap\">\n<thead><tr>{columns}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody></table>\n{rest}")


def landing_html(table: pd.DataFrame) -> str:
    """The report's landing: the counts, then one line per decided claim (its verdict and the
    claim), then how many were not run; short enough to show whole in a 900-pixel window. The
    full table, with every rule and variant, is one click away (paper vs gengap in the menu)."""
    c = claims(table)
    decided, idle = c[c["verdict"] != NOT_RUN], c[c["verdict"] == NOT_RUN]
    items = "".join(
        f'<li><span class="{r.verdict.replace(" ", "-")}">{html.escape(r.verdict)}</span> '
        f'{html.escape(r.source)}: {html.escape(r.claim)}{f" ({html.escape(r.paper_model)})" if r.paper_model else ""}</li>'
        for r in decided.itertuples())
    rest = (f"<p>Not run: {claim_count(idle)} (suites {html.escape(', '.join(sorted(set(idle['suites']))))}); "
            "the full table says how to run them.</p>" if len(idle) else "")
    return (LANDING_STYLE + f'<p class="paper-vs-gengap-heading">{html.escape(heading(table))} The rule, the values '
            "and every variant of each claim: <b>paper vs gengap</b> in the menu.</p>\n"
            f'<ul class="paper-vs-gengap-landing">{items}</ul>\n{rest}')


LANDING_STYLE = """<style>
ul.paper-vs-gengap-landing { font-size: 12px; line-height: 1.35; margin: 0; padding-left: 1.2em; }
ul.paper-vs-gengap-landing span { display: inline-block; min-width: 10em; font-weight: 600; }
ul.paper-vs-gengap-landing span.reproduced, ul.paper-vs-gengap-landing span.holds-on-other-data { color: #2b7a2b; }
ul.paper-vs-gengap-landing span.contradicted { color: #a62c2c; } ul.paper-vs-gengap-landing span.inconclusive { color: #8a6d1d; }
</style>
"""


def to_markdown(table: pd.DataFrame, commands: dict[str, str] | None = None) -> str:
    idle = not_run(table, commands)
    text = f"{heading(table)}\n\n" + shown_table(table).to_markdown(index=False) + "\n"
    return text + ("\nNot run:\n\n" + "".join(f"- {line}\n" for line in idle) if idle else "")


def suite_verdicts(paper_values: pd.DataFrame, suite: str, summary: pd.DataFrame, slopes: pd.DataFrame | None,
                   modified: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The rows of ``paper_values`` about ``suite`` decided from its own summary and slopes: every
    claim lies within one suite, so each is decided once, here (the ``verdicts`` job)."""
    return compare(paper_values[paper_values["suite"] == suite], {suite: summary}, {suite: slopes}, modified)


def write_suite_verdicts(paper_rows: list[dict], suite: str, summary_path: str, slopes_path: str | None,
                         out_path: str, read_paths: dict[str, str] | None = None, read=read_parquet) -> pd.DataFrame:
    """The ``verdicts`` job: ``paper_rows``, the suite's rows of the paper values (a rule param, so
    editing one value reruns only its suite's verdicts and figures); ``read_paths``: each dataset's
    ``<name>.read.json`` (modified files are named)."""
    rows = [dict(r) for r in paper_rows]
    index = [int(r.pop("paper_row")) - 1 for r in rows]  # each value's line in paper_values.csv
    values = pd.DataFrame(rows, index=index, columns=list(rows[0]) if rows else ["suite"]).astype(str)
    modified = {d: read_json(p).get("modified", []) for d, p in (read_paths or {}).items()}
    table = suite_verdicts(values, suite, read(summary_path), read(slopes_path) if slopes_path else None, modified)
    save_parquet(table, out_path)
    return table


def suite_rows(paper_values_path: str, suite: str) -> list[dict]:
    """The paper values about ``suite``, as the ``verdicts`` rule's param."""
    values = pd.read_csv(paper_values_path, dtype=str).fillna("")
    values["paper_row"] = [str(i + 1) for i in values.index]
    return values[values["suite"] == suite].to_dict("records")


def assemble(paper_values: pd.DataFrame, verdicts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The whole table: each run suite's decided rows, and a "not run" row for every paper value of
    a suite that is not in this run; in verdict order."""
    absent = compare(paper_values[~paper_values["suite"].isin(list(verdicts))], {}, {})
    table = pd.concat([t for t in [*verdicts.values(), absent] if len(t)], ignore_index=True)
    return in_order(table)


def in_order(table: pd.DataFrame) -> pd.DataFrame:
    """By verdict (``VERDICTS``), then as the paper values come (each value's variants as measured)."""
    table = table.reindex(columns=COLUMNS).astype({"paper_value": float, "paper_row": int})
    rank = table["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    return table.assign(_rank=rank).sort_values(["_rank", "paper_row"], kind="stable").drop(
        columns="_rank").reset_index(drop=True)


def write_paper_table(paper_values_path: str, verdict_paths: dict[str, str],
                      parquet_path: str, markdown_path: str, html_path: str | None = None,
                      commands: dict[str, str] | None = None,
                      read=read_parquet, landing_path: str | None = None) -> pd.DataFrame:
    """The table from each suite's verdicts (``verdict_paths``, by suite; ``read``: how to read a
    Parquet file); ``commands``: by suite, the command that runs it (for the claims not run)."""
    table = assemble(pd.read_csv(paper_values_path, dtype=str), {s: read(p) for s, p in verdict_paths.items()})
    save_parquet(table, parquet_path)
    save_text(to_markdown(table, commands), markdown_path)
    if html_path:
        save_text(to_html(shown_table(table), heading(table), not_run(table, commands)), html_path)
    if landing_path:
        save_text(landing_html(table), landing_path)
    return table
