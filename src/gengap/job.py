"""Starting a pipeline job that computes (train, measure, suite_cell): one entry point.

``start(snakemake)`` opens the job's log (every attempt's lines, SIGTERM handled: ``gengap.joblog``),
pins the job to its GPU slot when it declared one (``gengap.gpus``), sets torch's threads to the
job's and resolves the device; what it returns is all a job's work needs besides its inputs.
Outside Snakemake (tests, benchmarks) ``Job()`` is a job on the CPU that prints its log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from gengap.gpus import pin_snakemake_job
from gengap.joblog import job_log

Log = Callable[[str], None]


DEVICES = ("auto", "cpu", "cuda")  # the config's `device`


def resolve_device(requested: str = "auto") -> torch.device:
    """``auto`` is CUDA when torch sees a GPU, else the CPU; ``cuda`` without one is an error."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but torch sees no CUDA device")
    return torch.device(requested)


@dataclass(frozen=True)
class Job:
    """Where and how a job runs: execution settings, never part of a result's identity."""

    log: Log = print
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    # the config's defaults (the schema's top-level keys; a test checks they agree)
    checkpoint_seconds: float = 600  # between resumable training checkpoints
    progress_seconds: float = 5  # between progress lines of a training log


def start(snakemake, whole_gpu: bool = False) -> Job:
    """The job of a workflow script (its ``snakemake`` object); ``whole_gpu`` for jobs that take
    a whole card (kernel solves)."""
    log = job_log(snakemake)
    pin_snakemake_job(snakemake, log, whole_gpu=whole_gpu)  # before anything starts CUDA
    if snakemake.threads:
        torch.set_num_threads(snakemake.threads)
    config = snakemake.config
    return Job(log=log, device=resolve_device(config["device"]), checkpoint_seconds=config["checkpoint_seconds"],
               progress_seconds=config["progress_seconds"])
