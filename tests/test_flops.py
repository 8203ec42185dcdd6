"""FLOP counts against hand formulas, the GPU-time projection's arithmetic, and the throughput
benchmark at a tiny size on CPU."""

import subprocess
import sys

import pandas as pd
import pytest

from gengap.config import prepare
from gengap.flops import flops_per_example, matmul_rate, network_input_shape
from gengap.project import project
from gengap.settings import TrainingSettings
from helpers import REPO
from workflow_helpers import TINY_CONFIG


def mlp_flops(d, widths, classes=10):
    """One hidden layer stack: forward 2 d_in d_out per matmul; backward 2 d_in d_out for every
    weight gradient and for every input gradient except the first layer's (x needs none)."""
    dims = [d, *widths, classes]
    layers = list(zip(dims, dims[1:]))
    forward = sum(2 * a * b for a, b in layers)
    return forward + forward + sum(2 * a * b for a, b in layers[1:]), forward


@pytest.mark.parametrize("model,shape,widths", [("mlp_1x512", (3, 28, 28), [512]),
                                                ("mlp_3x512", (1, 28, 28), [512] * 3),
                                                ("mlp_5x1024_nobias", (1, 28, 28), [1024] * 5)])
def test_flops_per_example_match_the_hand_count(model, shape, widths):
    train, forward = mlp_flops(shape[0] * shape[1] * shape[2], widths)
    assert flops_per_example(model, shape) == {"train": train, "eval": forward}
    assert flops_per_example("mlp_1x512", (3, 28, 28))["train"] == 4_847_616  # 4 d h + 6 h C


def test_network_input_shape_follows_the_crop():
    assert network_input_shape("cifar10", TrainingSettings()) == (3, 28, 28)
    assert network_input_shape("cifar10", TrainingSettings(crop_size=24)) == (3, 24, 24)
    assert network_input_shape("mnist", TrainingSettings(preprocess="scale01")) == (1, 28, 28)
    assert network_input_shape("hypersphere_d50", TrainingSettings(preprocess="none")) == (1, 1, 50)


def test_matmul_rate_is_measured():
    assert 1e8 < matmul_rate("cpu", size=256, seconds=0.2) < 1e13


def test_projection_is_cells_times_epochs_times_n_times_flops_over_rate():
    config = prepare(dict(TINY_CONFIG, training=dict(TINY_CONFIG["training"], max_epochs=50)))
    rate = 1e12
    table = project(config, rate, efficiency=0.5, epochs=10).set_index("model")
    train, forward = mlp_flops(784, [512])
    # 2 corruptions x n = 128 x 10 epochs, evaluation every epoch
    assert table.loc["mlp_1x512", "cells"] == 2 and table.loc["mlp_1x512", "source"] == "--epochs"
    assert table.loc["mlp_1x512", "flops"] == 2 * 10 * 128 * (train + forward)
    assert table.loc["mlp_1x512", "projected_s"] == pytest.approx(2 * 10 * 128 * (train + forward) / (rate * 0.5))
    # epochs a run measured win over the assumption; without either, the epoch cap
    measured = pd.DataFrame([{"suite": "randomization", "model": "mlp_3x512", "epochs": 4, "wall_time_s": 2.0},
                             {"suite": "randomization", "model": "mlp_3x512", "epochs": 6, "wall_time_s": 3.0}])
    table = project(config, rate, measured=measured).set_index("model")
    assert table.loc["mlp_3x512", "source"] == "measured" and table.loc["mlp_3x512", "epochs"] == 5
    assert table.loc["mlp_3x512", "measured_s"] == 5.0
    assert table.loc["mlp_1x512", "source"] == "epoch cap" and table.loc["mlp_1x512", "epochs"] == 50


@pytest.mark.workflow  # runs the benchmark script (trains every model briefly)
def test_throughput_benchmark_prints_every_model_line_on_cpu():
    out = subprocess.run([sys.executable, str(REPO / "benchmarks/throughput.py"), "--device", "cpu", "--n", "128",
                          "--n-batch1", "16", "--epochs", "1", "--matmul-size", "256",
                          "--models", "mlp_1x512", "mlp_5x1024_nobias"],
                         capture_output=True, text=True, check=True).stdout
    assert "measured float32 matmul rate" in out
    lines = [line.split() for line in out.splitlines() if line.startswith(("mlp_1x512", "mlp_5x1024"))]
    assert [(l[0], l[1], l[2]) for l in lines] == [("mlp_1x512", "3x28x28", "128"), ("mlp_1x512", "1x28x28", "128"),
                                                   ("mlp_5x1024_nobias", "1x28x28", "64"),
                                                   ("mlp_5x1024_nobias", "1x28x28", "1")]
    assert float(lines[0][3]) == pytest.approx(4.85, abs=0.01)  # MFLOP per example
    assert all(float(l[4]) > 0 and l[-1].endswith("%") for l in lines)
