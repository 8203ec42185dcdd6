"""Warm jobs (gengap.warm): a job handed to a fork of a warm interpreter behaves as the cold
process it replaces: its output, exit status and signals, its own work tree's library, and no
orphan when the job's process is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import REPO, wait_for, warm_runtime

SCRIPT = textwrap.dedent("""\
    import os, signal, sys, time
    from types import SimpleNamespace
    from gengap.warm import delegate

    delegate(SimpleNamespace(config={}))
    import gengap
    print("pid", os.getpid(), "gengap", gengap.__file__, "torch", "torch" in sys.modules, flush=True)
    mode = sys.argv[1]
    if mode == "exit":
        print("to stderr", file=sys.stderr)
        sys.exit(3)
    if mode == "raise":
        raise ValueError("the job's own error")
    if mode == "sigterm":
        def stop(signum, frame):
            print("got SIGTERM", flush=True)
            sys.exit(143)
        signal.signal(signal.SIGTERM, stop)
    open(sys.argv[2], "w").write(str(os.getpid()))
    time.sleep(60)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.fixture()
def warm(tmp_path, monkeypatch):
    """A server of its own (socket in tmp_path), started from the checkout's src/; yields a
    function that runs the script with a given src/ and returns its Popen."""
    runtime, sock = warm_runtime(tmp_path / "run")
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime["XDG_RUNTIME_DIR"])
    server = subprocess.Popen([sys.executable, str(REPO / "src/gengap/warm.py"), "serve", str(sock)],
                              start_new_session=True)
    assert wait_for(sock.exists), "the server did not open its socket"
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)

    def run(*args: str, src: Path = REPO / "src") -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(src)}
        return subprocess.Popen([sys.executable, str(script), *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    yield run
    server.terminate()
    server.wait(timeout=10)


def test_a_warm_job_keeps_its_output_and_exit_status_and_runs_its_own_library(warm, tmp_path):
    job = warm("exit")
    out, err = job.communicate(timeout=60)
    assert job.returncode == 3
    assert "to stderr" in err
    pid, library, torch_loaded = out.split()[1], out.split()[3], out.split()[5]
    assert int(pid) != job.pid, "the job ran in its own process, not in a fork"
    assert torch_loaded == "True"  # the fork came with torch imported
    assert library == str(REPO / "src/gengap/__init__.py")

    other = tmp_path / "other-src"
    shutil.copytree(REPO / "src", other, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    job = warm("exit", src=other)
    out, _ = job.communicate(timeout=60)
    assert out.split()[3] == str(other / "gengap/__init__.py"), "a fork must import its own work tree's gengap"

    job = warm("raise")
    _, err = job.communicate(timeout=60)
    assert job.returncode == 1 and "ValueError: the job's own error" in err


def test_sigterm_to_a_warm_job_reaches_its_work(warm, tmp_path):
    marker = tmp_path / "worker.pid"
    job = warm("sigterm", str(marker))
    assert wait_for(marker.exists)
    job.send_signal(signal.SIGTERM)
    out, _ = job.communicate(timeout=30)
    assert "got SIGTERM" in out and job.returncode == 143


def test_a_killed_warm_job_leaves_no_orphan(warm, tmp_path):
    marker = tmp_path / "worker.pid"
    job = warm("sleep", str(marker))
    assert wait_for(lambda: marker.exists() and marker.read_text())
    worker = int(marker.read_text())
    assert _alive(worker)
    job.kill()  # kill -9: no chance to pass anything on
    job.wait()
    assert wait_for(lambda: not _alive(worker), timeout=10), "the fork outlived its job"
