"""How long Snakemake takes to plan a large grid: a dry run of a randomization suite with many seeds.

    GENGAP_DATA_ROOT=../shared/data python benchmarks/plan_scaling.py --seeds 140   # 10,080 cells

The grid: the randomization suite of ``config.yaml`` (4 models x 9 corruptions) on MNIST and
Fashion-MNIST with ``--seeds`` seeds. Writes the grid into a scratch copy of the workflow, runs
``snakemake --dry-run`` there and prints
the cells, the planned jobs, the wall time, the time per job and the peak memory of the dry run.
Nothing is trained; the datasets are not decoded (the dry run only plans).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=140)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--repo", type=Path, default=REPO, help="the checkout to plan with (another commit, for a before/after)")
    args = ap.parse_args(argv)
    repo = args.repo
    config = yaml.safe_load((repo / "config.yaml").read_text())
    suite = copy.deepcopy(config["suites"]["randomization"])
    suite["seeds"] = list(range(args.seeds))
    suite["datasets"] = ["mnist", "fashion_mnist"]
    config["suites"] = {"randomization": suite}
    cells = len(suite["datasets"]) * len(suite["models"]) * len(suite["corruptions"]) * len(suite["n"]) * args.seeds
    work = Path(tempfile.mkdtemp(prefix="gengap-plan-"))
    try:
        for name in ("Snakefile", "workflow", "src", "profiles"):
            (shutil.copytree if (repo / name).is_dir() else shutil.copy2)(repo / name, work / name)
        (work / "config.yaml").write_text(yaml.safe_dump(config))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(work / "src"), os.environ.get("PYTHONPATH")])))
        if env.get("GENGAP_DATA_ROOT"):  # relative to where the user stands, not to the scratch folder
            env["GENGAP_DATA_ROOT"] = os.path.abspath(env["GENGAP_DATA_ROOT"])
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1", "--quiet", "rules"],
                              cwd=work, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        if proc.returncode != 0:
            sys.exit(proc.stdout + proc.stderr)
        match = re.search(r"^total\s+(\d+)\s*$", proc.stdout + proc.stderr, flags=re.M)
        jobs = int(match.group(1)) if match else 0
        version = subprocess.run([sys.executable, "-m", "snakemake", "--version"], env=env, capture_output=True,
                                 text=True).stdout.strip()
        print(f"{cells} training cells, {jobs} jobs planned in {wall:.1f} s ({1e3 * wall / max(jobs, 1):.2f} ms per "
              f"job), peak memory {peak:.2f} GB, Snakemake {version}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
