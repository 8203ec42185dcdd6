"""The verdict rules (gengap.report.verdicts), every branch on hand-made rows, and claims made of
variants."""

import math

import pytest

from gengap.report.verdicts import claim_verdict, decide, rule_text


def _row(test, value, **kw):
    return dict(dict(quantity="q", model="m", gengap_data="mnist", paper_data="MNIST", p="", paper_n="",
                     paper_value=math.nan, tolerance="", ci_low=math.nan, ci_high=math.nan, seeds=3,
                     seed_sd=math.nan, bound=""), test=test, gengap_value=value, **kw)


@pytest.mark.parametrize("row, verdict, note", [
    # slopes: the 95 % interval over seeds decides the direction
    (_row("positive_slope", 0.2, ci_low=0.1, ci_high=0.3), "reproduced", ""),
    (_row("positive_slope", 0.2, ci_low=0.1, ci_high=0.3, gengap_data="fashion_mnist"), "holds on other data", ""),
    (_row("positive_slope", -0.2, ci_low=-0.3, ci_high=-0.1), "contradicted", ""),
    (_row("negative_slope", -0.4, ci_low=-0.5, ci_high=-0.3), "reproduced", ""),
    (_row("negative_slope", 0.1, ci_low=0.05, ci_high=0.15), "contradicted", ""),
    # holds 0: how many seeds at this spread (t_{k-1} sd / sqrt(k) < 0.02 with sd 0.03: k = 12)
    (_row("positive_slope", 0.02, ci_low=-0.05, ci_high=0.09, seed_sd=0.03), "inconclusive",
     "the interval holds 0; at this spread about 12 seeds would decide it"),
    (_row("positive_slope", 0.3, seeds=2), "inconclusive", "2 seeds: an interval needs at least 3"),
    # a number of the paper: only on its data and n
    (_row("within", 0.51, paper_value=0.5051, tolerance="0.05", paper_n="50000", gengap_n=50000), "reproduced", ""),
    (_row("within", 0.40, paper_value=0.5051, tolerance="0.05", paper_n="50000", gengap_n=50000), "contradicted", ""),
    (_row("within", 0.51, paper_value=0.5051, tolerance="0.05", paper_n="50000", gengap_n=256), "inconclusive",
     "the paper's number is for MNIST, n = 50,000: it would take those cells"),
    (_row("within", 0.51, paper_value=0.5051, tolerance="0.05", paper_data="CIFAR-10", gengap_n=50000),
     "inconclusive", "the paper's number is for CIFAR-10: it would take those cells"),
    (_row("at_most", 3e-8, tolerance="1e-6"), "reproduced", ""),
    (_row("at_most", 15.0, tolerance="1e-6"), "contradicted", ""),
    (_row("at_least", 0.99, tolerance="0.95"), "reproduced", ""),
    (_row("at_least", 0.8, tolerance="0.95"), "contradicted", ""),
    (_row("factor", 2.4, tolerance="10"), "reproduced", ""),
    (_row("factor", 19.2, tolerance="10"), "contradicted", ""),
    (_row("factor", 0.8, tolerance="10"), "contradicted", ""),
    # a value from a capped cell is a bound: it decides only where the bound does
    (_row("factor", 10.4, tolerance="10", bound=">"), "contradicted", ""),
    (_row("factor", 8.0, tolerance="10", bound=">"), "inconclusive",
     "the value is a bound (> 8) that does not decide the rule"),
    (_row("at_least", 0.97, tolerance="0.95", bound=">"), "reproduced", ""),
    (_row("within", math.nan, paper_value=0.5, tolerance="0.05"), "not run", ""),
    (_row("positive_slope", math.nan), "not run", ""),
    # modified raw files are other data, whatever the claim's dataset
    (_row("at_most", 3e-8, tolerance="1e-6", modified=True), "holds on other data", ""),
])
def test_verdict_rule_of_every_test(row, verdict, note):
    assert decide(row) == (verdict, note)


def test_every_rule_is_written_out():
    assert rule_text(_row("factor", 1, tolerance="10")) == "ratio between 1× and 10×"
    assert rule_text(_row("within", 1, paper_value=0.012, tolerance="0.005", paper_n="60000")) == \
        "within 0.005 of 0.012 on MNIST at n = 60,000"
    assert rule_text(_row("negative_slope", 1)) == "95 % interval over seeds of the log-log slope against n < 0"
    with pytest.raises(ValueError, match="unknown test 'bigger'"):
        rule_text(_row("bigger", 1.0))


def test_label_noise_curve_verdicts_compare_with_p_zero():
    rows = [_row("lowest", 0.10, p="0.0"), _row("rises", 0.30, p="0.4"), _row("rises", 0.05, p="0.8"),
            _row("rises", 0.5, p="0.4", model="other")]  # another model has no p = 0 value
    assert [decide(r, rows)[0] for r in rows] == ["contradicted", "reproduced", "contradicted", "contradicted"]
    rows[2]["gengap_value"] = 0.6
    assert decide(rows[0], rows)[0] == "reproduced"
    with pytest.raises(ValueError, match="unknown test 'bigger'"):
        decide(_row("bigger", 1.0))


def test_a_claim_takes_its_worst_variant_on_the_papers_data_else_on_any():
    assert claim_verdict(["reproduced", "contradicted"], [True, False]) == "reproduced"
    assert claim_verdict(["reproduced", "inconclusive"], [True, True]) == "inconclusive"
    assert claim_verdict(["holds on other data", "contradicted"], [False, False]) == "contradicted"
    assert claim_verdict(["not run", "holds on other data"], [True, False]) == "holds on other data"
    assert claim_verdict(["not run", "not run"], [True, True]) == "not run"
