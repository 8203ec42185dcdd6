"""Bad config values stop the workflow before any job runs, with a message naming key, value
and what is allowed; good configs expand into the expected grid."""

import copy

import pytest
import torch

from helpers import REPO
from gengap import config as plan
from workflow_helpers import TINY_CONFIG, make_workdir, snakemake


def load(config: dict) -> dict:
    return plan.prepare(copy.deepcopy(config))


def with_suite(**changes) -> dict:
    config = copy.deepcopy(TINY_CONFIG)
    config["suites"]["randomization"].update(changes)
    return config


BAD = {
    "unknown dataset": (with_suite(datasets=["mnist", "svhn"]),
                        ["suites.randomization.datasets[1]", "'svhn'", "cifar10, fashion_mnist, mnist"]),
    "unknown model": (with_suite(models=["resnet18"]),
                      ["suites.randomization.models[0]", "'resnet18'", "alexnet_small, inception_small"]),
    "unknown corruption": (with_suite(corruptions=["true", "blur"]),
                           ["suites.randomization.corruptions[1]", "'blur'", "gaussian, labels"]),
    "p above 1": (with_suite(corruptions=["labels@1.5"]),
                  ["suites.randomization.corruptions[0]", "labels@1.5", "p in [0, 1]"]),
    "p below 0": (with_suite(corruptions=["labels@-0.1"]),
                  ["suites.randomization.corruptions[0]", "labels@-0.1", "p in [0, 1]"]),
    "n too large": (with_suite(n=[128, 70000]),
                    ["suites.randomization.n[1]", "70000", "1 to 60000"]),
    "unknown measure": (with_suite(measures=["sharpness"]),
                        ["suites.randomization.measures[0]", "'sharpness'", "dist_init"]),
    "epoch cap in a model override": (dict(TINY_CONFIG, models={"mlp_1x512": {"max_epochs": 0}}),
                                      ["models.mlp_1x512.max_epochs", "0", "minimum of 1"]),
    "unknown training key": (dict(TINY_CONFIG, models={"mlp_1x512": {"learning_rate": 0.1}}),
                             ["models.mlp_1x512", "learning_rate", "training keys: batch_order, batch_size"]),
    "unknown stopping rule": (dict(TINY_CONFIG, training={"stop": {"criterion": "loss"}}),
                              ["training.stop.criterion", "'loss'", "epochs, margin, train_accuracy"]),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_values_name_key_value_and_allowed(case):
    config, fragments = BAD[case]
    with pytest.raises(plan.ConfigError) as err:
        load(config)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_train_suite_needs_models_and_corruptions():
    config = copy.deepcopy(TINY_CONFIG)
    del config["suites"]["randomization"]["models"]
    with pytest.raises(plan.ConfigError, match="suites.randomization.models: missing"):
        load(config)


def test_theory_suites_expand_into_cells_and_check_sizes():
    config = load({"suites": {"e": {"kind": "expressivity", "datasets": ["mnist"], "n": [10, 20], "seeds": [0],
                                    "depths": [1, 2]},
                              "k": {"kind": "kernel", "datasets": ["fashion_mnist"], "n": [30], "seeds": [1]}}})
    assert len(plan.suite_cells(config, "e")) == 2 * 2 * 2  # labels x n x depths
    kernel_cells = plan.suite_cells(config, "k")
    assert set(kernel_cells) == {"fashion_mnist/rbf/n30/seed1", "fashion_mnist/linear_features/n30/seed1",
                                 "min_norm_sgd/n100/d1000/seed1"}
    # a cell is typed and checked; its job gets it as plain values, in field order, and makes it again
    first = plan.suite_cells(config, "e")["mnist/true_labels/n10/seed0/depth1"]
    assert list(first.as_params().items()) == [("kind", "expressivity"), ("dataset", "mnist"),
                                               ("labels", "true_labels"), ("n", 10), ("seed", 0), ("depth", 1)]
    for suite in ("e", "k"):
        kind = plan.kind_of(config["suites"][suite])
        assert all(kind.cell(c.as_params()) == c for c in plan.suite_cells(config, suite).values())
    with pytest.raises(ValueError, match="labels 'noisy'; allowed: true_labels, random_labels"):
        type(first)("mnist", "noisy", 10, 0, 1)
    assert config["suites"]["e"]["figures"] == ["expressivity"]
    with pytest.raises(plan.ConfigError, match="suites.e.n.0.: n = 70000"):
        load({"suites": {"e": {"kind": "expressivity", "datasets": ["mnist"], "n": [70000], "seeds": [0]}}})


def test_unknown_preset_is_named():
    with pytest.raises(plan.ConfigError, match="preset: unknown preset 'tiny'; allowed: quick"):
        plan.apply_preset({"preset": "tiny", "presets": {"quick": {}}, "suites": {}})


def test_unquoted_true_corruption_is_accepted():
    config = load(with_suite(corruptions=[True, "random_labels"]))
    assert config["suites"]["randomization"]["corruptions"] == ["true", "random_labels"]


def test_preset_merges_and_overrides_per_model_and_suite_layers():
    config = load(dict(TINY_CONFIG, models={"mlp_3x512": {"lr": 0.05}},
                       presets={"small": {"training": {"max_epochs": 7}, "suites": {"randomization": {"n": [64]}}}},
                       preset="small"))
    assert config["suites"]["randomization"]["n"] == [64]
    assert config["suites"]["randomization"]["datasets"] == ["mnist"]  # untouched keys survive
    s1 = plan.training_settings(config, "randomization", "mlp_1x512")
    s3 = plan.training_settings(config, "randomization", "mlp_3x512")
    assert (s1.lr, s3.lr, s1.max_epochs, s3.max_epochs) == (0.01, 0.05, 7, 7)
    assert s1.stop == {"criterion": "train_accuracy", "target": 1.0}  # default filled in
    assert len(plan.cells(config, "randomization")) == 2 * 2


def test_a_null_in_a_preset_removes_the_key():
    # JSON Merge Patch (RFC 7386): how a CPU preset leaves out suites and regularization settings
    config = copy.deepcopy(TINY_CONFIG)
    config["suites"]["other"] = dict(config["suites"]["randomization"], regularization={"none": {}, "wd": {"weight_decay": 0.1}})
    config["presets"] = {"small": {"suites": {"randomization": None, "other": {"regularization": {"wd": None}}}}}
    merged = plan.apply_preset(dict(config, preset="small"))
    assert set(merged["suites"]) == {"other"} and merged["suites"]["other"]["regularization"] == {"none": {}}
    assert set(plan.deep_merge(config, {"suites": {"other": None}})["suites"]) == {"randomization", "other"}  # None is a value elsewhere


def test_repository_config_and_quick_preset_are_valid():
    full = plan.load(REPO / "config.yaml")
    quick = plan.load(REPO / "config.yaml", preset="quick")
    assert set(full["suites"]) == {"randomization", "regularization", "rademacher", "bounds_vs_n", "bounds_vs_n_batch1",
                                   "bounds_vs_n_strict", "hypersphere", "expressivity", "kernel", "measure_ranking"}
    # the measure-ranking grid: one setting at a time around a base point, both datasets, 2 seeds
    ranking = plan.cells(full, "measure_ranking")
    assert len(ranking) == 2 * 2 * (1 + 4 + 2 + 2 + 5)  # datasets x seeds x (base + each other value)
    assert {c.dataset for c in ranking} == {"mnist", "fashion_mnist"} and {c.seed for c in ranking} == {0, 1}
    base = [c for c in ranking if (c.model, c.corruption, c.n, c.reg) == ("mlp_1x512", "true", 4096, "none")]
    assert len(base) == 4
    assert len(plan.cells(quick, "measure_ranking")) == 5
    # Nagarajan & Kolter's grid: n = 128..65,536 drawn with replacement, 3 seeds, S1 and S2, their loss
    for suite, batch, fraction in (("bounds_vs_n", 64, 0.99), ("bounds_vs_n_batch1", 1, 0.99),
                                   ("bounds_vs_n_strict", 64, 0.999)):
        cells = plan.cells(full, suite)
        assert {c.model for c in cells} == {"mlp_5x1024_nobias"} and {c.sampling for c in cells} == {"replacement"}
        assert len(cells) == 10 * 3 * 2 and max(c.n for c in cells) == 65_536  # n x seeds x draws
        settings = plan.training_settings(full, suite, "mlp_5x1024_nobias")
        assert (settings.batch_size, settings.stop["fraction"], settings.loss, settings.lr) == \
            (batch, fraction, "sigmoid_cross_entropy", 0.1)
    assert plan.cells(full, "hypersphere")[0].model == "mlp_1x100000_xavier"
    assert plan.training_settings(full, "hypersphere", "mlp_1x100000_xavier").loss == "sigmoid_cross_entropy"
    # Zhang et al. on CIFAR-10, MNIST and Fashion-MNIST at n = 50,000
    assert len(plan.cells(full, "randomization")) == 3 * 9 * 3 * 4  # datasets x corruptions x seeds x models
    assert len(plan.cells(full, "regularization")) == 3 * 5 * 2 * 5  # datasets x models x labels x settings
    # the quick preset keeps a CPU-sized version of every margin variant
    assert {s for s in quick["suites"] if s.startswith("bounds_vs_n")} == {"bounds_vs_n", "bounds_vs_n_batch1",
                                                                          "bounds_vs_n_strict"}
    assert max(max(quick["suites"][s]["n"]) for s in quick["suites"] if s.startswith("bounds")) <= 2048
    assert {c.dataset for c in plan.cells(quick, "randomization")} == {"mnist"}
    assert len(plan.cells(quick, "randomization")) == 9 * 2 and quick["suites"]["randomization"]["n"] == [256]
    # the quick preset covers two model families: a conv net and an MLP
    from gengap.models import build_model

    has_conv = {m: any(isinstance(layer, torch.nn.Conv2d) for layer in build_model(m, (1, 28, 28)).modules())
                for m in quick["suites"]["randomization"]["models"]}
    assert sorted(has_conv.values()) == [False, True]


def test_cpu_presets_hold_the_full_size_grids():
    # Nagarajan & Kolter on a CPU: their network and settings, >= 6 n up to 32,768, 3 seeds x S1/S2,
    # fixed minibatch order; batch 1 up to n = 2,048; the 99.9 % rule on a subset of n
    nk = plan.load(REPO / "config.yaml", preset="nk_cpu")
    assert set(nk["suites"]) == {"bounds_vs_n", "bounds_vs_n_batch1", "bounds_vs_n_strict", "hypersphere"}
    full = plan.load(REPO / "config.yaml")
    sphere = plan.cells(nk, "hypersphere")
    assert {c.dataset for c in sphere} == {"hypersphere_d1000"} and {c.model for c in sphere} == {"mlp_1x10000_xavier"}
    assert sorted(c.n for c in sphere) == [4096, 8192, 16384, 32768, 65536]
    assert plan.training_settings(nk, "hypersphere", "mlp_1x10000_xavier") == \
        plan.training_settings(full, "hypersphere", "mlp_1x100000_xavier").replace(batch_order="fixed")
    for suite in ("bounds_vs_n", "bounds_vs_n_batch1", "bounds_vs_n_strict"):
        cells = plan.cells(nk, suite)
        assert {c.model for c in cells} == {"mlp_5x1024_nobias"} and {c.seed for c in cells} == {0, 1, 2}
        assert {c.draw for c in cells} == {1, 2} and {c.sampling for c in cells} == {"replacement"}
        settings = plan.training_settings(nk, suite, "mlp_5x1024_nobias")
        assert settings == plan.training_settings(full, suite, "mlp_5x1024_nobias").replace(batch_order="fixed")
    n = nk["suites"]["bounds_vs_n"]["n"]
    assert len(n) >= 6 and max(n) >= 32_768 and max(nk["suites"]["bounds_vs_n_batch1"]["n"]) <= 2048
    # Zhang et al.'s MLPs at n = 50,000: 9 corruptions x (mlp_1x512 on two datasets, mlp_3x512 on MNIST);
    # Table 1's MLP rows
    zhang = plan.load(REPO / "config.yaml", preset="zhang_cpu")
    grid = {(c.dataset, c.model) for s in ("randomization", "randomization_3x512") for c in plan.cells(zhang, s)}
    assert grid == {("mnist", "mlp_1x512"), ("fashion_mnist", "mlp_1x512"), ("mnist", "mlp_3x512")}
    training = ("randomization", "randomization_3x512", "regularization")
    assert all(c.n == 50_000 and c.seed == 0 for s in training for c in plan.cells(zhang, s))
    assert len(plan.cells(zhang, "randomization")) + len(plan.cells(zhang, "randomization_3x512")) == 27
    table1 = plan.cells(zhang, "regularization")
    assert sorted({c.reg for c in table1}) == ["dropout", "none", "wd"] and len(table1) == 6
    # the kernel at n = 60,000 with two bandwidths on both datasets, Theorem 1 at 60,000
    for suite, bandwidth in (("kernel", None), ("kernel_gamma_002", 5.0)):
        rbf = [c for c in plan.suite_cells(zhang, suite).values() if c.kind == "kernel"]
        assert {(c.dataset, c.kernel, c.bandwidth) for c in rbf if c.n == 60_000} == \
            {("mnist", "rbf", bandwidth), ("fashion_mnist", "rbf", bandwidth)}
    assert 60_000 in zhang["suites"]["expressivity"]["n"] and zhang["suites"]["expressivity"]["depths"] == [1]



def test_the_ranking_grid_preset_has_the_power_design_of_issue_38():
    # >= 400 cells; width, depth, rate, batch size and weight decay at 3 values each, fully crossed,
    # on two datasets and >= 3 seeds, so every hyperparameter has dozens of groups of 3 cells in
    # which only it varies; n and label noise in a block of their own
    import re

    config = plan.load(REPO / "config.yaml", preset="ranking_grid_cpu")
    cells = plan.cells(config, "ranking_grid")
    assert len(cells) >= 400 and {c.dataset for c in cells} == {"mnist", "fashion_mnist"}
    rows = []
    for c in cells:
        if c.corruption != "true" or c.n != 1024:
            continue
        depth, width = map(int, re.fullmatch(r"mlp_(\d+)x(\d+)", c.model).groups())
        t = plan.training_settings(config, "ranking_grid", c.model, c.reg)
        rows.append((c.dataset, c.seed, width, depth, t.lr, t.batch_size, t.weight_decay))
    assert len({r[:2] for r in rows}) == 2 * len({r[1] for r in rows}) and len({r[1] for r in rows}) >= 3
    for i in range(2, 7):
        assert len({r[i] for r in rows}) == 3
        groups = {}
        for r in rows:
            groups.setdefault(r[:i] + r[i + 1:], set()).add(r[i])
        assert len(groups) >= 36 and all(len(v) == 3 for v in groups.values())
    environments = {(c.n, c.corruption) for c in cells}
    assert {n for n, _ in environments} >= {512, 1024, 2048} and len({k for _, k in environments}) >= 3

SNAKEMAKE_CASES = ["unknown dataset", "unknown model", "unknown corruption", "p above 1", "n too large"]


@pytest.mark.workflow
@pytest.mark.parametrize("case", SNAKEMAKE_CASES)
def test_snakemake_stops_before_any_job(case, tmp_path):
    config, fragments = BAD[case]
    workdir = make_workdir(tmp_path, config)
    proc = snakemake(workdir, "--cores", "1", check=False)
    assert proc.returncode != 0
    for fragment in fragments:
        assert fragment in proc.stderr + proc.stdout
    assert not (workdir / "results").exists()


@pytest.mark.workflow
def test_snakemake_schema_error_names_the_key(tmp_path):
    workdir = make_workdir(tmp_path, dict(TINY_CONFIG, training={"max_epochs": 0}))
    proc = snakemake(workdir, "--cores", "1", check=False)
    out = proc.stderr + proc.stdout
    assert proc.returncode != 0 and "0 is less than the minimum of 1" in out
    assert "['training']['max_epochs']" in out and not (workdir / "results").exists()


@pytest.mark.workflow
def test_the_gpu_request_is_said_once_and_a_missing_cuda_stops_before_any_job(tmp_path):
    workdir = make_workdir(tmp_path, TINY_CONFIG)
    asked = snakemake(workdir, "-n", "--cores", "1", "--config", "gpu=true")
    out = asked.stdout + asked.stderr
    assert out.count("GPU request: every train, measure and suite_cell job asks for 1 GPU (gpu: true in the config)") == 1
    assert "gpu=1" in out
    if not torch.cuda.is_available():
        stopped = snakemake(workdir, "--cores", "1", "--config", "device=cuda", check=False)
        assert stopped.returncode != 0 and "device: cuda, but torch sees no CUDA device" in stopped.stderr + stopped.stdout
        assert not (workdir / "results" / "cells").exists()


@pytest.mark.parametrize("change,fragments,absent", [
    (dict(modles=["mlp_1x512"]), ["'modles' was unexpected", "a train suite's keys:", "models", "corruptions",
                                  "measures", "slopes", "training"], []),
    (dict(slope=True), ["'slope' was unexpected", "slopes"], []),
    (dict(kind="trian"), ["suites.randomization.kind: 'trian' is not one of ['train', 'expressivity', 'kernel']"],
     ["missing", "unexpected"]),
])
def test_a_suite_error_points_the_right_way(change, fragments, absent):
    with pytest.raises(plan.ConfigError) as err:
        load(with_suite(**change))
    for fragment in fragments:
        assert fragment in str(err.value)
    for fragment in absent:
        assert fragment not in str(err.value)


def test_every_problem_is_reported_at_once_with_a_hint_for_yaml_numbers():
    config = with_suite()
    for key in ("n", "seeds", "models"):
        config["suites"]["randomization"].pop(key)
    config["training"] = {"lr": "1e-2"}
    with pytest.raises(plan.ConfigError) as err:
        load(config)
    lines = str(err.value).splitlines()
    assert {f"suites.randomization.{k}: missing (required)" for k in ("n", "seeds", "models")} <= set(lines)
    assert any("training.lr: '1e-2' is not of type 'number' (YAML reads 1e-2 as text" in line and "0.01" in line
               for line in lines)
    assert len(lines) == 4 and not any("unexpected" in line for line in lines)


def test_the_yaml_number_hint_only_where_a_number_is_expected():
    config = with_suite()
    config["suites"]["x"] = "1"  # as `--config 'suites={x: 1}'` gives it: a suite must be a mapping
    with pytest.raises(plan.ConfigError) as err:
        load(config)
    assert "suites.x: '1' is not of type 'object'" in str(err.value)
    assert "YAML reads" not in str(err.value)


@pytest.mark.workflow
def test_a_config_error_is_the_message_alone(tmp_path):
    workdir = make_workdir(tmp_path, with_suite(modles=["x"], seeds="0"))
    proc = snakemake(workdir, "--cores", "1", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "gengap: bad configuration:" in out
    assert "'modles' was unexpected" in out and "suites.randomization.seeds" in out  # both problems
    assert "Traceback" not in out and 'File "' not in out


def test_a_suites_plan_is_resolved_once_typed_and_read_only():
    from gengap.plan import suite_plan

    config = load(with_suite(regularization={"wd": {"weight_decay": 0.01}}, measure_options={"delta": 0.1}))
    suite = suite_plan(config, "randomization")
    assert set(suite.cells) == set(plan.suite_cells(config, "randomization"))
    for cell in suite.cells.values():
        assert suite.training_settings(cell.model, cell.reg) == plan.training_settings(
            config, "randomization", cell.model, cell.reg)
    assert suite.measure_options.delta == 0.1 and isinstance(suite.measures, tuple)
    with pytest.raises(TypeError):
        suite.cells["x"] = None
    with pytest.raises(KeyError, match="suite randomization has no cell of model mlp_9x9 with regularization none"):
        suite.training_settings("mlp_9x9", "none")
