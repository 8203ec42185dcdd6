"""Several training jobs per GPU, each pinned to one GPU, without a cluster scheduler.

Snakemake caps how many GPU jobs run at once (``resources: gpu=<GPUs x jobs per GPU>`` in the
profile); each job then takes a free *slot* (GPU i, slot j) by locking the file
``<lock_dir>/gpu<i>.slot<j>.lock`` and sets ``CUDA_VISIBLE_DEVICES`` to GPU i before CUDA starts.
A job that needs a whole card (``whole_gpu``) locks every slot of one GPU. A job that finds no
free slot waits for one. The lock is an ``flock`` held for the life of the process, so the kernel frees it when the job
ends, however it ends (a killed job never leaves a slot taken). Slots fill GPU by GPU in turn
(slot 0 of every GPU first), so k GPUs share the jobs evenly.

Under SLURM the scheduler already gives each job its own GPU(s): nothing is pinned there.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

_held: list = []  # open lock files: a slot stays taken while this process lives


GPU_CHOICES = ("auto", True, False)  # the config's `gpu`


class GPURequestError(RuntimeError):
    """A device that cannot be had where the jobs run."""


def gpu_request(gpu: bool | str, device: str, local: bool, cuda: bool) -> tuple[int, str]:
    """GPUs each training, measure and theory job asks for (the ``gpu`` resource), and why.

    ``gpu`` (config): ``true`` / ``false`` decide; ``auto`` asks this host's torch only when the
    jobs run here (``local``): on a cluster the submitting host is not where jobs run (a login node
    without GPUs would send every job to train on CPUs), so there ``auto`` asks for none and says
    so; set ``gpu: true`` in your cluster profile's ``config``. ``device: cpu`` asks for none;
    ``device: cuda`` on a local run without CUDA is an error before any job runs."""
    if device == "cuda" and local and not cuda:
        raise GPURequestError("device: cuda, but torch sees no CUDA device on this host, where the jobs would run; "
                              "use device: auto or cpu, or run where a GPU is")
    if device == "cpu":
        return 0, "device: cpu"
    if device == "cuda" and gpu is not False:
        return 1, "device: cuda"
    if gpu is True or gpu is False:
        return int(gpu), f"gpu: {str(gpu).lower()} in the config"
    if local:
        return int(cuda), f"gpu: auto, {'CUDA' if cuda else 'no CUDA'} on this host, where the jobs run"
    return 0, ("gpu: auto on a cluster asks for no GPU: the submitting host cannot tell; "
               "set gpu: true (your profile's config) to train on GPUs")


def visible_gpus(env: dict | None = None) -> list[str]:
    """The GPUs this job may use: ``CUDA_VISIBLE_DEVICES`` when set, else what ``nvidia-smi``
    lists (without starting CUDA, which would freeze the device list); [] without GPUs."""
    env = os.environ if env is None else env
    if "CUDA_VISIBLE_DEVICES" in env:
        return [g for g in env["CUDA_VISIBLE_DEVICES"].split(",") if g.strip() not in ("", "-1")]
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def _try_lock(path: Path):
    handle = open(path, "a")  # not "w": a held slot's file keeps its holder's pid
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _try_gpu(gpu: str, slots: range, lock_dir: Path) -> list | None:
    """Lock every slot in ``slots`` of one GPU, or none of them."""
    taken = []
    for slot in slots:
        handle = _try_lock(lock_dir / f"gpu{gpu}.slot{slot}.lock")
        if handle is None:
            for h in taken:
                h.close()
            return None
        taken.append(handle)
    return taken


def acquire_slot(gpus: list[str], jobs_per_gpu: int, lock_dir: str | os.PathLike, *, whole_gpu: bool = False,
                 wait_seconds: float = 0.0, poll_seconds: float = 1.0) -> tuple[str, int]:
    """Lock a free (GPU, slot) and return it; ``whole_gpu`` locks every slot of one GPU (a job
    that needs the whole card, like the kernel solve at n = 60,000). Waits up to
    ``wait_seconds`` for one to free, then raises."""
    if not gpus:
        raise ValueError("no GPUs to pin a job to")
    if jobs_per_gpu < 1:
        raise ValueError(f"jobs_per_gpu = {jobs_per_gpu}; allowed: 1 or more")
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        wanted = [(g, range(jobs_per_gpu)) for g in gpus] if whole_gpu else \
            [(g, range(s, s + 1)) for s in range(jobs_per_gpu) for g in gpus]  # slot 0 of every GPU first
        for gpu, slots in wanted:
            taken = _try_gpu(gpu, slots, lock_dir)
            if taken is not None:
                _held.extend(taken)
                return gpu, slots[0]
        if time.monotonic() >= deadline:
            raise RuntimeError(f"no free {'GPU' if whole_gpu else 'GPU slot'} in {lock_dir} ({len(gpus)} GPUs x "
                               f"{jobs_per_gpu} jobs per GPU) after {wait_seconds:.0f} s: the profile's `gpu` "
                               "resource must not exceed GPUs x jobs_per_gpu")
        time.sleep(poll_seconds)


def pin_job(jobs_per_gpu: int, lock_dir: str | os.PathLike, env: dict | None = None, *,
            whole_gpu: bool = False, wait_seconds: float = 3600) -> str | None:
    """Pin this process to one GPU (sets ``CUDA_VISIBLE_DEVICES``) unless SLURM already did, or
    there is no GPU; returns a line for the job's log, or None when nothing was done."""
    env = os.environ if env is None else env
    if env.get("SLURM_JOB_ID"):
        return None
    gpus = visible_gpus(env)
    if not gpus:
        return None
    gpu, slot = acquire_slot(gpus, jobs_per_gpu, lock_dir, whole_gpu=whole_gpu, wait_seconds=wait_seconds)
    env["CUDA_VISIBLE_DEVICES"] = gpu
    what = f"all {jobs_per_gpu} slots" if whole_gpu else f"slot {slot} of {jobs_per_gpu}"
    return f"pinned to GPU {gpu} ({what}; {len(gpus)} GPUs visible)"


def pin_snakemake_job(smk, log, whole_gpu: bool = False) -> None:
    """Pin a Snakemake job that declared ``gpu`` to one GPU slot (``jobs_per_gpu``: a resource
    of the profile, default 1), or to a whole GPU; logs where it went. Call before anything
    starts CUDA."""
    if not int(smk.resources.get("gpu", 0)):
        return
    line = pin_job(int(smk.resources.get("jobs_per_gpu", 1)), Path(smk.config["results_dir"]) / ".gpu_slots",
                   whole_gpu=whole_gpu)
    if line:
        log(line)
