"""A results folder belongs to one run at a time, and a run executes its own checkout's code.

Snakemake locks its working directory (``.snakemake/locks``), not the folder its outputs go to:
two checkouts (two worktrees, two clones) with the same ``results_dir`` would both run, each
rewriting the other's cells with its own code, and both end "successfully". ``claim`` takes an
exclusive lock on ``<results>/.gengap-run.lock`` for the life of the Snakemake process that runs
the jobs (taken at ``onstart``: never by a dry run, a report, or a job on a cluster node) and
refuses a second run while the first holds it, naming the holder. The lock is ``flock``'s: the
kernel releases it when its process ends, however it ends, so a killed run leaves nothing stale.
The file keeps the last holder's details, so a run from another working directory is told that
the folder was written by another checkout (whose ``.snakemake/metadata`` this run does not see).

``own_source`` puts the checkout's own ``src/`` first on the import path of the workflow and of
every job it starts (``PYTHONPATH``), and ``check_source`` refuses to go on when ``gengap`` was
imported from anywhere else (an editable install of another tree, a stale ``PYTHONPATH``): a
pinned worktree then runs, and records, its own commit's code.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import platform
import sys
from pathlib import Path

LOCK_NAME = ".gengap-run.lock"
SOURCE_ENV = "GENGAP_SOURCE"  # the src/ a run's jobs must import gengap from
_HELD: dict[str, int] = {}  # results folder -> the lock's descriptor, open for the process's life


class FolderInUse(RuntimeError):
    """Another run holds the results folder."""


class ForeignSource(RuntimeError):
    """``gengap`` was imported from another tree than the workflow's own."""


def claim(results: str | os.PathLike, workdir: str | os.PathLike) -> str | None:
    """Hold ``results``' lock until this process ends; raise ``FolderInUse`` naming the holder
    when another process has it. Returns a warning when the last run that held it worked in
    another directory (another checkout), else None. Claiming twice in one process is a no-op."""
    folder = Path(results).resolve()
    if str(folder) in _HELD:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _describe(_read(fd))
        os.close(fd)
        raise FolderInUse(f"{folder} is in use by another run ({holder}): two runs writing one results "
                          "folder mix their cells. Wait for it to end, or give this run a folder of its "
                          "own (--config results_dir=...).") from None
    previous = _read(fd)
    me = {"pid": os.getpid(), "host": platform.node(), "workdir": str(Path(workdir).resolve()),
          "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    _HELD[str(folder)] = fd
    if previous.get("workdir") and previous["workdir"] != me["workdir"]:
        return (f"{folder} was last written by a run in {previous['workdir']} (another checkout, "
                f"{previous.get('started', '?')}); this checkout's .snakemake/metadata does not know which "
                "code made its files, so outputs of other code are not rerun. Use a results folder per "
                "checkout, or delete what the other code made.")
    return None


def _read(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 1 << 16, 0) or b"{}")
    except ValueError:
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "holder unknown"
    return (f"process {holder.get('pid')} on {holder.get('host')}, working in {holder.get('workdir')}, "
            f"since {holder.get('started')}")


def own_source(basedir: str | os.PathLike) -> Path:
    """Put ``<basedir>/src`` first on this process's import path and on its children's
    (``PYTHONPATH``, which jobs and cluster jobs inherit); return it."""
    src = (Path(basedir) / "src").resolve()
    sys.path[:] = [str(src), *(p for p in sys.path if Path(p or ".").resolve() != src)]
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != src]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(src), *rest])
    os.environ[SOURCE_ENV] = str(src)
    return src


def check_source(expected: str | os.PathLike | None = None) -> None:
    """Raise ``ForeignSource`` when the imported ``gengap`` is not the one under ``expected``
    (default: ``$GENGAP_SOURCE``, set by the workflow for its jobs; nothing to check without it)."""
    import gengap

    expected = expected or os.environ.get(SOURCE_ENV)
    if not expected:
        return
    actual = Path(gengap.__file__).resolve().parent
    if actual != (Path(expected) / "gengap").resolve():
        raise ForeignSource(f"gengap was imported from {actual}, not from this checkout's {expected}: "
                            "the run would execute (and record) another tree's code. Remove the other "
                            "tree from PYTHONPATH, or reinstall this checkout (pip install -e .).")
