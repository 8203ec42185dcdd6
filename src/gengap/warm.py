"""Warm jobs: a pipeline job's work runs in a fork of one interpreter that already imported torch.

Each job of the pipeline is a new Python process, and a job that imports torch pays ~3–4 s for it
on a small CPU before any work (``benchmarks/job_overhead.py``): most of a measure, training-set
or theory job. The workflow scripts of those rules start with ``delegate(snakemake)``. On a
local Linux run (``warm_jobs: true``, the default; never inside SLURM, never on a cluster's submit
host) it hands the job to a server that imported torch, numpy, pandas and Snakemake once: the
server forks, and the fork becomes the job's process in all that matters (its working directory,
environment, ``sys.path``, arguments, umask, nice value, resource limits, CPU affinity and the
job's own stdin/stdout/stderr, passed over the socket), runs the same script and reports its exit
status, which the job's process exits with.

Nobody else's code runs as the user, and nobody else sees a job:

- The socket and its lock live in a folder only the user can enter (``runtime_dir``: created
  0700, refused when it is a link, another user's, or open to group or others); the server binds
  under umask 077 and opens its lock without following links or truncating anything.
- Both ends check the peer's user id (``SO_PEERCRED``): the server serves only its own user, and
  a job hands itself only to a server of its own user.
- Anything unexpected before the fork has started the job (no private folder, no server, another
  user's server, a protocol error, a server that does not answer within ``HANDSHAKE_SECONDS``, a
  setting of the job the fork cannot take) and the job runs cold, as if warm jobs were off.
- A job whose process left before the fork started runs nothing; a job's process that dies (kill
  -9) takes its fork with it, and so does a server that dies (the fork's parent-death signal).

Results are those of a cold job: the server never imports gengap, so every job runs the library of
its own work tree, edits included; no torch operation runs before a fork (no thread pool or CUDA
context is inherited). The first job of a run finds no server: it starts one in the background
and runs cold; the server binds its socket once its imports are done (jobs meanwhile run cold) and
leaves after ``IDLE_SECONDS`` without a job. One server per user and interpreter. Train jobs do
not use it: their ``benchmark:`` file measures the job's process tree (CPU time, memory), which
would then be the waiting process, and their start-up is a small share of their time.

This file is also the server's program (``python warm.py serve <socket>``): run as a script, it
imports nothing of gengap.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import traceback

IDLE_SECONDS = 120
HANDSHAKE_SECONDS = 10  # from connecting to the fork's pid; past it the job runs cold
PRELOAD = ("numpy", "pandas", "pyarrow", "torch", "snakemake", "snakemake.script")
MAX_SOCKET_PATH = 100  # bytes a Unix socket's address holds, with a margin
RLIMITS = sorted(name for name in dir(resource) if name.startswith("RLIMIT_"))


def _private(path: str) -> bool:
    """A folder (not a link) of this user that neither group nor others can enter."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def runtime_dir() -> str | None:
    """This user's folder for the server's socket and lock: ``$XDG_RUNTIME_DIR/gengap`` where
    that is private, else ``<temp folder>/gengap-<uid>``, created 0700. None when the folder
    exists but is not private (a link, another user's, group or world access): warm jobs are off."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = (os.path.join(base, "gengap") if base and _private(base)
            else os.path.join(tempfile.gettempdir(), f"gengap-{os.getuid()}"))
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return path if _private(path) else None


def socket_path() -> str | None:
    """One server per user and interpreter (a venv or conda env of its own gets its own), in
    ``runtime_dir()``. None when there is no private place for it."""
    folder = runtime_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{sys.executable}\0{sys.prefix}".encode()).hexdigest()[:16]
    path = os.path.join(folder, f"warm-{key}.sock")
    return path if len(path.encode()) <= MAX_SOCKET_PATH else None


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process at the other end of a connected Unix socket."""
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    return uid


def enabled(snakemake) -> bool:
    """Warm jobs are on, on Linux, outside SLURM, and this is not already the fork."""
    from gengap.joblog import WORKER_ENV  # the job's side only: the server imports no gengap

    return (bool(snakemake.config.get("warm_jobs", True)) and sys.platform == "linux"
            and not os.environ.get("SLURM_JOB_ID") and not os.environ.get(WORKER_ENV))


def delegate(snakemake) -> None:
    """First line of a workflow script: run the job in a warm fork and exit with its status; a
    no-op (the job runs cold) in the fork itself, when warm jobs are off, and whenever the fork
    does not start the job (see the module's docstring); with no server yet one is started for
    the next jobs."""
    if not enabled(snakemake):
        return
    path = socket_path()
    if path is None:
        return
    sock = connect(path)
    if sock is None:
        _start_server(path)
        return
    code = _run_in_fork(sock)
    if code is not None:
        raise SystemExit(code)


def connect(path: str) -> socket.socket | None:
    """A connection to this user's server at ``path``; None when there is none, or when the
    process listening there is another user's (said on stderr)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(HANDSHAKE_SECONDS)
    try:
        sock.connect(path)
        uid = peer_uid(sock)
    except OSError:
        sock.close()
        return None
    if uid != os.getuid():
        sock.close()
        print(f"gengap.warm: {path} is served by user id {uid}, not this user ({os.getuid()}): "
              "running this job cold", file=sys.stderr, flush=True)
        return None
    return sock


def job_settings() -> dict:
    """What a process inherits beyond its environment, for the fork to take on."""
    mask = os.umask(0)
    os.umask(mask)
    return {"umask": mask, "nice": os.getpriority(os.PRIO_PROCESS, 0),
            "rlimits": {name: list(resource.getrlimit(getattr(resource, name))) for name in RLIMITS},
            "affinity": sorted(os.sched_getaffinity(0))}


def _run_in_fork(sock: socket.socket) -> int | None:
    """Hand this job to the server; its exit status, or None when the fork did not start it."""
    from gengap.joblog import STARTED_ENV, WORKER_ENV, process_age

    started = time.time() - (process_age() or 0.0)
    request = {"argv": sys.argv, "cwd": os.getcwd(), "path": sys.path, "settings": job_settings(),
               "env": {**os.environ, WORKER_ENV: "1", STARTED_ENV: repr(started)}}
    sys.stdout.flush()
    sys.stderr.flush()
    reader = sock.makefile("r")
    try:
        sock.sendall(json.dumps(request).encode() + b"\n")
        reply = json.loads(reader.readline())
        worker = int(reply["pid"])
        # the commitment, with the job's stdin, stdout and stderr (passed only now: a server that
        # never answers holds none of them): from here the fork runs the job, not this process
        socket.send_fds(sock, [b"go\n"], [0, 1, 2])
    except (OSError, ValueError, KeyError, TypeError):  # no answer in time, a broken or a "cold" reply
        sock.close()
        return None
    sock.settimeout(None)  # the job runs as long as it runs

    def forward(signum, _frame):
        try:
            os.kill(worker, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)
    try:
        line = reader.readline()
        code = int(json.loads(line)["returncode"])
    except (OSError, ValueError, KeyError, TypeError):
        print("gengap.warm: the warm server ended while running this job (its fork ended with it); "
              "rerun snakemake", file=sys.stderr, flush=True)
        return 1
    if code < 0:  # the fork died of a signal: so does this process, as a cold job would
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _start_server(path: str) -> None:
    """Start a server in its own session (Snakemake's signals to this job do not reach it); a
    second server for the same socket leaves at once (it cannot take the lock)."""
    subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", path], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                     cwd="/", env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})


# --- the server (this file run as a script) ---------------------------------------------------


def _die_with_parent() -> None:
    """The calling process gets SIGKILL when its parent ends (Linux prctl PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def take_settings(settings: dict) -> None:
    """Become the job's process in what it inherits: umask, nice, limits, CPU affinity. Raises
    when one cannot be taken (a lower nice value or a higher hard limit than the server's)."""
    os.umask(settings["umask"])
    if os.getpriority(os.PRIO_PROCESS, 0) != settings["nice"]:
        os.setpriority(os.PRIO_PROCESS, 0, settings["nice"])
    for name, limits in settings["rlimits"].items():
        which = getattr(resource, name, None)
        if which is not None and list(resource.getrlimit(which)) != limits:
            resource.setrlimit(which, tuple(limits))
    os.sched_setaffinity(0, settings["affinity"])


def _worker(request: dict) -> int:
    """In the fork, settings taken: become the job's process and run its script; its exit status."""
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


def _gone(conn: socket.socket) -> bool:
    """Whether the job's process closed its end (it left, or was killed)."""
    import select

    readable, _, _ = select.select([conn], [], [], 0)
    return bool(readable) and not conn.recv(1, socket.MSG_PEEK)


def _receive(conn: socket.socket) -> dict:
    message = b""
    while not message.endswith(b"\n"):
        more = conn.recv(1 << 20)
        if not more:
            raise ConnectionError("the job's process closed the connection mid-request")
        message += more
    return json.loads(message)


def _handle(conn: socket.socket) -> None:
    """In a fork of the server, one job: check who asks, fork its worker, which takes the job's
    settings and waits; report the worker's pid, and let it run only once the job's process
    commits (``go``, with its stdin, stdout and stderr); report its status, and kill it if the
    job's process goes away first."""
    import select

    if peer_uid(conn) != os.getuid():
        return  # another user's process: it learns nothing and runs nothing
    conn.settimeout(HANDSHAKE_SECONDS)
    request = _receive(conn)
    if _gone(conn):
        return
    here, there = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        here.close()
        conn.close()
        code = 1
        try:
            _die_with_parent()
            take_settings(request["settings"])
        except BaseException as err:
            there.sendall(f"{type(err).__name__}: {err}".encode()[:4000])
            os._exit(1)
        there.sendall(b"ok")
        go, fds, _flags, _addr = socket.recv_fds(there, 16, 3)
        if go != b"go" or len(fds) != 3:
            os._exit(1)  # the handler ended, or the job's process never committed: run nothing
        there.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
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
    there.close()
    answer = here.recv(4096)
    fds: list[int] = []
    try:
        if answer != b"ok":  # a setting the fork cannot take: the job runs cold
            conn.sendall(json.dumps({"cold": answer.decode(errors="replace")}).encode() + b"\n")
            return
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        go, fds, _flags, _addr = socket.recv_fds(conn, 16, 3)
        if go != b"go\n" or len(fds) != 3:
            return  # the job's process left or gave up waiting: it runs cold, or not at all
        socket.send_fds(here, [b"go"], fds)
    except OSError:
        return
    finally:
        for fd in fds:
            os.close(fd)
    conn.settimeout(None)
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
    """The server's main loop on ``path`` (in a private folder), until ``IDLE_SECONDS`` pass
    without a job; returns at once when another server holds the lock or the folder is not private."""
    import fcntl

    os.umask(0o077)
    if not _private(os.path.dirname(os.path.abspath(path))):
        return
    try:  # never through a link, never truncating: the lock's content is not used
        lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server holds this socket
    for module in PRELOAD:  # before binding: a job never waits for these, it runs cold meanwhile
        __import__(module)
    if os.path.lexists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
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
            pid = os.fork()
            if pid == 0:
                server.close()
                os.close(lock)  # the lock stays with the server alone
                try:
                    _handle(conn)
                except BaseException:
                    pass  # a broken request: the job's side runs cold or reports the failure
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
