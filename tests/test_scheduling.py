"""The installed Snakemake keeps a run within --cores.

Snakemake 9.10-9.16 started a lone ready job without taking its threads from the pool and gave
them back when it ended, so each such job raised the pool by its threads (snakemake issue 3913).
A gengap run has many lone jobs (each dataset, each training set as it becomes ready), so a long
run under ``--cores 2`` ran four one-thread training jobs at once, and ``--resources mem_mb``
(which keeps the 60,000-point kernel solves alone) crept the same way. pyproject.toml pins a
version without it; this test fails on one that has it.
"""

import shutil
import subprocess
import sys

import pytest

SNAKEFILE = """
rule all:
    input: expand("train/{i}.txt", i=range(3))

rule data:
    output: "data.txt"
    shell: "touch {output}"

rule train:
    input: "data.txt"
    output: "train/{i}.txt"
    resources: mem_mb=1000
    shell: "echo start {wildcards.i} $(date +%s.%N) >> spans.log; sleep 1.5; echo end {wildcards.i} $(date +%s.%N) >> spans.log; touch {output}"
"""


def most_at_once(spans_log: str) -> int:
    events = sorted((float(t), kind == "start") for kind, _, t in (line.split() for line in spans_log.splitlines()))
    running = peak = 0
    for _, is_start in events:  # at equal times an end sorts first
        running += 1 if is_start else -1
        peak = max(peak, running)
    return peak


@pytest.mark.workflow  # a Snakemake run
def test_a_lone_job_does_not_raise_the_pool_of_cores_or_resources(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    for limit in (["--cores", "2"], ["--cores", "3", "--resources", "mem_mb=2000"]):
        for name in ("data.txt", "train", "spans.log", ".snakemake"):  # a fresh start for each limit
            path = tmp_path / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        proc = subprocess.run([sys.executable, "-m", "snakemake", *limit, "--scheduler", "greedy", "--quiet", "all"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        # the lone data job ran first; three one-thread trains must still run two at a time
        assert most_at_once((tmp_path / "spans.log").read_text()) == 2, limit
