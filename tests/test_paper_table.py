"""The paper-vs-gengap table: paper values are data, measured values come from the summaries."""

import math

import pandas as pd
import pytest

from gengap.report.paper import QUANTITIES, compare
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
             p="", paper_value="0.5051", paper_text=""),
        dict(paper="Z", source="Table 1", paper_data="CIFAR-10", claim="random train acc", suite="regularization",
             quantity="table1", model="mlp_1x512", reg="none", corruption="random_labels", measure="train_accuracy",
             p="", paper_value="0.9934", paper_text=""),
        dict(paper="NK", source="Fig 1", paper_data="MNIST", claim="slope", suite="bounds_vs_n", quantity="slope",
             model="", reg="", corruption="", measure="bartlett17", p="", paper_value="", paper_text="> 0"),
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
    assert table["gengap_scale"].iloc[2] == "not run" and math.isnan(table["gengap_value"].iloc[2])
    # a suite that ran without the cells a claim needs says so
    empty = compare(paper.iloc[[1]], {"regularization": summary[summary["corruption"] == "true"]}, {})
    assert empty["gengap_scale"].iloc[0] == "no matching cells"


def test_slopes_come_with_their_interval():
    paper = pd.DataFrame([dict(paper="NK", source="Fig 1", paper_data="MNIST", claim="slope", suite="b",
                               quantity="slope", model="", reg="", corruption="", measure="dist_init", p="",
                               paper_value="", paper_text="> 0")])
    slopes = pd.DataFrame([dict(suite="b", dataset="mnist", model="m", measure="dist_init", pooled=True,
                                slope=0.25, ci_low=0.2, ci_high=0.3)])
    summary = _summary([dict(suite="b", n=n, measure="dist_init", value=1.0) for n in (128, 256, 512)])
    row = compare(paper, {"b": summary}, {"b": slopes}).iloc[0]
    assert row["gengap_value"] == 0.25 and row["gengap_ci"] == "[+0.20, +0.30]"
    assert row["gengap_scale"] == "n = 128..512, 1 seed"
