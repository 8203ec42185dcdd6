"""The paper-vs-gengap table: paper values are data, measured values come from the summaries."""

import math

import pandas as pd
import pytest

from gengap.report.paper import QUANTITIES, claims, compare, not_run, shown_table, to_markdown
from gengap.report.verdicts import VERDICTS
from workflow_helpers import REPO

PAPER_VALUES = REPO / "workflow" / "report" / "paper_values.csv"


def test_paper_values_file_is_complete_and_names_registered_quantities():
    values = pd.read_csv(PAPER_VALUES, dtype=str).fillna("")
    assert set(values["quantity"]) <= set(QUANTITIES)
    assert (values["source"] != "").all() and (values["paper"] != "").all()
    # every row states a value or a qualitative claim
    assert ((values["paper_value"] != "") | (values["paper_text"] != "")).all()
    table1 = values[values["quantity"] == "table1"]
    assert len(table1) == 24 and set(table1["model"]) == {"inception_small", "inception_small_nobn", "alexnet_small",
                                                          "mlp_3x512", "mlp_1x512"}


def _summary(rows):
    base = dict(suite="regularization", dataset="mnist", n=256, seed=0, draw=1, corruption="true", reg="none",
                model="mlp_1x512", status="fitted", label_noise=0.0)
    return pd.DataFrame([dict(base, **r) for r in rows])


def test_measured_values_are_read_from_the_summaries_and_missing_suites_say_so():
    paper = pd.DataFrame([
        dict(paper="Z", source="Table 1", paper_data="CIFAR-10", claim="test acc", suite="regularization",
             quantity="table1", model="mlp_1x512", reg="none", corruption="true", measure="test_accuracy",
             p="", paper_value="0.5051", paper_text="", paper_n="50000", test="within", tolerance="0.05"),
        dict(paper="Z", source="Table 1", paper_data="CIFAR-10", claim="random train acc", suite="regularization",
             quantity="table1", model="mlp_1x512", reg="none", corruption="random_labels", measure="train_accuracy",
             p="", paper_value="0.9934", paper_text="", paper_n="50000", test="within", tolerance="0.05"),
        dict(paper="NK", source="Fig 1", paper_data="MNIST", claim="slope", suite="bounds_vs_n", quantity="slope",
             model="", reg="", corruption="", measure="bartlett17", p="", paper_value="", paper_text="> 0",
             paper_n="", test="positive_slope", tolerance=""),
    ])
    summary = _summary([
        dict(seed=0, measure="test_error", value=0.10), dict(seed=1, measure="test_error", value=0.20),
        dict(seed=0, measure="train_error", value=0.0), dict(seed=1, measure="train_error", value=0.0),
        dict(corruption="random_labels", measure="train_error", value=0.25),
        dict(corruption="random_labels", measure="test_error", value=0.9),
    ])
    table = compare(paper, {"regularization": summary}, {})
    assert table["gengap_value"].iloc[0] == pytest.approx(0.85)  # 1 - mean(0.1, 0.2) over 2 seeds
    assert table["gengap_scale"].iloc[0] == "n = 256, 2 seeds" and table["gengap_data"].iloc[0] == "mnist"
    assert table["gengap_value"].iloc[1] == pytest.approx(0.75)
    assert table["paper_value"].iloc[1] == pytest.approx(0.9934)
    assert table["gengap_scale"].iloc[2] == "not in this run" and math.isnan(table["gengap_value"].iloc[2])
    assert list(table["verdict"]) == ["inconclusive", "inconclusive", "not run"]  # CIFAR-10 values
    assert table["note"].iloc[0] == "the paper's number is for CIFAR-10, n = 50,000: it would take those cells"
    assert table["rule"].iloc[0] == "within 0.05 of 0.5051 on CIFAR-10 at n = 50,000"
    # a suite that ran without the cells a claim needs says so
    empty = compare(paper.iloc[[1]], {"regularization": summary[summary["corruption"] == "true"]}, {})
    assert empty["gengap_scale"].iloc[0] == "no matching cells"


def test_slopes_come_with_their_interval():
    paper = pd.DataFrame([dict(paper="NK", source="Fig 1", paper_data="MNIST", claim="slope", suite="b",
                               quantity="slope", model="", reg="", corruption="", measure="dist_init", p="",
                               paper_value="", paper_text="> 0", paper_n="", test="positive_slope",
                               tolerance="")])
    slopes = pd.DataFrame([dict(suite="b", dataset="mnist", model="m", reg="none", measure="dist_init", pooled=True,
                                slope=0.25, ci_low=0.2, ci_high=0.3, seeds=3, seed_sd=0.02)])
    summary = _summary([dict(suite="b", n=n, seed=s, measure="dist_init", value=1.0, batch_size=64)
                        for n in (128, 256, 512) for s in range(3)])
    row = compare(paper, {"b": summary}, {"b": slopes}).iloc[0]
    assert row["gengap_value"] == 0.25 and row["gengap_ci"] == "[+0.20, +0.30]" and row["verdict"] == "reproduced"
    assert row["gengap_scale"] == "n = 128..512, 3 seeds" and row["setting"] == "batch 64"
    assert row["rule"] == "95 % interval over seeds of the log-log slope against n > 0"
    claim = claims(compare(paper, {"b": summary}, {"b": slopes})).iloc[0]
    assert claim["measured"] == "mnist, m, batch 64: +0.25 [+0.20, +0.30], n = 128..512, 3 seeds → reproduced"


def test_table_puts_measured_verdicts_first_in_one_number_format():
    paper = pd.read_csv(PAPER_VALUES, dtype=str)
    summary = _summary([dict(seed=0, measure="test_error", value=0.10), dict(seed=0, measure="train_error", value=0.0),
                        dict(seed=0, corruption="random_labels", measure="train_error", value=0.25),
                        dict(seed=0, corruption="random_labels", measure="test_error", value=0.9)])
    table = compare(paper, {"regularization": summary}, {})
    order = [VERDICTS.index(v) for v in table["verdict"]]
    assert order == sorted(order) and table["verdict"].iloc[0] != "not run"
    assert table["verdict"].iloc[-1] == "not run" and "model" in table
    shown = shown_table(table)
    assert list(shown.columns[:5]) == ["verdict", "paper", "source", "claim", "rule"]
    assert "not run" not in set(shown["verdict"])  # not run: listed per suite, under the table
    assert any(": 0.9, n = 256, 1 seed → inconclusive" in v for v in shown["gengap measured"])
    assert not any("e-0" in v and len(v) > 8 for v in shown["gengap measured"])
    idle = not_run(table, {"kernel": "snakemake --cores all --config preset=zhang_cpu"})
    kernel = [line for line in idle if line.startswith("`kernel`")]
    assert kernel and kernel[0].endswith("`snakemake --cores all --config preset=zhang_cpu`")
    text = to_markdown(table)
    n_claims = len(claims(table))
    assert text.startswith(f"Verdicts of {n_claims} claims: ") and "Not run:" in text
    assert n_claims < len(table)  # one row per claim: the batch-1 claims of two suites are one each


def test_numbers_keep_three_digits_and_never_round_to_one():
    from gengap.report.format import number
    assert [number(v) for v in (0.0188, 8.957, 3.7e-8, 12345.0, 1.0, 0.5)] == ["0.0188", "8.96", "3.7e-08", "1.2e+04", "1", "0.5"]
    assert number(0.99994) == "0.99994"  # Table 1's training accuracy at the epoch cap: short of 100 %
    assert number(0.9968) == "0.997" and number(1.0004) == "1.0004"
    assert number(None) == "" and number(float("nan")) == ""


@pytest.mark.parametrize("run", ["quick", "nk-cpu", "zhang-cpu", "ranking-cpu"])
def test_each_suite_decided_apart_gives_the_table_decided_at_once(run):
    """The ``verdicts`` job decides one suite's rows from its own summary; assembled, the suites
    give the table every row would get from all summaries at once, in the same order (by verdict,
    then as the paper values come). A claim may span suites (its variants); the claim's verdict is
    taken over its rows after assembly."""
    from gengap.report.paper import assemble, suite_verdicts

    dest = REPO / "docs" / "results" / run
    paths = sorted(p for p in (dest / "summary").glob("*.parquet") if not p.stem.endswith(("_slopes", "_verdicts")))
    summaries = {p.stem: pd.read_parquet(p) for p in paths}
    slopes = {s: pd.read_parquet(dest / "summary" / f"{s}_slopes.parquet") for s in summaries
              if (dest / "summary" / f"{s}_slopes.parquet").is_file()}
    values = pd.read_csv(PAPER_VALUES, dtype=str)
    whole = compare(values, summaries, slopes)
    apart = assemble(values, {s: suite_verdicts(values, s, summaries[s], slopes.get(s)) for s in summaries})
    pd.testing.assert_frame_equal(apart.astype(str), whole.astype(str))
    # what deciding per suite rests on: only "rises" and "lowest" read other rows, those of one curve
    curves = values[values["test"].isin(["rises", "lowest"])]
    assert (curves.groupby(["quantity", "model"], dropna=False)["suite"].nunique() == 1).all()
