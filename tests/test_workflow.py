"""The workflow end to end on a tiny config: outputs, and which jobs each kind of edit reruns."""

import copy
import json
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from figure_checks import check_run_figures, report_layout
from gengap.publish import publish
from workflow_helpers import TINY_CONFIG, make_workdir, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.workflow
CELLS = 4  # 2 models x 2 corruptions x 1 n x 1 seed


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A workdir in which the tiny grid has run to completion."""
    workdir = make_workdir(tmp_path_factory.mktemp("finished"))
    snakemake(workdir, "--cores", "2")
    return workdir


@pytest.fixture
def workdir(finished, tmp_path):
    """A private copy of the finished run (results and Snakemake's metadata included)."""
    dest = tmp_path / "w"
    shutil.copytree(finished, dest, symlinks=True)
    return dest


def test_complete_run_produces_summaries_and_figures(finished):
    summary = pd.read_parquet(finished / "results/summary/randomization.parquet")
    assert len(summary) == CELLS * 7  # one row per cell and measure
    assert set(summary["measure"]) == {"train_error", "test_error", "gap", "params",
                                       "spectral_product", "frobenius_product", "dist_init"}
    assert summary["error"].isna().all()
    assert set(summary["status"]) <= {"fitted", "max_epochs"}
    assert summary.groupby("corruption")["label_noise"].first().to_dict() == {"true": 0.0, "labels@0.5": 0.5}
    history = pd.read_parquet(finished / "results/summary/history/randomization.parquet")
    assert len(history) == CELLS * 2  # two epochs each
    for name in ("label_noise", "loss_curves"):
        for ext in ("png", "pdf"):
            assert (finished / f"results/figures/randomization/{name}.{ext}").stat().st_size > 1000
    check_run_figures(finished / "results", "randomization", ["label_noise", "loss_curves"])
    cell = finished / "results/cells/randomization/mnist/labels@0.5/n128/distinct/seed0/draw1/mlp_1x512/none"
    files = {"init.pt", "final.pt", "history.parquet", "record.json", "measures.parquet"}
    assert {p.name for p in cell.iterdir()} == files | {f + ".sha256" for f in files}  # each with its digest
    assert (finished / "results/logs/train/randomization/mnist/labels@0.5/n128/distinct/seed0/draw1/mlp_1x512/none.log").read_text().count("epoch") >= 2
    assert (finished / "results/benchmarks/train/randomization/mnist/labels@0.5/n128/distinct/seed0/draw1/mlp_1x512/none.tsv").exists()
    # measures ran in warm forks (gengap.warm: the server starts with the first job); training never
    logs = finished / "results/logs"
    assert any("in a warm fork" in p.read_text() for p in (logs / "measure").rglob("*.log"))
    assert not any("in a warm fork" in p.read_text() for p in (logs / "train").rglob("*.log"))


def assert_report_holds(workdir, figures: dict[str, list[str]]) -> Path:
    """`snakemake --report` writes one self-contained HTML file holding every figure and table."""
    snakemake(workdir, "--report", "report.html")
    html = (workdir / "report.html").read_text()
    for suite, names in figures.items():
        for name in names:
            assert f"{name}.png" in html, f"{suite}/{name} missing from the report"
    assert "paper_vs_gengap.html" in html and "paper_values.csv" in html  # the comparison and its caption
    return workdir / "report.html"


def test_report_and_published_run_hold_every_figure_and_no_weights(finished, tmp_path):
    report = assert_report_holds(finished, {"randomization": ["label_noise", "loss_curves"]})
    dest = tmp_path / "docs/results/tiny"
    publish(finished / "results", dest, command="snakemake --cores 2", wall_time="1 min",
            config=finished / "config.yaml", report=report)
    published = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}
    assert {"RUN.md", "config.yaml", "report.html", "overview.md", "paper_vs_gengap.md",
            "summary/randomization.parquet", "figures/randomization/label_noise.png"} <= published
    assert not any(p.endswith((".pt", ".sha256", ".jsonl", "record.json")) or p.startswith("cells/") for p in published)
    run = (dest / "RUN.md").read_text()
    assert "snakemake --cores 2" in run and "wall time: 1 min" in run and "cpu (4)" in run
    assert f"cells: {CELLS}; status: " in run and "torch 2." in run  # read from the cells' records
    assert re.search(rf"^\| randomization \| {CELLS} \| \d+\.\d\d h \| \d+\.\d\d h \|$", run, re.M), run
    # it opens on the verdicts, one line per decided claim, its first line in the window at
    # 1,400 x 900 (the report centres its pane: a long landing would lose its top), no sideways scrolling
    layout = report_layout(report, width=1400)
    if layout is None:
        pytest.skip("no Chromium here to open the report in (.ci/run installs it)")
    from gengap.report.verdicts import claims

    decided = claims(pd.read_parquet(finished / "results" / "paper_vs_gengap.parquet")).query("verdict != 'not run'")
    assert layout["rows"] == len(decided) and layout["scroll"] <= layout["view"], layout
    assert 0 <= layout["top"] and layout["bottom"] <= layout["height"], layout


def test_publishing_redraws_figures_with_the_current_code(finished, tmp_path):
    """--redraw draws a figure from the run's summaries even where the run drew none of that name;
    RUN.md names it; a figure of a suite the run has not summarized is refused by its path."""
    assert not (finished / "results/figures/randomization/time_to_fit.png").exists()  # the run drew none
    dest = tmp_path / "docs/results/tiny"
    publish(finished / "results", dest, command="snakemake --cores 2", wall_time="1 min",
            config=finished / "config.yaml", redrawn=["randomization/time_to_fit"])
    assert (dest / "figures/randomization/time_to_fit.png").stat().st_size > 10_000
    assert not list(dest.rglob("*.sha256")) and not list(dest.rglob("*.pdf"))  # small files a reader needs
    run = (dest / "RUN.md").read_text()
    assert re.search(r"^- figures redrawn at \S+ .*`figures/randomization/time_to_fit.png`$", run, re.M), run
    with pytest.raises(FileNotFoundError, match="summary/bounds_vs_n.parquet"):
        publish(finished / "results", tmp_path / "other", command="c", wall_time="1 min",
                config=finished / "config.yaml", redrawn=["bounds_vs_n/bounds_vs_n"])


def test_after_a_complete_run_a_dry_run_schedules_nothing(workdir):
    assert planned_jobs(workdir) == {}


def test_adding_a_seed_schedules_only_the_new_cells(workdir):
    config = copy.deepcopy(TINY_CONFIG)
    config["suites"]["randomization"]["seeds"] = [0, 1]
    write_config(workdir, config)
    assert planned_jobs(workdir) == {"training_set": 2, "train": CELLS, "measure": CELLS,
                                     "summarize": 1, "verdicts": 1, "history": 1, "figure": 2, "overview": 1, "paper_vs_gengap": 1}


def test_a_missing_data_root_reruns_nothing_and_changes_nothing(workdir, tmp_path):
    """A new shell without GENGAP_DATA_ROOT, or one pointing nowhere, on a finished run: the decoded
    dataset stands (a warning names the root); with the root restored, a new seed plans only its
    cells, however the mistaken runs went."""
    before = {p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file()}
    for root in (None, str(tmp_path / "nowhere")):
        assert planned_jobs(workdir, data_root=root) == {}
        run = snakemake(workdir, "--cores", "1", data_root=root)
        assert "keeping the decoded" in run.stderr and "Nothing to be done" in run.stdout + run.stderr
    after = {p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file()}
    assert {p for p in after if after[p] != before.get(p)} <= {p for p in after if "/logs/" in str(p)}
    test_adding_a_seed_schedules_only_the_new_cells(workdir)


def test_a_rebuilt_file_with_the_same_content_makes_nothing_stale(workdir):
    """Rebuilding the decoded dataset and a training set (forced, identical bytes) leaves every
    training cell fresh: Snakemake compares the content of inputs newer than their outputs
    (profiles: max-checksum-file-size), not only their modification times."""
    dataset = workdir / "results/datasets/mnist.pt"
    before = dataset.stat().st_mtime_ns, dataset.read_bytes()
    for rule in ("prepare_dataset", "training_set"):
        snakemake(workdir, "--cores", "1", "--forcerun", rule, "--until", rule)
    assert dataset.stat().st_mtime_ns != before[0] and dataset.read_bytes() == before[1]  # rebuilt, same bytes
    assert planned_jobs(workdir) == {}


def test_a_fresh_checkout_of_the_same_code_reruns_nothing(workdir):
    """A clone, a `git checkout` or a new worktree writes every file anew: newer than every result.
    Staleness comes from content digests, so a long run's results stay current under it."""
    later = time.time() + 60
    for path in [workdir / "Snakefile", *(workdir / "workflow").rglob("*"), *(workdir / "src").rglob("*")]:
        os.utime(path, (later, later))
    assert planned_jobs(workdir) == {}
    # Snakemake's own `code` trigger (a run without the workflow's profiles) reruns it all, and says why
    plain = snakemake(workdir, "-n", "--workflow-profile", "none", "--cores", "1")
    assert "Snakemake's `code` rerun trigger is on" in plain.stderr + plain.stdout
    assert "Nothing to be done" not in plain.stderr + plain.stdout
    # the script's content still counts: an edited script reruns its jobs, and they run the edit
    script = workdir / "workflow/scripts/dataset_source.py"
    script.write_text(script.read_text() + "\nopen('edited_script_ran', 'w').close()\n")
    assert planned_jobs(workdir)["dataset_source"] == 1
    source = next((workdir / "results/datasets").glob("*.source.json"))
    snakemake(workdir, "--cores", "1", str(source.relative_to(workdir)))
    assert (workdir / "edited_script_ran").exists()


def test_editing_measure_code_reruns_measures_not_training(workdir):
    norms = workdir / "src/gengap/measures/norms.py"
    norms.write_text(norms.read_text() + "\n_EDIT_MARK = 1  # an edit of code (a comment alone is not one)\n")
    assert planned_jobs(workdir) == {"measure": CELLS, "summarize": 1, "verdicts": 1, "figure": 2, "overview": 1,
                                     "paper_vs_gengap": 1}


def test_adding_a_measure_and_its_ranking_reruns_measures_and_scores_not_training(workdir):
    """README "Add your measure and see where it ranks": one line in the suite's measures (and the
    ranking table) reruns each cell's measure job from its saved weights, the summary and the
    scores; nothing is trained or drawn again."""
    config = copy.deepcopy(TINY_CONFIG)
    suite = config["suites"]["randomization"]
    suite["measures"] = ["train_error", "test_error", "gap", "params", "spectral_product", "frobenius_product",
                         "dist_init", "path_norm"]
    suite["tables"] = ["measure_ranking"]
    write_config(workdir, config)
    assert planned_jobs(workdir) == {"measure": CELLS, "summarize": 1, "verdicts": 1, "table": 1, "figure": 2, "overview": 1,
                                     "paper_vs_gengap": 1}
    snakemake(workdir, "--cores", "2")
    ranking = pd.read_parquet(workdir / "results/tables/randomization/measure_ranking.parquet")
    assert "path_norm" in set(ranking["measure"])
    assert planned_jobs(workdir) == {}


def test_editing_one_models_settings_reruns_only_that_model(workdir):
    config = copy.deepcopy(TINY_CONFIG)
    config["models"]["mlp_3x512"] = {"lr": 0.02}
    write_config(workdir, config)
    assert planned_jobs(workdir) == {"train": 2, "measure": 2, "summarize": 1, "verdicts": 1, "history": 1, "figure": 2,
                                     "overview": 1, "paper_vs_gengap": 1}


def test_editing_figure_code_redraws_figures_only(workdir):
    figures = workdir / "src/gengap/report/figures/layout.py"
    figures.write_text(figures.read_text() + "\n_EDIT_MARK = 1  # an edit of code (a comment alone is not one)\n")
    assert planned_jobs(workdir) == {"figure": 2}


THEORY_AND_BOUNDS = {
    "results_dir": "results",
    "suites": {
        "bounds": {
            "datasets": ["mnist"], "models": ["mlp_1x32_nobias"], "corruptions": ["true"],
            "n": [64, 128, 256], "seeds": [0], "draws": 2, "slopes": True, "sampling": "replacement",
            "measures": ["test_error", "margins", "dist_init", "dist_s2", "bartlett17", "neyshabur19",
                         "pacbayes_mag_flatness"],
            "figures": ["bounds_vs_n", "distances_vs_n"],
            "training": {"lr": 0.1, "momentum": 0.0, "batch_size": 64, "lr_decay": 1.0, "preprocess": "scale01",
                         "loss": "sigmoid_cross_entropy", "max_epochs": 3,
                         "stop": {"criterion": "margin", "gamma": 10.0, "fraction": 0.99}},
            "measure_options": {"flatness_points": 64},
        },
        "sphere": {
            "datasets": ["hypersphere_d20"], "models": ["mlp_1x16"], "corruptions": ["true"], "n": [64],
            "seeds": [0], "measures": ["test_error", "sprime_error", "uc_lower_bound"], "figures": ["hypersphere"],
            "training": {"lr": 0.5, "momentum": 0.0, "preprocess": "none", "max_epochs": 2},
        },
        "expr": {"kind": "expressivity", "datasets": ["mnist", "gaussian_d30"], "n": [50, 100], "seeds": [0],
                 "depths": [1, 3]},
        "kern": {"kind": "kernel", "datasets": ["mnist"], "n": [100], "seeds": [0], "features": 256,
                 "sgd_check": {"n": [20], "d": 100, "epochs": 200}},
    },
}


def test_bounds_hypersphere_and_theory_suites_run_end_to_end(tmp_path):
    workdir = make_workdir(tmp_path, THEORY_AND_BOUNDS)
    snakemake(workdir, "--cores", "2")
    res = workdir / "results"
    bounds = pd.read_parquet(res / "summary/bounds.parquet")
    assert set(bounds["draw"]) == {1, 2} and bounds["error"].isna().all()
    assert set(bounds["sampling"]) == {"replacement"}  # part of every cell's key and record
    record = json.loads(next((res / "cells/bounds").glob("**/record.json")).read_text())
    assert record["cell"]["sampling"] == "replacement" and "/replacement/" in str(next((res / "training_sets/mnist").glob("**/*.pt")))
    assert (bounds.loc[bounds["measure"] == "dist_s2", "value"] > 0).all()
    assert {"bartlett17", "bartlett17_numerator", "margins_gamma", "pacbayes_mag_flatness_sigma"} <= set(bounds["measure"])
    slopes = pd.read_parquet(res / "summary/bounds_slopes.parquet")
    assert set(slopes["measure"]) >= {"test_error", "dist_init", "bartlett17"} and slopes["pooled"].any()
    sphere = pd.read_parquet(res / "summary/sphere.parquet")
    assert set(sphere["measure"]) == {"test_error", "sprime_error", "uc_lower_bound"}
    expr = pd.read_parquet(res / "summary/expr.parquet")
    assert len(expr) == 2 * 2 * 2 * 2  # datasets x labels x n x depths
    assert (expr["residual_float64"] < 1e-6).all()
    assert (expr.loc[expr["depth"] == 1, "params"] == expr.loc[expr["depth"] == 1, "params_2n_plus_d"]).all()
    kern = pd.read_parquet(res / "summary/kern.parquet")
    assert set(kern["kind"]) == {"kernel", "min_norm_sgd"}
    assert (kern.loc[kern["kind"] == "kernel", "train_error"] == 0).all()
    for suite, figs in (("bounds", ["bounds_vs_n", "distances_vs_n"]), ("sphere", ["hypersphere"]),
                        ("expr", ["expressivity"]), ("kern", ["kernel"])):
        check_run_figures(res, suite, figs)
    assert planned_jobs(workdir) == {}
    assert_report_holds(workdir, {"bounds": ["bounds_vs_n", "distances_vs_n"], "sphere": ["hypersphere"],
                                  "expr": ["expressivity"], "kern": ["kernel"]})
    paper = pd.read_parquet(res / "paper_vs_gengap.parquet")
    # suites of this config named as in the paper values file are measured, the rest "not run"
    assert (paper["gengap_scale"] == "not in this run").all() and (paper["verdict"] == "not run").all()
    # an edit of a paper value about a suite not in this run reruns the comparison only; one about
    # a suite of the run reruns that suite's verdicts and the figures that state them, no others
    values = workdir / "workflow/report/paper_values.csv"
    values.write_text(values.read_text().replace("0.8905", "0.8906"))
    assert planned_jobs(workdir) == {"paper_vs_gengap": 1, "overview": 1}
    values.write_text(values.read_text().replace(",hypersphere,sprime_error,", ",sphere,sprime_error,"))
    assert planned_jobs(workdir) == {"verdicts": 1, "figure": 1, "paper_vs_gengap": 1, "overview": 1}


def test_job_overhead_benchmark_reads_a_run(finished):
    """benchmarks/job_overhead.py on the tiny run: one row per rule, start-up stated by the job logs."""
    import subprocess
    import sys

    log = min((finished / ".snakemake" / "log").glob("*.snakemake.log"))  # the run itself, not a later check
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "job_overhead.py"
    out = subprocess.run([sys.executable, str(script), str(log), "--workdir", str(finished), "--no-rate"],
                         capture_output=True, text=True, check=True).stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line and not line.startswith("run ")}
    assert {"train", "measure", "summarize", "figure", "total"} <= set(rows)
    assert int(rows["train"][0]) == CELLS and float(rows["train"][2]) > 0  # jobs, summed start-up
    assert "start-up" in out.splitlines()[-1]


def test_plan_scaling_benchmark_plans_the_grid_it_states():
    """benchmarks/plan_scaling.py at one seed: the cells of the randomization grid, at least a train
    and a measure job for each, and the Snakemake version the time belongs to."""
    import re
    import subprocess
    import sys

    import snakemake
    import yaml

    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(repo / "benchmarks" / "plan_scaling.py"), "--seeds", "1"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"^(\d+) training cells, (\d+) jobs planned in [0-9.]+ s \([0-9.]+ ms per job\), peak memory "
                  r"[0-9.]+ GB, Snakemake (\S+)$", out, flags=re.M)
    assert m, out
    suite = yaml.safe_load((repo / "config.yaml").read_text())["suites"]["randomization"]
    cells = 2 * len(suite["models"]) * len(suite["corruptions"]) * len(suite["n"])
    assert int(m.group(1)) == cells
    assert int(m.group(2)) >= 2 * cells
    assert m.group(3) == snakemake.__version__
