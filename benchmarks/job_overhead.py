"""Where a run's time goes: jobs per rule, their summed wall time, start-up and work.

    python benchmarks/job_overhead.py .snakemake/log/<run>.snakemake.log

Reads Snakemake's own log of a run (when each job started and finished, and its log file) and
each job's log: a job's start-up is the time from its process start to its first log line (the
interpreter, Snakemake's script preamble, the imports), which gengap's job log states
("start-up 4.21 s"); for logs without it (older runs) it is the first log line's time minus the
job's start in Snakemake's log (whole seconds). Work is the rest of the job's wall time. Prints
one row per rule and the totals, with the machine's measured float32 matmul rate, so the numbers
can be scaled to another machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

import pandas as pd

SNAKEMAKE_TIME = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
JOB_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\] (.*)$")
STARTUP = re.compile(r"start-up ([0-9.]+) s")


def snakemake_jobs(log: Path) -> pd.DataFrame:
    """One row per job of a Snakemake log: rule, job id, its log file, start and finish."""
    jobs, now, current = {}, None, None
    for line in log.read_text().splitlines():
        if m := SNAKEMAKE_TIME.match(line):
            now = dt.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := re.match(r"^(?:local)?rule (\w+):$", line):
            current = {"rule": m.group(1), "start": now, "log": None}
        elif current is not None and (m := re.match(r"^\s+log: (\S+)", line)):
            current["log"] = m.group(1).rstrip(",")
        elif current is not None and (m := re.match(r"^\s+jobid: (\d+)", line)):
            jobs[int(m.group(1))] = current
            current = None
        elif m := re.match(r"^Finished jobid: (\d+)", line):
            if int(m.group(1)) in jobs:
                jobs[int(m.group(1))]["finish"] = now
    rows = [dict(job, jobid=k) for k, job in jobs.items() if job.get("finish") and job["rule"] != "all"]
    return pd.DataFrame(rows)


def startup_seconds(job: pd.Series, base: Path) -> float | None:
    """Process start to the job's first log line (stated by the log, else from timestamps)."""
    path = Path(job["log"]) if job["log"] else None
    if path is not None and not path.is_absolute():
        path = base / path
    if path is None or not path.exists():
        return None
    for line in path.read_text().splitlines():
        if m := JOB_LINE.match(line):
            stated = STARTUP.search(m.group(2))
            if stated:
                return float(stated.group(1))
            first = dt.datetime.fromisoformat(m.group(1))
            return max(0.0, (first - job["start"]).total_seconds())
    return None


def overhead_table(log: Path, workdir: Path) -> tuple[pd.DataFrame, float]:
    jobs = snakemake_jobs(log)
    if jobs.empty:
        raise SystemExit(f"{log}: no finished jobs in this Snakemake log (a dry run or an unlock?)")
    jobs["wall_s"] = (jobs["finish"] - jobs["start"]).dt.total_seconds()
    jobs["startup_s"] = [startup_seconds(j, workdir) for _, j in jobs.iterrows()]
    jobs["work_s"] = jobs["wall_s"] - jobs["startup_s"].fillna(0).clip(upper=jobs["wall_s"])
    table = jobs.groupby("rule").agg(jobs=("jobid", "count"), wall_s=("wall_s", "sum"), startup_s=("startup_s", "sum"),
                                     work_s=("work_s", "sum"))
    table.loc["total"] = table.sum()
    run_wall = (jobs["finish"].max() - jobs["start"].min()).total_seconds()
    return table, run_wall


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", type=Path, help="a run's .snakemake/log/<time>.snakemake.log")
    ap.add_argument("--workdir", type=Path, default=None, help="where the run ran (for relative log paths); "
                    "default: the folder holding .snakemake")
    ap.add_argument("--no-rate", action="store_true", help="skip measuring the matmul rate")
    args = ap.parse_args(argv)
    workdir = args.workdir or args.log.resolve().parents[2]
    table, run_wall = overhead_table(args.log, workdir)
    if not args.no_rate:
        from gengap.flops import matmul_rate

        print(f"float32 matmul rate of this machine: {matmul_rate('cpu') / 1e12:.3f} TFLOP/s")
    total = table.loc["total"]
    print(table.astype({"jobs": int}).to_string(float_format=lambda v: f"{v:.1f}"))
    print(f"run wall time {run_wall:.0f} s; start-up {total['startup_s']:.0f} s of {total['wall_s']:.0f} s summed job "
          f"time ({total['startup_s'] / total['wall_s']:.0%})")


if __name__ == "__main__":
    main()
