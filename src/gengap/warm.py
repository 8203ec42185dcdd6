"""Warm jobs: a pipeline job's work runs in a fork of one interpreter that already imported torch.

Each job of the pipeline is a new Python process, and a job that imports torch pays ~3–4 s for it
on a small CPU before any work (``benchmarks/job_overhead.py``): most of a measure, training-set
or theory job. The workflow scripts of those rules start with ``delegate(snakemake)``. On a
local Linux run (``warm_jobs: true``, the default; never inside SLURM) it hands the job to a
server that imported torch, numpy, pandas and Snakemake once: the server forks, and the fork
becomes the job's process in all that matters (its working directory, environment, ``sys.path``,
arguments and the job's own stdin/stdout/stderr, passed over the socket), runs the same script
and reports its exit status, which the job's process exits with.

- The server never imports gengap, so every job runs the library of its own work tree, edits
  included, exactly as a fresh interpreter would; no torch operation runs before a fork (no
  thread pool or CUDA context is inherited), so results are the same numbers as a cold job's.
- A signal to the job's process (Snakemake's Ctrl-C, a kill) is passed on to the fork; if the
  job's process dies without one (kill -9), the server kills the fork, so no orphan writes after
  Snakemake gave up on the job.
- The first job of a run finds no server: it starts one in the background and runs cold; the
  server leaves after ``IDLE_SECONDS`` without a job. One server per user and interpreter.
- Train jobs do not use it: their ``benchmark:`` file measures the job's process tree (CPU
  time, memory), which would then be the waiting process, and their start-up is a small share
  of their time.

This file is also the server's program (``python warm.py serve <socket>``): run as a script, it
imports nothing of gengap.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

IDLE_SECONDS = 120
PRELOAD = ("numpy", "pandas", "pyarrow", "torch", "snakemake", "snakemake.script")


def socket_path() -> str:
    """One server per user and interpreter (a venv or conda env of its own gets its own);
    ``$GENGAP_WARM_SOCKET`` names another (tests)."""
    if path := os.environ.get("GENGAP_WARM_SOCKET"):
        return path
    key = hashlib.sha256(f"{sys.executable}\0{sys.prefix}".encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"gengap-warm-{os.getuid()}-{key}.sock")


def enabled(snakemake) -> bool:
    """Warm jobs are on, on Linux, outside SLURM, and this is not already the fork."""
    from gengap.joblog import WORKER_ENV  # the job's side only: the server imports no gengap

    return (bool(snakemake.config.get("warm_jobs", True)) and sys.platform == "linux"
            and not os.environ.get("SLURM_JOB_ID") and not os.environ.get(WORKER_ENV))


def delegate(snakemake) -> None:
    """First line of a workflow script: run the job in a warm fork and exit with its status; a
    no-op in the fork itself, when warm jobs are off, or when no server runs yet (one is started
    for the next jobs, and this job runs cold)."""
    if not enabled(snakemake):
        return
    path = socket_path()
    if len(path.encode()) > 100:  # beyond what a Unix socket's address holds: stay cold
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        _start_server(path)
        return
    raise SystemExit(_run_in_fork(sock))


def _start_server(path: str) -> None:
    """Start a server in its own session (Snakemake's signals to this job do not reach it); a
    second server for the same socket leaves at once (it cannot take the lock)."""
    subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", path], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                     cwd="/", env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})


def _run_in_fork(sock: socket.socket) -> int:
    from gengap.joblog import STARTED_ENV, WORKER_ENV, process_age

    started = time.time() - (process_age() or 0.0)
    request = {"argv": sys.argv, "cwd": os.getcwd(), "path": sys.path,
               "env": {**os.environ, WORKER_ENV: "1", STARTED_ENV: repr(started)}}
    sys.stdout.flush()
    sys.stderr.flush()
    socket.send_fds(sock, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
    reader = sock.makefile("r")
    worker = json.loads(reader.readline())["pid"]

    def forward(signum, _frame):
        try:
            os.kill(worker, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)
    line = reader.readline()
    code = json.loads(line)["returncode"] if line else 1
    if code < 0:  # the fork died of a signal: so does this process, as a cold job would
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


# --- the server (this file run as a script) ---------------------------------------------------


def _worker(request: dict) -> int:
    """In the fork: become the job's process and run its script; its exit status."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[:] = request["path"]
    sys.argv = list(request["argv"])
    import runpy

    return exit_status(lambda: runpy.run_path(sys.argv[0], run_name="__main__"))


def exit_status(main) -> int:
    """Run ``main()`` and return the exit status an interpreter running it would end with."""
    try:
        main()
        return 0
    except SystemExit as exit:
        if isinstance(exit.code, str):  # what the interpreter does with sys.exit("message")
            print(exit.code, file=sys.stderr)
            return 1
        return exit.code or 0
    except BaseException:
        traceback.print_exc()
        return 1


def _handle(conn: socket.socket) -> None:
    """In a fork of the server, one job: fork its worker, report the worker's pid and status;
    kill the worker if the job's process goes away first."""
    import select

    message, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
    while not message.endswith(b"\n"):
        message += conn.recv(1 << 20)
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        conn.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        code = 1
        try:
            code = _worker(request)
        finally:
            try:
                import atexit

                atexit._run_exitfuncs()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if 0 <= code < 256 else 1)
    for fd in fds:
        os.close(fd)
    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            conn.sendall(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
            return
        readable, _, _ = select.select([conn], [], [], 0.2)
        if readable and not conn.recv(1):  # the job's process is gone: so goes its work
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return


def serve(path: str) -> None:
    import fcntl

    lock = open(path + ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server holds this socket
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)  # before the imports: jobs that come meanwhile wait for them, not import cold
    server.listen(64)
    for module in PRELOAD:
        __import__(module)
    server.settimeout(IDLE_SECONDS)
    handlers: set[int] = set()

    def running() -> set[int]:  # reaps the handlers that ended
        return {p for p in handlers if not os.waitpid(p, os.WNOHANG)[0]}

    try:
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                handlers = running()
                if not handlers:
                    return
                continue
            conn.settimeout(None)
            pid = os.fork()
            if pid == 0:
                server.close()
                lock.close()  # the lock stays with the server alone
                try:
                    _handle(conn)
                finally:
                    os._exit(0)
            conn.close()
            handlers.add(pid)
            handlers = running()
    finally:
        os.unlink(path)


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    del sys.path[0]  # this file's folder (gengap's modules) must not shadow any other module
    serve(sys.argv[2])
