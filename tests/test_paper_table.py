"""The paper-vs-gengap table: paper values are data, measured values come from the summaries."""

import math

import pandas as pd
import pytest

from gengap.report.paper import QUANTITIES, compare, shown_table, verdict
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
    assert list(table["verdict"]) == ["other data or scale", "other data or scale", "not run"]  # CIFAR-10 values
    # a suite that ran without the cells a claim needs says so
    empty = compare(paper.iloc[[1]], {"regularization": summary[summary["corruption"] == "true"]}, {})
    assert empty["gengap_scale"].iloc[0] == "no matching cells"


def test_slopes_come_with_their_interval():
    paper = pd.DataFrame([dict(paper="NK", source="Fig 1", paper_data="MNIST", claim="slope", suite="b",
                               quantity="slope", model="", reg="", corruption="", measure="dist_init", p="",
                               paper_value="", paper_text="> 0", paper_n="", test="positive_slope",
                               tolerance="")])
    slopes = pd.DataFrame([dict(suite="b", dataset="mnist", model="m", measure="dist_init", pooled=True,
                                slope=0.25, ci_low=0.2, ci_high=0.3)])
    summary = _summary([dict(suite="b", n=n, measure="dist_init", value=1.0) for n in (128, 256, 512)])
    row = compare(paper, {"b": summary}, {"b": slopes}).iloc[0]
    assert row["gengap_value"] == 0.25 and row["gengap_ci"] == "[+0.20, +0.30]" and row["verdict"] == "reproduced"
    assert row["gengap_scale"] == "n = 128..512, 1 seed"


def _row(test, value, **kw):
    return dict(dict(quantity="q", model="m", gengap_data="mnist", paper_data="MNIST", p="", paper_n="",
                     paper_value=math.nan, tolerance="", ci_low=math.nan, ci_high=math.nan), test=test,
                gengap_value=value, **kw)


@pytest.mark.parametrize("row,expected", [
    # slopes: the 95 % interval decides the direction
    (_row("positive_slope", 0.2, ci_low=0.1, ci_high=0.3), "reproduced"),
    (_row("positive_slope", 0.02, ci_low=-0.01, ci_high=0.05), "not reproduced"),  # holds 0
    (_row("negative_slope", -0.4, ci_low=-0.5, ci_high=-0.3), "reproduced"),
    (_row("negative_slope", 0.1, ci_low=0.05, ci_high=0.15), "not reproduced"),
    # a number of the paper: only on its data and n
    (_row("within", 0.51, paper_value=0.5051, tolerance="0.05", paper_n="50000", gengap_n=50000), "reproduced"),
    (_row("within", 0.40, paper_value=0.5051, tolerance="0.05", paper_n="50000", gengap_n=50000), "not reproduced"),
    (_row("within", 0.51, paper_value=0.5051, tolerance="0.05", paper_n="50000", gengap_n=256), "other data or scale"),
    (_row("within", 0.51, paper_value=0.5051, tolerance="0.05", paper_data="CIFAR-10", gengap_n=50000),
     "other data or scale"),
    (_row("at_most", 3e-8, tolerance="1e-6"), "reproduced"),
    (_row("at_most", 15.0, tolerance="1e-6"), "not reproduced"),
    (_row("at_least", 0.99, tolerance="0.95"), "reproduced"),
    (_row("at_least", 0.8, tolerance="0.95"), "not reproduced"),
    (_row("factor", 2.4, tolerance="10"), "reproduced"),
    (_row("factor", 0.8, tolerance="10"), "not reproduced"),
    (_row("within", math.nan, paper_value=0.5, tolerance="0.05"), "not run"),
])
def test_verdict_rule_of_every_test(row, expected):
    assert verdict(row) == expected


def test_label_noise_curve_verdicts_compare_with_p_zero():
    rows = [_row("lowest", 0.10, p="0.0"), _row("rises", 0.30, p="0.4"), _row("rises", 0.05, p="0.8"),
            _row("rises", 0.5, p="0.4", model="other")]  # another model has no p = 0 value
    assert [verdict(r, rows) for r in rows] == ["not reproduced", "reproduced", "not reproduced", "not reproduced"]
    rows[2]["gengap_value"] = 0.6
    assert verdict(rows[0], rows) == "reproduced"
    with pytest.raises(ValueError, match="unknown test 'bigger'"):
        verdict(_row("bigger", 1.0))


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
    assert list(shown.columns[:5]) == ["verdict", "paper", "source", "claim", "model"]
    assert "0.9" in set(shown["gengap measured"]) and not any("e-0" in v and len(v) > 8 for v in shown["gengap measured"])


def test_numbers_keep_three_digits_and_never_round_to_one():
    from gengap.report.format import number
    assert [number(v) for v in (0.0188, 8.957, 3.7e-8, 12345.0, 1.0, 0.5)] == ["0.0188", "8.96", "3.7e-08", "1.2e+04", "1", "0.5"]
    assert number(0.99994) == "0.99994"  # Table 1's training accuracy at the epoch cap: short of 100 %
    assert number(0.9968) == "0.997" and number(1.0004) == "1.0004"
    assert number(None) == "" and number(float("nan")) == ""
