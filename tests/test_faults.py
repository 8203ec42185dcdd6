"""Edits between runs: what becomes stale.

A tiny grid (a training suite with a table, and a computed kernel suite) runs once with an
import tracer; then each module of gengap is edited in turn and a dry run must schedule exactly
the jobs whose code imported it (and what depends on them). Adding a model, a corruption or a
measure the way the README says schedules nothing. (Kills and damaged files: test_damage.py.)
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, shared_data_root
from workflow_helpers import make_workdir, planned_jobs, snakemake

pytestmark = pytest.mark.workflow

GRID = {
    "results_dir": "results",
    "training": {"max_epochs": 3, "batch_size": 64},
    "suites": {
        "rand": {"datasets": ["mnist"], "models": ["mlp_1x16"], "corruptions": ["true", "random_labels"],
                 "n": [128], "seeds": [0], "measures": ["test_error", "train_error", "margins", "dist_init"],
                 "tables": ["table1"], "figures": ["label_noise"]},
        "kern": {"kind": "kernel", "datasets": ["mnist"], "kernels": ["rbf"], "n": [50], "seeds": [0],
                 "sgd_check": {"n": [10], "d": 30, "epochs": 5}},
    },
}
# Which rule runs which script (the rule graph itself is read from Snakemake: ``rule_graph``).
# every workflow script is run by the rule of its name
SCRIPT_RULES = {p.stem: p.stem for p in (REPO / "workflow" / "scripts").glob("*.py")}


def rule_graph(workdir: Path) -> dict[str, set[str]]:
    """{rule: the rules that consume its outputs} of the workflow in ``workdir``, as Snakemake's
    ``--rulegraph`` draws it (the target rule ``all`` left out)."""
    dot = snakemake(workdir, "--rulegraph", "--forceall", "--cores", "1").stdout
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, flags=re.M))
    graph = {name: set() for name in names.values() if name != "all"}
    for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot, flags=re.M):
        if names[b] != "all":
            graph[names[a]].add(names[b])
    return graph


TRACER = '''
import atexit, json, os, sys
def _dump():
    script = os.path.basename(sys.argv[0]) if sys.argv else ""
    if script.endswith(".py") and os.environ.get("GENGAP_IMPORT_LOG"):
        mods = sorted(m for m in sys.modules if m == "gengap" or m.startswith("gengap."))
        with open(os.path.join(os.environ["GENGAP_IMPORT_LOG"], f"{os.getpid()}.json"), "w") as f:
            json.dump({"script": script, "modules": mods}, f)
atexit.register(_dump)
'''


def run(workdir: Path, *args: str, env: dict | None = None, check=True) -> subprocess.CompletedProcess:
    return snakemake(workdir, *args, check=check) if env is None else subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """The grid run to completion, and {rule: gengap modules its jobs imported}."""
    workdir = make_workdir(tmp_path_factory.mktemp("traced"), GRID)
    tracer, log = workdir / "tracer", workdir / "imports"
    tracer.mkdir()
    log.mkdir()
    (tracer / "sitecustomize.py").write_text(TRACER)
    env = dict(os.environ, PYTHONPATH=f"{tracer}{os.pathsep}{workdir / 'src'}", GENGAP_DATA_ROOT=str(shared_data_root()),
               GENGAP_IMPORT_LOG=str(log))
    # cold jobs: the tracer starts with each interpreter (a warm fork runs the same script, but in
    # an interpreter that started before the tracer was asked for)
    proc = run(workdir, "--cores", "2", "--config", "warm_jobs=False", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    imports: dict[str, set[str]] = {}
    for f in log.glob("*.json"):
        entry = json.loads(f.read_text())
        script = entry["script"].rsplit(".", 2)[-2]  # .snakemake/scripts/tmpXXXX.<script>.py
        if script in SCRIPT_RULES:
            imports.setdefault(SCRIPT_RULES[script], set()).update(entry["modules"])
    graph = rule_graph(workdir)
    assert set(imports) == set(graph)
    return workdir, imports, graph


def downstream(rules: set[str], graph: dict[str, set[str]]) -> set[str]:
    """The rules that rerun after ``rules``. suite_cell feeds the kern suite's summary, which has no
    table: a summary rerun through it alone reruns no table."""
    if rules == {"suite_cell"}:
        return {"suite_cell", "summarize", "verdicts", "figure", "overview", "paper_vs_gengap"}
    out, todo = set(), list(rules)
    while todo:
        rule = todo.pop()
        if rule not in out:
            out.add(rule)
            todo += graph[rule]
    return out


MODULES = sorted(".".join(p.relative_to(REPO / "src").with_suffix("").parts).removesuffix(".__init__")
                 for p in (REPO / "src" / "gengap").rglob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_editing_a_module_makes_exactly_its_importers_stale(traced, module):
    workdir, imports, graph = traced
    path = workdir / "src" / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    original = path.read_text()
    path.write_text(original + "\n_EDIT_MARK = 1  # an edit that runs at import\n")
    try:
        stale = set(planned_jobs(workdir))
    finally:
        path.write_text(original)
    assert stale == downstream({rule for rule, mods in imports.items() if module in mods}, graph)


README_ADDITIONS = {
    "models/mlp.py": '''
@model("mlp_2x1024")
def mlp_2x1024(input_shape, num_classes, dropout=0.0):
    return relu_mlp(math.prod(input_shape), [1024, 1024], num_classes, dropout=dropout)
''',
    "data/corruptions.py": '''
@corruption("inverted_pixels")
def inverted_pixels(train_x, train_y, test_x, **_):
    """Every pixel inverted, train and test."""
    return Corrupted(255 - train_x, train_y, 255 - test_x)
''',
    "measures/norms.py": '''
@measure("weight_count_twice", label="twice the weight count", kind="complexity")
def weight_count_twice(ctx) -> float:
    return 2.0 * sum(p.numel() for p in ctx.net.parameters())
''',
    "measures/extra.py": '''"""A new file of measures."""

from gengap.measures.registry import measure


@measure("one", label="one", kind="complexity")
def one(ctx) -> float:
    return 1.0
''',
    "models/widenets.py": '''"""A new model family."""

from torch import nn

from gengap.models.registry import model


@model("linear_only")
def linear_only(input_shape, num_classes, dropout=0.0):
    return nn.Sequential(nn.Flatten(), nn.LazyLinear(num_classes))
''',
}


def test_adding_a_model_a_corruption_and_a_measure_reruns_nothing(traced):
    workdir, _, _ = traced
    originals = {}
    for rel, text in README_ADDITIONS.items():
        path = workdir / "src" / "gengap" / rel
        originals[path] = path.read_text() if path.exists() else None
        path.write_text((originals[path] or "") + text)
    try:
        assert planned_jobs(workdir) == {}
    finally:
        for path, text in originals.items():
            path.unlink() if text is None else path.write_text(text)
