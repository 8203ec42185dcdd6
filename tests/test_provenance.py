"""Editing one registered item makes exactly the jobs that use it stale, for every registry, and
whatever gengap module was imported before the first digest (``gengap.provenance``).

A copy of the source tree is edited item by item (a statement added on the line of its last
one, so no line moves and the loaded functions still point at their own lines) in one interpreter; after
each edit every job's code digest, as the rules compute it, is compared with the unedited one.
Run with nothing imported before the first digest, and with every edited module imported first
(what once froze the registries too early)."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from helpers import REPO

# (registry, name, module file, function or class): one item of every registry
EDITS = [
    ("models", "alexnet_small", "models/alexnet.py", "alexnet_small"),
    ("corruptions", "gaussian", "data/corruptions.py", "gaussian"),
    ("measures", "spectral_product", "measures/norms.py", "spectral_product"),
    ("losses", "sigmoid_cross_entropy", "train/losses.py", "sigmoid_cross_entropy"),
    ("stopping rules", "margin", "train/stopping.py", "margin_reached"),
    ("figures", "kernel", "report/figures/theory.py", "kernel"),
    ("tables", "table1", "report/tables.py", "table1"),
    ("paper quantities", "slope", "report/paper.py", "_slope"),
    ("suite kinds", "kernel", "suites/kernel.py", "KernelKind"),
    ("runners", "expressivity", "theory/expressivity.py", "run_expressivity_cell"),
]

# every kind of job, with the registered items its rule passes to code_digest
JOBS = """
from gengap.data.corruptions import CORRUPTIONS
from gengap.measures import MEASURES
from gengap.models import MODELS
from gengap.provenance import code_digest
from gengap.report.figures import FIGURES
from gengap.report.paper import QUANTITIES
from gengap.report.tables import TABLES
from gengap.suites import KINDS
from gengap.theory import RUNNERS
from gengap.train.losses import LOSSES
from gengap.train.stopping import STOP_RULES

def jobs():
    return {
        "train alexnet_small, sigmoid, margin": code_digest("train", MODELS.definition("alexnet_small"),
            LOSSES.definition("sigmoid_cross_entropy"), STOP_RULES.definition("margin")),
        "train mlp_1x512, cross_entropy, train_accuracy": code_digest("train", MODELS.definition("mlp_1x512"),
            LOSSES.definition("cross_entropy"), STOP_RULES.definition("train_accuracy")),
        "training_set gaussian": code_digest("training_set", CORRUPTIONS.definition("gaussian")),
        "training_set random_labels": code_digest("training_set", CORRUPTIONS.definition("random_labels")),
        "measure spectral_product": code_digest("measure", MEASURES.definition("spectral_product")),
        "measure dist_init": code_digest("measure", MEASURES.definition("dist_init")),
        "figure kernel": code_digest("figure", FIGURES.definition("kernel")),
        "figure label_noise": code_digest("figure", FIGURES.definition("label_noise")),
        "verdicts": code_digest("verdicts", *QUANTITIES.definitions()),
        "table table1": code_digest("table", TABLES.definition("table1")),
        "table rademacher": code_digest("table", TABLES.definition("rademacher")),
        "paper_vs_gengap": code_digest("paper_vs_gengap"),
        "summarize kernel": code_digest("summarize", KINDS.definition("kernel")),
        "summarize train": code_digest("summarize", KINDS.definition("train")),
        "overview kernel, train": code_digest("overview", KINDS.definition("kernel"), KINDS.definition("train")),
        "overview train": code_digest("overview", KINDS.definition("train")),
        "suite_cell expressivity": code_digest("suite_cell", RUNNERS.definition("expressivity")),
        "suite_cell kernel": code_digest("suite_cell", RUNNERS.definition("kernel")),
    }
"""

# which jobs use each edited item
DEPENDANTS = {
    "models": {"train alexnet_small, sigmoid, margin"},
    "corruptions": {"training_set gaussian"},
    "measures": {"measure spectral_product"},
    "losses": {"train alexnet_small, sigmoid, margin"},
    "stopping rules": {"train alexnet_small, sigmoid, margin"},
    "figures": {"figure kernel"},
    # the paper quantity "table1" reads this table (the verdicts job runs it; the table's module
    # imports it by name); the figures read the verdicts a job decided, not their code
    "tables": {"table table1", "verdicts", "paper_vs_gengap"},
    "paper quantities": {"verdicts"},
    "suite kinds": {"summarize kernel", "overview kernel, train"},
    "runners": {"suite_cell expressivity"},
}

DRIVER = """
import ast, importlib, json, linecache, sys
from pathlib import Path
src, first, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
for module in filter(None, first.split(",")):
    importlib.import_module(module)  # imported before any digest
import gengap.provenance as provenance
exec(open(sys.argv[4]).read())

def fresh():
    for value in vars(provenance).values():
        if hasattr(value, "cache_clear") and value is not provenance.registered:
            value.cache_clear()  # the source changed on disk; what is registered did not
    linecache.clearcache()
    return jobs()

results = {"before": fresh()}
for name, path, item in json.loads(sys.argv[5]):
    file = src / "gengap" / path
    text = file.read_text()
    tree = ast.parse(text)
    node = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == item)
    lines = text.splitlines(keepends=True)  # code added after its last statement: no line moves
    line = lines[node.end_lineno - 1].encode()  # ast's columns count UTF-8 bytes
    lines[node.end_lineno - 1] = (line[: node.end_col_offset] + b"; _edited = 1" + line[node.end_col_offset:]).decode()
    file.write_text("".join(lines))
    results[name] = fresh()
    file.write_text(text)
Path(out).write_text(json.dumps(results))
"""


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(REPO / "workflow" / "scripts", root / "workflow" / "scripts")
    (root / "jobs.py").write_text(JOBS)
    (root / "driver.py").write_text(textwrap.dedent(DRIVER))
    return root


def digests(tree, first_modules: str, edits: list, out) -> dict:
    """Run the driver: import ``first_modules`` (comma-separated, may be empty), then every job's
    digest before and after each edit."""
    subprocess.run([sys.executable, tree / "driver.py", tree / "src", first_modules, out, tree / "jobs.py",
                    json.dumps(edits)], env={"PYTHONPATH": str(tree / "src"), "PATH": ""}, check=True,
                   capture_output=True, text=True)
    return json.loads(out.read_text())


def stale(results: dict, registry: str) -> set[str]:
    return {job for job, digest in results[registry].items() if digest != results["before"][job]}


@pytest.mark.workflow  # plans every job kind's digest in fresh interpreters, twice (~20 s each)
@pytest.mark.parametrize("imported_first", ["nothing", "every edited module"])
def test_editing_a_registered_item_reruns_exactly_its_dependants(source_copy, tmp_path, imported_first):
    modules = ",".join("gengap." + p.removesuffix(".py").replace("/", ".") for _, _, p, _ in EDITS)
    results = digests(source_copy, modules if imported_first != "nothing" else "",
                      [[r, p, i] for r, _, p, i in EDITS], tmp_path / "digests.json")
    for registry, *_ in EDITS:
        assert stale(results, registry) == DEPENDANTS[registry], registry


def test_comments_and_line_wrapping_are_not_code():
    """A comment or a rewrapped call changes no digest (``code_only``); a changed token does."""
    from gengap.provenance import code_only

    code = "def f(x):\n    return g(x, 1)\n"
    same = ["# a comment\ndef f(x):  # and another\n\n    return g(x,\n             1)\n",
            "def f(x):\n    return g(\n        x, 1\n    )  # wrapped\n"]
    for text in same:
        assert code_only(text) == code_only(code), text
    for text in ("def f(x):\n    return g(x, 2)\n", "def f(x):\n    return g(x, 1); h()\n",
                 "def f(x):\n    return g(x, '# 1')\n"):  # a '#' inside a string is code
        assert code_only(text) != code_only(code), text


# --- params: what Snakemake compares between runs ------------------------------------------------

SETTINGS_SNAKEFILE = textwrap.dedent("""\
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Settings:
        lr: float

    rule a:
        output: "a.txt"
        params: settings=Settings(float(config.get("lr", 0.1)))
        run:
            open(output[0], "w").close()
    """)


@pytest.mark.workflow  # two Snakemake runs (seconds)
def test_snakemake_leaves_a_param_that_is_not_plain_values_out_of_a_jobs_identity(tmp_path):
    """Why check_plain_params exists: a dataclass param is recorded as nothing, so changing it
    reruns nothing. (If this starts failing, Snakemake began to compare such params.)"""
    (tmp_path / "Snakefile").write_text(SETTINGS_SNAKEFILE)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--workflow-profile", "none",
                               *args], cwd=tmp_path, capture_output=True, text=True, check=True).stdout

    run()
    [record] = [json.loads(p.read_text()) for p in (tmp_path / ".snakemake/metadata").iterdir()]
    assert record["params"] == []
    assert "Nothing to be done" in run("-n", "--config", "lr=0.5")


def test_a_job_given_a_param_that_is_not_plain_values_stops_naming_it():
    from types import SimpleNamespace

    from gengap.measure_options import MeasureOptions
    from gengap.joblog import check_plain_params

    def job(**params):
        return SimpleNamespace(rule="measure", params=SimpleNamespace(items=lambda: params.items()))

    check_plain_params(job(options={"delta": 0.05, "n": [1, 2]}, code="ab12", none=None))
    with pytest.raises(TypeError, match="rule measure: param 'options' is a MeasureOptions, not plain values"):
        check_plain_params(job(options=MeasureOptions(), code="ab12"))
    with pytest.raises(TypeError, match="param 'paths' is a list"):
        check_plain_params(job(paths=[REPO]))
