"""One place for each concept: the cell key, suite kinds, and schema enums that mirror registries."""

import copy

import numpy as np
import pytest

import yaml

from gengap import config as plan
from gengap.cell import SAMPLINGS, Cell
from gengap.suites import KINDS
from gengap.theory.kernel import KERNELS
from gengap.train.losses import LOSSES
from gengap.settings import BATCH_ORDERS, PRECISIONS, PREPROCESSING
from helpers import REPO
from workflow_helpers import TINY_CONFIG

SCHEMA = yaml.safe_load(plan.SCHEMA_PATH.read_text())


def test_cell_path_and_wildcards_round_trip():
    cell = Cell("s", "mnist", "labels@0.2", 128, 3, 2, "mlp_1x512", "wd", "replacement")
    assert Cell("s", "mnist", "true", 128, 3, 1, "m").path == "s/mnist/true/n128/distinct/seed3/draw1/m/none"
    assert cell.path == "s/mnist/labels@0.2/n128/replacement/seed3/draw2/mlp_1x512/wd"
    assert cell.training_set == "mnist/n128/replacement/seed3/draw2/labels@0.2"
    wildcards = {k: str(v) for k, v in cell.key().items()}  # Snakemake's wildcards are strings
    assert Cell.from_wildcards(wildcards) == cell
    assert cell.other_draw().draw == 1 and cell.other_draw().other_draw() == cell
    assert set(Cell.WILDCARDS) == set(Cell.names())
    assert Cell.WILDCARDS["sampling"].split("|") == list(SAMPLINGS)
    assert SCHEMA["$defs"]["train_suite"]["properties"]["sampling"]["enum"] == list(SAMPLINGS)


def _enums(node, path=()):
    """Every list of allowed values in the schema, by its place."""
    if isinstance(node, dict):
        if "enum" in node:
            yield "/".join(path), node["enum"]
        for key, value in node.items():
            yield from _enums(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, (*path, str(i)))


def test_every_schema_enum_is_a_list_the_code_defines():
    """Each list of allowed values is defined once, in the code that acts on it; the schema's copy
    (it documents and validates) is checked here, every one of them: a new enum in the schema
    without its code list fails this test."""
    from gengap.gpus import GPU_CHOICES
    from gengap.job import DEVICES
    from gengap.suites.train import DESIGNS
    from gengap.suites.expressivity import LABELS

    code = {
        "$defs/training/properties/batch_order": list(BATCH_ORDERS),
        "$defs/training/properties/preprocess": list(PREPROCESSING),
        "$defs/training/properties/precision": list(PRECISIONS),
        "$defs/training/properties/loss": sorted(LOSSES),
        "$defs/suite/properties/kind": sorted(KINDS),
        "$defs/train_suite/properties/sampling": list(SAMPLINGS),
        "$defs/train_suite/properties/design": list(DESIGNS),
        "$defs/expressivity_suite/properties/labels/items": list(LABELS),
        "$defs/kernel_suite/properties/kernels/items": list(KERNELS),
        "properties/gpu": list(GPU_CHOICES),
        "properties/device": list(DEVICES),
    }
    enums = dict(_enums(SCHEMA))
    assert set(enums) == set(code)
    for place, allowed in enums.items():
        assert (sorted(allowed, key=str) if place.endswith(("loss", "kind")) else allowed) == code[place], place


def test_suite_kinds_have_their_schema_branches():
    defs = SCHEMA["$defs"]
    # every kind other than train has its own keys under `if: kind`
    branches = {b["if"]["properties"]["kind"]["const"] for b in defs["suite"]["allOf"]}
    assert branches == set(KINDS)


def test_check_does_not_change_the_config():
    config = plan.resolve(plan.validate(plan.apply_preset(copy.deepcopy(TINY_CONFIG))))
    before = copy.deepcopy(config)
    plan.check(config)
    assert config == before


def test_resolve_fills_figures_from_the_kind_without_touching_its_input():
    config = plan.validate({"suites": {"e": {"kind": "expressivity", "datasets": ["mnist"], "n": [10], "seeds": [0]}}})
    resolved = plan.resolve(config)
    assert config["suites"]["e"]["figures"] is None
    assert resolved["suites"]["e"]["figures"] == list(KINDS["expressivity"].default_figures)


def test_keys_of_another_kind_are_rejected_and_named():
    import pytest

    with pytest.raises(plan.ConfigError, match="suites.e: Unevaluated properties are not allowed .'models'"):
        plan.prepare({"suites": {"e": {"kind": "expressivity", "datasets": ["mnist"], "n": [10], "seeds": [0],
                                       "models": ["mlp_1x512"]}}})


def test_theory_suites_carry_no_training_keys():
    config = plan.prepare({"suites": {"k": {"kind": "kernel", "datasets": ["mnist"], "n": [10], "seeds": [0]}}})
    assert "draws" not in config["suites"]["k"] and config["suites"]["k"]["sgd_check"]["d"] == 1000


def test_readme_what_to_expect_is_the_published_quick_overview():
    from helpers import REPO

    readme = (REPO / "README.md").read_text()
    block = readme.split("<!-- overview: docs/results/quick/overview.md -->\n", 1)[1].split("<!-- /overview -->", 1)[0]
    assert block == (REPO / "docs/results/quick/overview.md").read_text()


def test_overview_states_the_numbers_of_the_summaries():
    import pandas as pd

    from gengap.report.overview import overview

    expr = pd.DataFrame({"n": [10, 10, 20], "depth": [1, 4, 1], "params": [30, 99, 50],
                         "params_2n_plus_d": [30, 30, 50], "residual_float64": [1e-9, 3e-9, 2e-7],
                         "residual_float32": [0.5, 2.0, 7.0]})
    text = overview({"e": expr}, {"e": "expressivity"})
    assert "params = 2n + d in 2 of 2 depth-1 cells" in text
    assert "3e-09 (n = 10), 2e-07 (n = 20)" in text and "float32 up to 7" in text


def test_log_axes_are_ticked_at_the_grid_without_minor_labels():
    import matplotlib.pyplot as plt

    from gengap.report.figures import tidy_log_axes

    fig, ax = plt.subplots()
    ax.plot([300, 400, 600], [0.3, 0.2, 0.1])
    ax.set(xscale="log", yscale="log")
    tidy_log_axes(fig)
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["300", "400", "600"]
    assert all(t.get_text() == "" for t in ax.xaxis.get_minorticklabels() + ax.yaxis.get_minorticklabels())
    plt.close(fig)


@pytest.mark.parametrize("low", [1.1, 2.1, 3.1, 4.1, 5.1, 7.1, 9.5])
@pytest.mark.parametrize("ratio", [1.5, 3.0, 4.5, 9.0, 30.0, 900.0, 1e5])
def test_log_axes_get_two_to_nine_labels_on_any_range(low, ratio):
    import matplotlib.pyplot as plt

    from gengap.report.figures import tidy_log_axes

    fig, ax = plt.subplots(figsize=(3, 1.6))  # a short panel: the kernel figure's SGD check
    ax.plot(range(9), np.geomspace(low * 1e-15, low * ratio * 1e-15, 9))
    ax.set(yscale="log", ylim=(low * 1e-15, low * ratio * 1e-15))
    tidy_log_axes(fig)
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    shown = [t.get_text() for t, v in zip(ax.get_yticklabels(), ax.get_yticks()) if lo <= v <= hi and t.get_text()]
    assert 2 <= len(shown) <= 9, shown
    plt.close(fig)


def test_training_settings_are_defined_once():
    """The schema's training keys are the settings type's fields; no default sits anywhere else."""
    import re

    from gengap import settings

    defs = SCHEMA["$defs"]["training"]["properties"]
    assert set(defs) == set(settings.NAMES)
    assert all("default" not in spec for spec in SCHEMA["properties"]["training"].get("properties", {}).values())
    config = plan.load(REPO / "config.yaml")
    assert plan.training_settings(config, "randomization", "mlp_1x512") == settings.TrainingSettings(**{
        k: v for k, v in config["training"].items()})
    # no `.get("<setting>", default)` or `["<setting>"]` lookups on settings outside gengap.settings
    pattern = re.compile(r"settings(?:\.get\(|\[)\"(" + "|".join(settings.NAMES) + r")\"")
    offenders = [f"{p.relative_to(REPO)}:{m.group(0)}" for p in (REPO / "src" / "gengap").rglob("*.py")
                 for m in pattern.finditer(p.read_text()) if p.name != "settings.py"]
    offenders += [f"{p.relative_to(REPO)}:{m.group(0)}" for p in (REPO / "benchmarks").glob("*.py")
                  for m in pattern.finditer(p.read_text())]
    assert offenders == []


def test_report_jobs_import_no_torch():
    """Summaries, histories, slopes, tables, figures, the overview and the paper table need no torch:
    each workflow script's gengap imports, in a fresh interpreter, must not bring it along."""
    import ast
    import subprocess
    import sys

    for script in ("summarize", "history", "slopes", "table", "figure", "overview", "paper_vs_gengap",
                   "dataset_source"):
        tree = ast.parse((REPO / "workflow" / "scripts" / f"{script}.py").read_text())
        modules = sorted({n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                          and n.module.startswith("gengap")})
        code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('torch' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={"PYTHONPATH": str(REPO / "src")}).stdout.strip()
        assert out == "False", f"workflow/scripts/{script}.py imports torch through {modules}"


def test_the_configuration_page_is_written_from_the_schema():
    from gengap.config_doc import render

    assert (REPO / "docs/configuration.md").read_text() == render(), \
        "docs/configuration.md is stale: python -m gengap.config_doc > docs/configuration.md"


def test_the_readme_is_a_landing_page_whose_links_resolve():
    import re

    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 160
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (REPO / target).exists(), f"README links to {target}, which does not exist"
    for page in (REPO / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if not target.startswith("http"):
                assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_ci_runs_the_readmes_test_command_as_written():
    """.ci/run takes the command from the README (the line after "# 2. run the tests"), so the
    two cannot drift, and runs it without a data root of its own (the tests find the data as a
    user's run would)."""
    readme = (REPO / "README.md").read_text().splitlines()
    command = readme[readme.index(next(l for l in readme if l.startswith("# 2. run the tests"))) + 1]
    assert "pytest" in command and "GENGAP_DATA_ROOT" not in command
    ci = (REPO / ".ci/run").read_text()
    assert "/^# 2\\. run the tests/" in ci and 'env -u GENGAP_DATA_ROOT bash -c "$test_command"' in ci


def test_every_registered_figure_is_drawn_and_checked():
    """The contract of a figure (gengap.report.figures): drawn from a suite's summary, a title, axis
    labels that are words, a legend inside, at most 1,000 px tall. Every registered figure, on the
    published quick run's summaries (loss curves on a history, batch_map on a batch grid)."""
    import sys

    import pandas as pd

    from figure_checks import check_figure
    from gengap.report.figures import FIGURES

    sys.path.insert(0, str(REPO / "tests"))
    from test_slopes import _batch_summary

    quick = REPO / "docs/results/quick/summary"
    where = {"label_noise": "randomization", "time_to_fit": "randomization", "bounds_vs_n": "bounds_vs_n",
             "distances_vs_n": "bounds_vs_n", "hypersphere": "hypersphere", "expressivity": "expressivity",
             "kernel": "kernel", "rademacher": "rademacher", "measure_ranking": "measure_ranking"}
    drawn = set()
    for name, suite in where.items():
        check_figure(name, pd.read_parquet(quick / f"{suite}.parquet"), None)
        drawn.add(name)
    history = pd.DataFrame([dict(suite="s", dataset="mnist", corruption=c, n=128, sampling="distinct", seed=0, draw=1,
                                 model="mlp_1x512", reg="none", epoch=e, step=10 * e, train_loss=1.0 / e)
                            for c in ("true", "random_labels") for e in (1, 2, 3)])
    check_figure("loss_curves", pd.read_parquet(quick / "randomization.parquet"), history)
    check_figure("batch_map", _batch_summary(), None)
    drawn |= {"loss_curves", "batch_map"}
    assert drawn == set(FIGURES), f"registered but never drawn here: {set(FIGURES) - drawn}"


def test_a_jobs_execution_defaults_are_the_configs():
    """Outside a run (tests, benchmarks) a job checkpoints, logs and picks its device as a run with
    the schema's defaults would; the training loop takes the job's."""
    import inspect

    from gengap.job import Job, resolve_device
    from gengap.train.loop import fit

    top = SCHEMA["properties"]
    assert (Job.checkpoint_seconds, Job.progress_seconds) == (top["checkpoint_seconds"]["default"],
                                                             top["progress_seconds"]["default"])
    assert inspect.signature(resolve_device).parameters["requested"].default == top["device"]["default"]
    params = inspect.signature(fit).parameters
    assert (params["checkpoint_seconds"].default, params["progress_seconds"].default) == (
        Job.checkpoint_seconds, Job.progress_seconds)
