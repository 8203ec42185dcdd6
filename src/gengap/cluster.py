"""Checks that a SLURM cluster can report what happened to gengap's jobs, before any is submitted.

The SLURM executor plugin (2.8) reads job states with ``squeue`` or ``sacct``. ``squeue`` only
sees a finished job for ``MinJobAge`` seconds; ``sacct`` needs accounting (slurmdbd). A job the
status command does not list is taken as still queued, so a job that leaves ``squeue`` between
two status checks is waited for forever. The plugin's gap between checks starts at
``init_seconds_before_status_checks`` and grows by 10 s per check that sees nothing finish, up to
180 s; and when ``MinJobAge`` is below three first intervals it switches to ``sacct`` on its own,
which cannot answer without accounting. So a cluster without accounting needs ``MinJobAge`` of
at least 180 s plus three first intervals (195 s with profiles/slurm, 300 s, SLURM's default,
with the plugin's default of 40 s). ``status_problem`` names a cluster that falls short (and a
status command that cannot work) so the workflow stops at once with what to change.
"""

from __future__ import annotations

import re
import subprocess

NO_ACCOUNTING = "accounting_storage/none"
MAX_STATUS_CHECK_GAP = 180  # seconds: the plugin's longest sleep between status checks


def parse_scontrol_config(text: str) -> dict[str, str]:
    """``scontrol show config`` output as {key: value}."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            fields[key.strip()] = value.strip()
    return fields


def seconds(value: str | None) -> int | None:
    """A SLURM duration such as ``300 sec``, ``300``, ``5 min`` or ``1h`` in seconds."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)\s*([a-zA-Z]*)", value.strip())
    if not match:
        return None
    number, unit = int(match.group(1)), match.group(2).lower()
    scale = {"": 1, "s": 1, "sec": 1, "secs": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60,
             "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600}.get(unit)
    return None if scale is None else number * scale


def status_problem(slurm_config: dict[str, str], status_command: str | None,
                   init_seconds: int = 40) -> str | None:
    """Why the plugin could lose track of jobs on this cluster, or None when it cannot."""
    accounting = slurm_config.get("AccountingStorageType", NO_ACCOUNTING) != NO_ACCOUNTING
    if accounting:
        return None  # sacct answers; squeue is used only while MinJobAge keeps jobs visible
    min_job_age = seconds(slurm_config.get("MinJobAge"))
    threshold = MAX_STATUS_CHECK_GAP + 3 * init_seconds
    fix = ("Enable accounting (slurmdbd), or set MinJobAge=300 (SLURM's default) or more in "
           "slurm.conf and restart slurmctld; see README, 'Running on SLURM'.")
    if min_job_age is None or min_job_age < threshold:
        return (f"this SLURM cluster has no accounting ({NO_ACCOUNTING}) and MinJobAge="
                f"{slurm_config.get('MinJobAge')} is below {threshold} s (the executor plugin's "
                "longest gap between status checks, 180 s, plus 3 first intervals): finished "
                "jobs would vanish from squeue before the plugin looks, or it would fall back to "
                "sacct, which cannot answer without accounting; either way it loses track of "
                "jobs and Snakemake waits forever. " + fix)
    if status_command != "squeue":
        return (f"this SLURM cluster has no accounting, so the job status command "
                f"'{status_command}' cannot report finished jobs; use --slurm-status-command "
                "squeue (profiles/slurm sets it).")
    return None


def check_slurm_executor(workflow) -> None:
    """Raise a clear error before submitting anything when the SLURM executor could hang."""
    plugin = workflow.executor_plugin
    if plugin is None or plugin.name != "slurm":
        return
    settings = workflow.executor_settings
    try:
        out = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError(f"cannot read the SLURM configuration with 'scontrol show config' "
                           f"({err}); is this a SLURM submit host?") from err
    problem = status_problem(parse_scontrol_config(out), getattr(settings, "status_command", None),
                             getattr(settings, "init_seconds_before_status_checks", None) or 40)
    if problem:
        raise RuntimeError(problem)
