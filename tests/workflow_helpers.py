"""Running the real Snakemake workflow on a tiny config inside a temporary copy of the repo.

The copy carries its own ``src/`` (put first on PYTHONPATH), so a test can edit library code
and watch which jobs become stale without touching the checkout. Each command line runs as
``python -m snakemake`` would, in a fork of an interpreter that has Snakemake and torch imported
already (tests/warm_snakemake.py): a dry run costs its planning, not its imports.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from helpers import REPO, shared_data_root

TINY_CONFIG = {
    "results_dir": "results",
    "training": {"max_epochs": 2, "batch_size": 64},
    "models": {"mlp_1x512": {}, "mlp_3x512": {}},
    "suites": {
        "randomization": {
            "datasets": ["mnist"],
            "models": ["mlp_1x512", "mlp_3x512"],
            "corruptions": ["true", "labels@0.5"],
            "n": [128],
            "seeds": [0],
        }
    },
}


def make_workdir(dest: Path, config: dict | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "src", "profiles"):
        src = REPO / name
        if src.is_symlink():
            os.symlink(os.readlink(src), dest / name)
        elif src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    write_config(dest, config or TINY_CONFIG)
    return dest


def write_config(workdir: Path, config: dict) -> None:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def snakemake(workdir: Path, *args: str, check: bool = True, data_root: str | None = "shared") -> subprocess.CompletedProcess:
    """``python -m snakemake`` in ``workdir``; ``data_root``: $GENGAP_DATA_ROOT (the shared data by
    default, None: unset)."""
    env = dict(os.environ, PYTHONPATH=str(workdir / "src"))
    env.pop("GENGAP_DATA_ROOT", None)
    if data_root is not None:
        env["GENGAP_DATA_ROOT"] = str(shared_data_root()) if data_root == "shared" else data_root
    proc = _warm().run(list(args), cwd=workdir, env=env, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


class _WarmSnakemake:
    """``python -m snakemake`` without its imports: each command runs in a fork of one
    interpreter that imported Snakemake, torch and pandas once (tests/warm_snakemake.py)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("warm_snakemake.py"))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        atexit.register(self.proc.kill)

    def run(self, args: list[str], cwd: Path, env: dict, timeout: int) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
            request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err),
                       "timeout": timeout}
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            if not answer:
                raise RuntimeError("tests/warm_snakemake.py ended; run it by hand to see why")
            return subprocess.CompletedProcess([sys.executable, "-m", "snakemake", *args],
                                               json.loads(answer)["returncode"], out.read_text(), err.read_text())


_SERVER: list[_WarmSnakemake] = []


def _warm() -> _WarmSnakemake:
    """The running server, started on first use (again if it ended)."""
    if not _SERVER or _SERVER[0].proc.poll() is not None:
        _SERVER[:] = [_WarmSnakemake()]
    return _SERVER[0]


def planned_jobs(workdir: Path, data_root: str | None = "shared") -> dict[str, int]:
    """Jobs a dry run would execute, by rule ({} when nothing is to be done)."""
    proc = snakemake(workdir, "--dry-run", "--cores", "1", data_root=data_root)
    out = proc.stdout + proc.stderr
    if "Nothing to be done" in out:
        return {}
    table = out.split("Job stats:", 1)[1]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M))
    counts.pop("total", None)
    return {rule: int(n) for rule, n in counts.items() if rule != "all"}
