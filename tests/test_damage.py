"""Faults between runs: runs killed mid-training with a code edit between them, and each kind
of intermediate file truncated in turn, end with the summaries of a clean run, and every failure
on the way names the file it was about. (Edits that make jobs stale: test_faults.py.)"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gengap import atomic
from helpers import shared_data_root
from test_faults import GRID
from workflow_helpers import make_workdir, planned_jobs, snakemake

pytestmark = pytest.mark.workflow

# --- faults ----------------------------------------------------------------------------------------

# Long enough to be killed while training (a checkpoint after every epoch), short enough for CI.
SMALL = {**GRID, "checkpoint_seconds": 0.001, "progress_seconds": 0,
         "training": {"max_epochs": 25, "batch_size": 16, "stop": {"criterion": "epochs"}},
         "suites": {"rand": {**GRID["suites"]["rand"], "n": [256], "models": ["mlp_1x256"]}}}
TIMING = {"wall_time_s", "time_to_fit_s", "code_version"}


def summaries(workdir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for path in sorted((workdir / "results").glob("**/*.parquet")):
        rel = str(path.relative_to(workdir / "results"))
        if rel.startswith(("summary/", "tables/")):
            df = pd.read_parquet(path)
            out[rel] = df.drop(columns=[c for c in df.columns if c in TIMING]).reset_index(drop=True)
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The SMALL grid run once, cleanly: its folder and its summaries."""
    workdir = make_workdir(tmp_path_factory.mktemp("clean"), SMALL)
    snakemake(workdir, "--cores", "2")
    return workdir, summaries(workdir)


def kill_while_training(workdir: Path) -> None:
    """Start the run; the moment a training job has written a checkpoint in this run (a cell at
    its first epochs of 25, with more than 0.3 s of training left), kill the whole run (Snakemake
    and its jobs) at once: a checkpoint is always left behind, whatever the machine's speed."""
    env = dict(os.environ, PYTHONPATH=str(workdir / "src"), GENGAP_DATA_ROOT=str(shared_data_root()))
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = started + 120
    while time.time() < deadline and proc.poll() is None:
        if any(p.stat().st_mtime >= started for p in (workdir / "results" / "cells").glob("**/checkpoint.pt")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before any training job wrote a checkpoint"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    snakemake(workdir, "--unlock", "--cores", "1")  # what a user does after a hard kill (README)


def test_killed_runs_and_an_edit_between_them_end_with_the_clean_summaries(clean, tmp_path):
    workdir = make_workdir(tmp_path / "w", SMALL)
    for _ in range(2):
        kill_while_training(workdir)  # the second resumes the first's checkpoints
    leftover = list((workdir / "results" / "cells").glob("**/checkpoint.pt"))
    assert leftover, "a killed training job leaves its checkpoint"
    loop = workdir / "src/gengap/train/loop.py"  # an edit of the training code: no checkpoint may be resumed
    loop.write_text(loop.read_text() + "\n_EDIT_MARK = 1  # edited between runs\n")
    kill_while_training(workdir)
    snakemake(workdir, "--cores", "2")
    logs = "".join(p.read_text() for p in (workdir / "results/logs/train").glob("**/*.log"))
    assert "written by another run" in logs
    assert_same(summaries(workdir), clean[1])


# One of each kind of file a job writes and another job reads.
TRUNCATED = ["summary/rand.parquet", "summary/history/rand.parquet",
             "training_sets/mnist/n256/distinct/seed0/draw1/true.pt",
             "cells/rand/mnist/true/n256/distinct/seed0/draw1/mlp_1x256/none/init.pt",
             "cells/rand/mnist/true/n256/distinct/seed0/draw1/mlp_1x256/none/final.pt",
             "cells/rand/mnist/true/n256/distinct/seed0/draw1/mlp_1x256/none/history.parquet",
             "cells/rand/mnist/true/n256/distinct/seed0/draw1/mlp_1x256/none/record.json",
             "cells/rand/mnist/true/n256/distinct/seed0/draw1/mlp_1x256/none/measures.parquet",
             "datasets/mnist.pt"]


@pytest.mark.parametrize("rel", TRUNCATED)
def test_a_truncated_file_is_named_moved_aside_and_rebuilt(clean, tmp_path, rel):
    """The run that meets it fails and names it; the file is moved aside (no stand-in is left);
    the next run that needs it (here: asked for it, beside the default target) rebuilds it (a
    tensor file with the clean run's bytes), and ends with the clean summaries and nothing left to do. Outputs
    made from it before it was damaged stay: they were made from the verified file."""
    workdir = tmp_path / "w"
    shutil.copytree(clean[0], workdir, symlinks=True)  # the clean run, times and metadata kept
    path = workdir / "results" / rel
    good = path.read_bytes()
    path.write_bytes(good[: max(1, len(good) // 3)])
    first = snakemake(workdir, "--cores", "2", check=False)
    assert first.returncode != 0, f"a run after truncating {rel} reported success"
    assert f"results/{rel}" in first.stdout + first.stderr, f"the failure does not name {rel}"
    assert not path.exists() and path.with_name(path.name + ".corrupt").exists()
    second = snakemake(workdir, "--cores", "2", "all", f"results/{rel}")
    assert f"results/{rel}" in second.stderr.split("failed verification and were moved aside")[1]  # named
    atomic.verify(path)
    if path.suffix == ".pt":  # the same numbers (records and histories also hold times)
        assert path.read_bytes() == good
    assert planned_jobs(workdir) == {}
    assert_same(summaries(workdir), clean[1])
