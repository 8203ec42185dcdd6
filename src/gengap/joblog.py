"""Logging for pipeline jobs: timestamped lines to the rule's ``log:`` file, flushed at once.

Every attempt of a job keeps its lines. Snakemake deletes a job's log before each attempt, so the
lines are mirrored, as they are written, into ``<log>.attempts`` (a file Snakemake does not
manage); a new attempt first copies that file back into its fresh log, and a job that ends well
removes it. A killed job (scancel, a time limit, preemption, a hard kill) leaves it behind, so
the retry's log starts with everything the failed attempts wrote, the kill reason included.

SIGTERM, which SLURM sends before it kills a job (scancel, time limit, preemption), is logged
with what SLURM says about the job. Inside ``deferred_termination()`` (the training loop) it
only sets a flag (``termination_requested``): the loop saves a checkpoint at the end of the
epoch and stops (``stop_after_sigterm``), so the next attempt resumes there. Elsewhere the job exits at once.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

Log = Callable[[str], None]

ATTEMPTS_SUFFIX = ".attempts"
TERMINATED_EXIT_CODE = 128 + signal.SIGTERM
WORKER_ENV = "GENGAP_WARM_WORKER"  # set in a warm fork (gengap.warm)
STARTED_ENV = "GENGAP_JOB_STARTED"  # a warm job's process start (epoch seconds), for its start-up


class _Termination:
    """Process-wide state of SIGTERM handling (there is one signal handler per process)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.deferred = 0
        self.log: Log = lambda msg: print(msg, file=sys.stderr, flush=True)


_TERMINATION = _Termination()


def slurm_job_state(job_id: str | None) -> str | None:
    """What ``scontrol`` says of a SLURM job (state and reason), None outside SLURM."""
    if not job_id:
        return None
    try:
        out = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, check=False,
                             timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fields = dict(item.split("=", 1) for item in out.split() if "=" in item)
    if "JobState" not in fields:
        return None
    return (f"JobState={fields['JobState']} Reason={fields.get('Reason', '?')} "
            f"TimeLimit={fields.get('TimeLimit', '?')} RunTime={fields.get('RunTime', '?')}")


def termination_reason() -> str:
    job = os.environ.get("SLURM_JOB_ID")
    if not job:
        return "SIGTERM received (not under SLURM: killed by a user or the system)"
    state = slurm_job_state(job)
    return (f"SIGTERM received from SLURM job {job} ({state or 'state unknown'}): "
            "scancel, the job's time limit or preemption")


def _on_sigterm(signum, frame) -> None:
    _TERMINATION.reason = termination_reason()
    _TERMINATION.log(_TERMINATION.reason)
    if not _TERMINATION.deferred:
        raise SystemExit(TERMINATED_EXIT_CODE)


@contextlib.contextmanager
def deferred_termination() -> Iterator[None]:
    """Within this block SIGTERM only sets the flag ``termination_requested`` reads."""
    _TERMINATION.deferred += 1
    try:
        yield
    finally:
        _TERMINATION.deferred -= 1


def termination_requested() -> bool:
    return _TERMINATION.reason is not None


def stop_after_sigterm(log: Log, what: str) -> None:
    """Log ``what`` was done about a deferred SIGTERM (e.g. a checkpoint saved), then exit."""
    log(f"stopping after SIGTERM: {what}")
    raise SystemExit(TERMINATED_EXIT_CODE)


STARTED = "job started: "


def process_age() -> float | None:
    """Seconds since this job's process started (Linux: /proc), None where that cannot be read;
    for a warm job (``gengap.warm``) since the process Snakemake started."""
    if started := os.environ.get(STARTED_ENV):
        return time.time() - float(started)
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22: start time, clock ticks after boot
            return float(uptime.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _describe_attempt(job, earlier: str) -> str:
    """The attempt's number is counted from the log (a job inside a cluster bundle is told
    attempt 1 by Snakemake whatever the bundle's attempt), then where and with what limit, and
    how long the process took to get here (interpreter, imports: ``benchmarks/job_overhead.py``)."""
    attempt = 1 + sum(STARTED in line for line in earlier.splitlines())
    parts = [f"attempt {attempt}", f"host {platform.node()}"]
    runtime = job.resources.get("runtime")
    if runtime is not None:
        parts.append(f"runtime limit {runtime} min")
    if os.environ.get("SLURM_JOB_ID"):
        parts.append(f"SLURM job {os.environ['SLURM_JOB_ID']}")
    age = process_age()
    if age is not None:
        parts.append(f"start-up {age:.2f} s")
    if os.environ.get(WORKER_ENV):
        parts.append("in a warm fork (gengap.warm)")
    return STARTED + ", ".join(parts)


def job_log(job) -> Log:
    """A ``log(msg)`` function for a Snakemake job (the ``snakemake`` object of a script, or a
    log path); uncaught errors and warnings land in the log too."""
    from gengap.runlock import check_source

    check_source()  # a job of the workflow runs the workflow's own gengap, not another tree's
    path = job if isinstance(job, (str, os.PathLike)) or job is None else job.log[0]
    if not path:
        return lambda msg: print(msg, flush=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    attempts = path.with_name(path.name + ATTEMPTS_SUFFIX)
    stream = open(path, "a", buffering=1)
    earlier = attempts.read_text() if attempts.exists() else ""
    if earlier:
        stream.write("--- lines of earlier attempts of this job (failed or killed) ---\n")
        stream.write(earlier if earlier.endswith("\n") else earlier + "\n")
        stream.write("--- this attempt ---\n")
    mirror = open(attempts, "a", buffering=1)
    sys.stderr = stream  # tracebacks and warnings end up next to the progress lines
    failed = []

    def log(msg: str) -> None:
        line = f"[{dt.datetime.now().isoformat(timespec='seconds')}] {msg}\n"
        stream.write(line)
        mirror.write(line)

    def excepthook(kind, value, tb):
        failed.append(kind)
        sys.__excepthook__(kind, value, tb)
        mirror.write(f"[{dt.datetime.now().isoformat(timespec='seconds')}] failed: "
                     f"{kind.__name__}: {value}\n")

    def finish() -> None:
        mirror.close()
        if not failed and _TERMINATION.reason is None:
            attempts.unlink(missing_ok=True)  # this attempt ended well: the log holds all

    sys.excepthook = excepthook
    atexit.register(finish)
    _TERMINATION.log = log
    signal.signal(signal.SIGTERM, _on_sigterm)
    if not isinstance(job, (str, os.PathLike)):
        log(_describe_attempt(job, earlier))
        check_plain_params(job)
    return log


PLAIN = (str, int, float, bool, type(None))


def _plain(value) -> bool:
    if isinstance(value, PLAIN):
        return True
    if type(value) in (list, tuple):
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def check_plain_params(snakemake) -> None:
    """Every param of a job is plain values (str, numbers, None, lists and dicts of them): what
    Snakemake compares between runs is each param's ``repr``, and a param of any other type (a
    dataclass, a path) is left out of a job's identity without a word (measured with 9.27: a
    frozen dataclass param is recorded as nothing). So a job given one stops here, naming it."""
    params = getattr(snakemake, "params", None)  # a stand-in job outside Snakemake may have none
    for name, value in (params.items() if params is not None else ()):
        if not _plain(value):
            raise TypeError(f"rule {snakemake.rule}: param {name!r} is a {type(value).__name__}, not plain values; "
                            "Snakemake would leave it out of the job's identity (pass e.g. its as_params())")
