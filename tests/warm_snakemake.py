"""Snakemake command lines for the tests, each in a fork of one interpreter that has already
imported what every planning run imports (Snakemake, torch, torchvision, pandas, numpy): a dry run
then costs its planning, not ~4 s of imports. gengap itself is never imported here, so each
command reads the library of its own work tree, edits included, as a fresh ``python -m
snakemake`` would. No torch operation runs here before a fork (no thread pool to inherit).

Protocol: one JSON request per line on stdin, {"args", "cwd", "env", "stdout", "stderr",
"timeout"}; one JSON line back, {"returncode"}. Used by ``workflow_helpers.snakemake``.
"""

import atexit
import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

import numpy  # noqa: F401  (imported once, for every fork)
import pandas  # noqa: F401
import snakemake.cli
import torch  # noqa: F401
import torchvision  # noqa: F401

# gengap's warm-job server, loaded as a file (not as gengap.warm: gengap is never imported here)
_spec = importlib.util.spec_from_file_location("gengap_warm_file", Path(__file__).parents[1] / "src/gengap/warm.py")
WARM = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(WARM)

BASE_PATH = [p for p in sys.path[1:] if p]  # the interpreter's own path, without this file's folder


def run(request: dict) -> int:
    """In the child: become ``python -m snakemake <args>`` in ``cwd`` with ``env``; its exit status."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for stream, name in ((1, "stdout"), (2, "stderr")):
        fd = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, stream)
        os.close(fd)
    sys.path[:] = [request["cwd"], *filter(None, request["env"].get("PYTHONPATH", "").split(os.pathsep)), *BASE_PATH]
    sys.argv = ["snakemake", *request["args"]]
    signal.alarm(int(request["timeout"]))  # a hung run dies (SIGALRM) and says so in its status
    return WARM.exit_status(lambda: snakemake.cli.main(request["args"]))


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = run(request)
                atexit._run_exitfuncs()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
