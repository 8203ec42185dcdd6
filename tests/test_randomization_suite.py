"""Pieces of the randomization study: every corruption x model trains, time to fit, Table 1 and
the Rademacher estimate."""

import json
import math

import pandas as pd
import pytest
import torch

from helpers import synthetic_dataset
from gengap.atomic import save_torch
from gengap.config import cells, training_settings
from gengap.data.corruptions import CORRUPTIONS
from gengap.data.training_set import make_training_set
from gengap.measure_options import MeasureOptions
from gengap.models import MODELS
from gengap.report.summary import steps_to_accuracy, with_relative_time_to_fit
from gengap.report.tables import rademacher, table1
from gengap.cell import Cell
from gengap.job import Job
from gengap.settings import TrainingSettings
from gengap.train.cell import CellFiles, train_cell

SETTINGS = TrainingSettings(weight_decay=5e-4, batch_size=8, lr_decay=0.95, max_epochs=1)


def cell(model, corruption="true"):
    return Cell("s", "cifar_like", corruption, 16, 0, 1, model)
SPECS = [c if c != "labels" else "labels@0.5" for c in CORRUPTIONS]


@pytest.fixture(scope="module")
def cifar_like():
    return synthetic_dataset(n_train=64, n_test=16, shape=(3, 32, 32))


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("corruption", SPECS)
def test_every_corruption_and_model_trains_on_tiny_data(tmp_path, cifar_like, model, corruption):
    data = make_training_set(cifar_like, 16, 0, corruption)
    save_torch(data, tmp_path / "data.pt")  # as the pipeline writes it: with its digest
    settings = SETTINGS.replace(random_crop=corruption == "true", dropout=0.5 if corruption == "gaussian" else 0.0)
    files = CellFiles.in_folder(tmp_path)
    record = train_cell(cell(model, corruption), settings, tmp_path / "data.pt", files, job=Job(log=lambda m: None))
    assert record["status"] in {"fitted", "max_epochs"} and record["epochs"] == 1
    assert record["model"]["input_shape"] == [3, 28, 28]  # CIFAR-sized images are cropped to 28
    assert record["model"]["num_classes"] == (2 if corruption == "rademacher" else 10)
    assert json.loads(files.record.read_text())["steps"] == 2


def test_rademacher_labels_are_balanced_binary(cifar_like):
    big = synthetic_dataset(n_train=10_000, n_test=10, shape=(1, 2, 2))
    out = make_training_set(big, 10_000, 3, "rademacher")
    assert out["num_classes"] == 2 and set(out["train_y"].unique().tolist()) == {0, 1}
    assert out["train_y"].float().mean().item() == pytest.approx(0.5, abs=0.02)
    assert torch.equal(out["test_y"], big["test_y"])


def records(rows):
    base = dict(suite="s", dataset="d", n=100, seed=0, draw=1, reg="none", sampling="distinct")
    return pd.DataFrame([{**base, **r} for r in rows])


def test_relative_time_to_fit_divides_by_the_true_label_cell():
    df = with_relative_time_to_fit(records([
        dict(model="a", corruption="true", steps_to_accuracy=100), dict(model="a", corruption="random_labels", steps_to_accuracy=250),
        dict(model="b", corruption="true", steps_to_accuracy=40), dict(model="b", corruption="labels@0.5", steps_to_accuracy=None)]))
    assert df["relative_time_to_fit"].tolist()[:3] == [1.0, 2.5, 1.0]
    assert math.isnan(df["relative_time_to_fit"].iloc[3])


def test_time_to_fit_is_the_first_step_at_the_stated_accuracy():
    # a history as the loop writes it: evaluation every 2 epochs, a cell that ends at the cap at 99.99 %
    history = pd.DataFrame({"epoch": [1, 2, 3, 4, 5, 6], "step": [10, 20, 30, 40, 50, 60],
                            "train_accuracy": [None, 0.95, None, 0.9991, None, 0.9999]})
    assert steps_to_accuracy(history, 0.95) == 20
    assert steps_to_accuracy(history, 0.999) == 40  # the first evaluation at or above it, not the last
    assert steps_to_accuracy(history, 0.9999) == 60
    assert steps_to_accuracy(history, 1.0) is None  # never reached: no time to fit at 100 %
    assert steps_to_accuracy(history.drop(columns="train_accuracy"), 0.5) is None


@pytest.mark.parametrize("models", [["mlp_1x512"], ["mlp_1x512", "mlp_3x512"]])
def test_time_to_fit_figure_draws_one_or_several_models(models):
    # zhang_cpu's suites have one model each: seaborn's dodge divided by (models - 1) and failed
    from figure_checks import check_figure
    rows = [dict(model=m, corruption=c, measure="train_error", value=0.0, relative_time_to_fit=r, fit_accuracy=0.999)
            for m in models for c, r in [("true", 1.0), ("labels@0.4", 3.0), ("random_labels", 5.5)]]
    summary = records(rows)
    check_figure("time_to_fit", summary, None)
    from gengap.report.figures import FIGURES, plt
    fig = FIGURES["time_to_fit"](summary, None)
    points = sorted(y for ax in fig.axes for line in ax.lines for y in line.get_ydata() if y != 1.0)
    assert points == sorted([3.0, 5.5] * len(models))  # each corruption's point, the true-label row left out
    plt.close(fig)


def summary_rows(model, corruption, seed, train_error, test_error, n=1000, reg="none"):
    base = dict(suite="s", dataset="d", model=model, corruption=corruption, seed=seed, draw=1, n=n, reg=reg)
    return [dict(base, measure="train_error", value=train_error), dict(base, measure="test_error", value=test_error)]


def test_rademacher_estimate_and_bound_against_hand_values():
    rows = summary_rows("m", "rademacher", 0, 0.0, 0.5) + summary_rows("m", "rademacher", 1, 0.1, 0.5)
    rows += summary_rows("m", "true", 0, 0.0, 0.12) + summary_rows("m", "true", 1, 0.0, 0.08)
    t = rademacher(pd.DataFrame(rows), MeasureOptions(delta=0.01)).iloc[0]
    assert t["rademacher"] == pytest.approx((1.0 + 0.8) / 2)  # r_k = 1 - 2 * training error
    assert t["draws"] == 2 and t["test_error"] == pytest.approx(0.10)
    assert t["confidence_term"] == pytest.approx(math.sqrt(math.log(100) / 2000))
    assert t["bound"] == pytest.approx(0.0 + 0.9 + math.sqrt(math.log(100) / 2000))
    assert t["vacuous"] == bool(t["bound"] >= 1)


def test_table1_reports_accuracies_per_model_and_regularization():
    rows = summary_rows("m", "true", 0, 0.0, 0.2, reg="wd") + summary_rows("m", "random_labels", 0, 0.05, 0.9, reg="wd")
    t = table1(pd.DataFrame(rows)).set_index("labels")
    assert t.loc["true labels", "test_accuracy"] == pytest.approx(0.8)
    assert t.loc["random labels", "train_accuracy"] == pytest.approx(0.95)
    assert set(t["reg"]) == {"wd"}


def test_table1_has_the_papers_columns():
    rows = []
    for reg, crop, wd in (("none", False, 0.0), ("crop_wd", True, 0.0005)):
        for r in summary_rows("m", "true", 0, 0.0, 0.2, reg=reg) + summary_rows("m", "random_labels", 0, 0.0, 0.9, reg=reg):
            rows.append(dict(r, random_crop=crop, weight_decay=wd, dropout=0.0))
        rows.append(dict(suite="s", dataset="d", model="m", corruption="true", seed=0, draw=1, n=1000, reg=reg,
                         measure="params", value=1209866.0, random_crop=crop, weight_decay=wd, dropout=0.0))
    t = table1(pd.DataFrame(rows))
    assert list(t.columns[:8]) == ["dataset", "model", "reg", "n", "params", "random_crop", "weight_decay", "dropout"]
    row = t[(t["reg"] == "crop_wd") & (t["labels"] == "true labels")].iloc[0]
    assert (row["params"], row["random_crop"], row["weight_decay"], row["dropout"]) == (1209866, "yes", "yes", "no")
    assert set(t.loc[t["reg"] == "none", "random_crop"]) == {"no"}


def test_regularization_settings_are_crossed_into_the_grid():
    from test_config import load, with_suite

    config = load(with_suite(regularization={"none": {}, "wd": {"weight_decay": 0.0005}, "crop": {"random_crop": True}}))
    grid = cells(config, "randomization")
    assert len(grid) == 2 * 2 * 3 and {c.reg for c in grid} == {"none", "wd", "crop"}
    assert training_settings(config, "randomization", "mlp_1x512", "wd").weight_decay == 0.0005
    assert training_settings(config, "randomization", "mlp_1x512", "crop").random_crop is True
    assert training_settings(config, "randomization", "mlp_1x512", "none").weight_decay == 0.0
    from gengap.config import ConfigError

    with pytest.raises(ConfigError, match="suites.randomization.regularization.wd: Additional properties"):
        load(with_suite(regularization={"wd": {"decay": 0.1}}))


def test_conv_cells_use_channels_last_on_cpu_and_repeat_exactly(tmp_path, cifar_like):
    from gengap.models import build_model
    from gengap.models import load_model
    from gengap.train.cell import preferred_memory_format

    assert preferred_memory_format(build_model("alexnet_c8", (3, 28, 28)), torch.device("cpu")) == torch.channels_last
    assert preferred_memory_format(build_model("mlp_1x512", (3, 28, 28)), torch.device("cpu")) == torch.contiguous_format
    save_torch(make_training_set(cifar_like, 32, 0, "random_labels"), tmp_path / "data.pt")
    finals = []
    for run in ("a", "b"):
        files = CellFiles.in_folder(tmp_path / run)
        record = train_cell(cell("alexnet_c8", "random_labels"), SETTINGS.replace(max_epochs=3), tmp_path / "data.pt",
                            files, job=Job(log=lambda m: None))
        finals.append(torch.load(files.final, weights_only=True))
    assert all(torch.equal(finals[0][k], finals[1][k]) for k in finals[0])
    # weights saved from the channels_last net load into a default-layout one (as the measures
    # do) and reproduce the recorded training accuracy
    from gengap.data.preprocess import network_inputs

    data = torch.load(tmp_path / "data.pt", weights_only=True)
    net = load_model(record, files.final).eval()
    with torch.no_grad():
        accuracy = (net(network_inputs(data["train_x"], SETTINGS)).argmax(1) == data["train_y"]).float().mean()
    assert accuracy.item() == pytest.approx(record["final"]["train_accuracy"], abs=1e-6)


def test_overview_line_keeps_datasets_and_regularizers_apart():
    from gengap.suites.train import describe_training_suite
    rows = []
    for dataset, base in (("mnist", 0.02), ("fashion_mnist", 0.10)):
        for reg, extra in (("none", 0.0), ("wd", 0.01)):
            for corruption, p, error, ratio in (("true", 0.0, base, 1.0), ("random_labels", 1.0, 0.9, 4.0)):
                for measure, value in (("test_error", error + extra), ("train_error", 0.0)):
                    rows.append(dict(dataset=dataset, reg=reg, model="mlp_1x512", corruption=corruption, status="fitted",
                                     measure=measure, value=value, label_noise=p, relative_time_to_fit=ratio,
                                     fit_accuracy=0.999))
    line = describe_training_suite(records(rows))
    assert "mnist mlp_1x512 (none): 0.02 → 0.9" in line and "fashion_mnist mlp_1x512 (wd): 0.11 → 0.91" in line
    assert "0.06" not in line  # no mean over the two datasets
    assert "to 99.9 % training accuracy random labels take 4x (fashion_mnist mlp_1x512 (none))" in line
    one = describe_training_suite(records([r for r in rows if r["dataset"] == "mnist" and r["reg"] == "none"]))
    assert "p = 0, 1, mlp_1x512: 0.02 → 0.9" in one  # nothing to tell apart: the model alone


def test_overview_line_of_a_factorial_grid_gives_its_many_noise_free_settings_as_one_range():
    """A grid of many settings with a label-noise block around one of them: the block's setting
    says its errors per noise level; the other settings (p = 0 only) are one range, not a list."""
    from gengap.suites.train import SINGLE_LEVEL_SHOWN, describe_training_suite
    rows = [dict(model="mlp_1x256", reg="base", corruption=c, label_noise=p, measure="test_error", value=v,
                 status="fitted", relative_time_to_fit=None) for c, p, v in (("true", 0.0, 0.1), ("labels@0.2", 0.2, 0.3))]
    others = [0.05 + 0.01 * i for i in range(SINGLE_LEVEL_SHOWN + 2)]
    rows += [dict(model="mlp_2x64", reg=f"r{i}", corruption="true", label_noise=0.0, measure="test_error", value=v,
                  status="fitted", relative_time_to_fit=None) for i, v in enumerate(others)]
    line = describe_training_suite(records(rows))
    assert "mlp_1x256 (base): 0.1 (p = 0) → 0.3 (p = 0.2)" in line
    assert f"the other {len(others)} settings at p = 0 only: 0.05..0.12 (median 0.085)" in line
    assert "(r1)" not in line
    few = describe_training_suite(records(rows[:2 + SINGLE_LEVEL_SHOWN]))  # few enough to list
    assert "mlp_2x64 (r0): 0.05 (p = 0)" in few and "only" not in few


def test_input_corruptions_are_shown_per_model_at_named_positions():
    """Each input corruption has its own labelled place on the x axis and one point per model
    (0.19 and 0.34 stay two points, never their mean 0.27); the labels do not overlap; the
    training-accuracy axis spans 0.9..1, so 16 unfitted points of 50,000 do not look like a collapse."""
    from figure_checks import check_figure
    from gengap.report.figures import FIGURES, plt
    rows = []
    for model, shuffled in (("mlp_1x512", 0.19), ("alexnet_c8", 0.34)):
        for corruption, p, error, train in (("true", 0.0, 0.02, 0.0), ("random_labels", 1.0, 0.9, 0.00032),
                                            ("gaussian", None, 0.925, 0.0), ("random_pixels", None, 0.896, 0.0),
                                            ("shuffled_pixels", None, shuffled, 0.0)):
            rows += [dict(dataset="mnist", model=model, corruption=corruption, label_noise=p, status="fitted",
                          measure="test_error", value=error),
                     dict(dataset="mnist", model=model, corruption=corruption, label_noise=p, status="fitted",
                          measure="train_error", value=train)]
    summary = records(rows)
    check_figure("label_noise", summary, None)
    fig = FIGURES["label_noise"](summary, None)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    test_ax = next(ax for ax in fig.axes if ax.get_ylabel() == "test error")
    bottom = next(ax for ax in fig.axes if ax.get_ylabel() == "training accuracy")  # the shared x axis's labels
    names = [t for t in bottom.get_xticklabels() if t.get_text().replace("\n", " ") in
             ("shuffled pixels", "random pixels", "Gauss- ian")]
    assert len(names) == 3
    boxes = [t.get_window_extent(renderer) for t in names]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    points = {round(float(y), 2) for line in test_ax.lines if line.get_marker() == "D" for y in line.get_ydata()}
    assert {0.19, 0.34} <= points and 0.27 not in points
    accuracy = next(ax for ax in fig.axes if ax.get_ylabel() == "training accuracy")
    assert accuracy.get_ylim()[0] <= 0.9 and accuracy.get_ylim()[1] < 1.01
    plt.close(fig)


def test_a_table_gets_the_suites_measure_options_when_it_takes_them(tmp_path):
    """The table job passes the suite's configured measure options to a table whose signature
    takes them (the Rademacher bound's delta); the others take the summary alone."""
    from gengap.atomic import save_parquet
    from gengap.report.tables import write_table

    rows = summary_rows("m", "rademacher", 0, 0.0, 0.5) + summary_rows("m", "true", 0, 0.0, 0.1)
    rows += summary_rows("m", "random_labels", 0, 0.0, 0.9)
    save_parquet(pd.DataFrame(rows), tmp_path / "s.parquet")
    t = write_table("rademacher", str(tmp_path / "s.parquet"), str(tmp_path / "r.parquet"), str(tmp_path / "r.md"),
                    {"delta": 0.1}).iloc[0]
    assert t["confidence_term"] == pytest.approx(math.sqrt(math.log(10) / 2000))
    assert len(write_table("table1", str(tmp_path / "s.parquet"), str(tmp_path / "t.parquet"), str(tmp_path / "t.md"),
                           {"delta": 0.1})) == 2
    with pytest.raises(ValueError, match="unknown measure option.*'detla'"):
        write_table("rademacher", str(tmp_path / "s.parquet"), str(tmp_path / "r.parquet"), str(tmp_path / "r.md"),
                    {"detla": 0.1})
