"""Cluster runs: the guard against the squeue/sacct hang, retries that keep their log lines and
resume after SIGTERM, attempt-aware runtimes and the profiles' layering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml
from helpers import REPO

from gengap.atomic import save_torch
from gengap.cluster import parse_scontrol_config, seconds, status_problem

SCONTROL = textwrap.dedent("""\
    Configuration data as of 2026-11-24T07:00:00
    AccountingStorageType   = accounting_storage/none
    ClusterName             = gengap-ci
    MinJobAge               = 300 sec
    SlurmctldHost[0]        = vm
    """)


def test_scontrol_config_is_parsed():
    cfg = parse_scontrol_config(SCONTROL)
    assert cfg["AccountingStorageType"] == "accounting_storage/none"
    assert cfg["MinJobAge"] == "300 sec"
    assert "Configuration data as of 2026-11-24T07:00:00" not in cfg


@pytest.mark.parametrize("text,expected", [("300 sec", 300), ("300", 300), ("5 min", 300),
                                           ("1h", 3600), ("2 hours", 7200), ("soon", None),
                                           (None, None)])
def test_slurm_durations(text, expected):
    assert seconds(text) == expected


def test_no_accounting_and_short_min_job_age_is_refused():
    cfg = {"AccountingStorageType": "accounting_storage/none", "MinJobAge": "60 sec"}
    problem = status_problem(cfg, "squeue", init_seconds=40)
    assert problem is not None and "MinJobAge=60 sec" in problem and "300 s" in problem
    assert "waits forever" in problem
    # 180 s (the plugin's longest gap between checks) + 3 first intervals
    assert status_problem(cfg, "squeue", init_seconds=5) is not None
    assert status_problem({**cfg, "MinJobAge": "194"}, "squeue", init_seconds=5) is not None
    assert status_problem({**cfg, "MinJobAge": "195"}, "squeue", init_seconds=5) is None
    assert status_problem({**cfg, "MinJobAge": "299"}, "squeue", init_seconds=40) is not None
    assert status_problem({**cfg, "MinJobAge": "5 min"}, "squeue", init_seconds=40) is None


def test_no_accounting_needs_the_squeue_status_command():
    cfg = {"AccountingStorageType": "accounting_storage/none", "MinJobAge": "300 sec"}
    assert status_problem(cfg, "squeue") is None
    assert "squeue" in status_problem(cfg, "sacct")


def test_accounting_is_always_fine():
    cfg = {"AccountingStorageType": "accounting_storage/slurmdbd", "MinJobAge": "10 sec"}
    assert status_problem(cfg, "sacct") is None and status_problem(cfg, "squeue") is None


def test_slurm_profile_leaves_resources_to_the_user_profile():
    """Snakemake lets the workflow profile win key by key over --profile: a resources block in
    profiles/slurm would silently replace the user's account and partition."""
    slurm = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    assert slurm["executor"] == "slurm"
    assert not {"default-resources", "set-resources", "set-threads", "resources"} & set(slurm)
    assert slurm["slurm-status-command"] == "squeue" and slurm["retries"] >= 1
    assert slurm["groups"] == {"train": "cells", "measure": "cells"} and slurm["cores"] == 1
    user = yaml.safe_load((REPO / "profiles/my-cluster/config.yaml").read_text())
    assert not set(user) & set(slurm)


def test_every_workflow_profile_leaves_out_the_code_trigger():
    """Staleness of code is the digests in params; Snakemake's `code` trigger (script file times)
    would rerun everything after a checkout. profiles/default and profiles/slurm are the two
    workflow profiles (one or the other is used, never both): each must say so, alike."""
    from gengap.provenance import code_trigger_warning

    triggers = [yaml.safe_load((REPO / f"profiles/{p}/config.yaml").read_text())["rerun-triggers"]
                for p in ("default", "slurm")]
    assert triggers[0] == triggers[1] == ["mtime", "params", "input", "software-env"]
    assert code_trigger_warning(triggers[0]) is None
    assert "`code` rerun trigger is on" in code_trigger_warning([*triggers[0], "code"])


JOB = textwrap.dedent("""\
    import sys, time
    from types import SimpleNamespace
    from gengap.joblog import job_log
    log_path, mode = sys.argv[1], sys.argv[2]
    job = SimpleNamespace(log=[log_path], attempt=1, resources={"runtime": 30})
    log = job_log(job)
    log("working")
    if mode == "fail":
        raise RuntimeError("boom")
    if mode == "wait":
        print("ready", flush=True)
        time.sleep(60)
    log("finished")
    """)


def _job(tmp_path, mode, wait_for_term=False):
    script = tmp_path / "job.py"
    script.write_text(JOB)
    log = tmp_path / "logs" / "job.log"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.pop("SLURM_JOB_ID", None)
    if not wait_for_term:
        return log, subprocess.run([sys.executable, script, log, mode], env=env, capture_output=True,
                                   text=True)
    proc = subprocess.Popen([sys.executable, script, log, mode], env=env, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return log, proc


def test_every_attempt_keeps_its_lines(tmp_path):
    log, first = _job(tmp_path, "fail")
    assert first.returncode != 0
    attempts = log.with_name("job.log.attempts")
    assert "failed: RuntimeError: boom" in attempts.read_text()
    log.unlink()  # Snakemake deletes a job's log before the next attempt
    log, killed = _job(tmp_path, "wait", wait_for_term=True)
    assert killed.returncode == 128 + signal.SIGTERM
    assert "SIGTERM received (not under SLURM" in log.read_text()
    log.unlink()
    log, ok = _job(tmp_path, "ok")
    assert ok.returncode == 0
    text = log.read_text()
    assert text.count("job started:") == 3
    assert "job started: attempt 3" in text and "runtime limit 30 min" in text
    assert text.index("boom") < text.index("SIGTERM") < text.index("--- this attempt ---")
    assert text.rstrip().endswith("finished")
    assert not attempts.exists()  # the job ended well: its log holds every attempt


@pytest.mark.workflow  # trains a cell in a job's process
def test_sigterm_during_training_saves_a_checkpoint_that_resumes(tmp_path):
    """SIGTERM inside fit: the batch it arrives in ends, a checkpoint is written there, inside the
    epoch, whatever checkpoint_seconds says, the process exits 143; the next run resumes there and
    ends with the same weights."""
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent("""\
        import os, signal, sys, torch
        from gengap.models import build_model
        from gengap.train.loop import fit
        from gengap.joblog import job_log
        log = job_log(sys.argv[1])
        torch.manual_seed(0)
        x, y = torch.randn(64, 20), torch.randint(0, 3, (64,))
        net = build_model("mlp_1x32", [20], 3)
        from gengap.settings import TrainingSettings
        settings = TrainingSettings(lr=0.05, batch_size=16, max_epochs=40, stop={"criterion": "epochs"})
        if sys.argv[3] == "kill":
            orig = torch.optim.SGD.step
            calls = [0]
            def step(self, *a, **k):
                calls[0] += 1
                if calls[0] == 4 * 5 + 1:  # during epoch 6
                    os.kill(os.getpid(), signal.SIGTERM)
                return orig(self, *a, **k)
            torch.optim.SGD.step = step
        fit(net, x, y, settings, seed=0, log=log, checkpoint=sys.argv[2], checkpoint_seconds=1e9,
            progress_seconds=1e9, identity="run")
        torch.save(net.state_dict(), sys.argv[2] + ".final")
        """))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    ckpt = tmp_path / "checkpoint.pt"
    killed = subprocess.run([sys.executable, script, tmp_path / "a.log", ckpt, "kill"], env=env)
    assert killed.returncode == 128 + signal.SIGTERM
    log = (tmp_path / "a.log").read_text()
    assert "checkpoint saved in epoch 6 at point 16 of 64 (step 21)" in log and ckpt.exists()
    resumed = subprocess.run([sys.executable, script, tmp_path / "a.log", ckpt, "run"], env=env)
    assert resumed.returncode == 0
    assert "resumed from checkpoint in epoch 6 at point 16 of 64 (step 21)" in (tmp_path / "a.log").read_text()
    straight = tmp_path / "b" / "checkpoint.pt"
    straight.parent.mkdir()
    subprocess.run([sys.executable, script, tmp_path / "b.log", straight, "run"], env=env, check=True)
    a, b = torch.load(str(ckpt) + ".final"), torch.load(str(straight) + ".final")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_torch_files_are_byte_identical_for_equal_tensors(tmp_path):
    """Weights of a SLURM run and a local run are compared byte for byte in CI."""
    state = {"w": torch.arange(6.0).reshape(2, 3)}
    save_torch(state, tmp_path / "a.pt")
    save_torch(state, tmp_path / "b.pt")
    assert Path(tmp_path / "a.pt").read_bytes() == Path(tmp_path / "b.pt").read_bytes()


def test_the_workflow_stops_before_submitting_to_a_cluster_that_would_hang(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from gengap.cluster import check_slurm_executor

    fake = tmp_path / "scontrol"
    fake.write_text("#!/bin/sh\ncat <<'EOF'\n" + SCONTROL.replace("300 sec", "60 sec") + "EOF\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    settings = SimpleNamespace(status_command="squeue", init_seconds_before_status_checks=40)
    workflow = SimpleNamespace(executor_plugin=SimpleNamespace(name="slurm"), executor_settings=settings)
    with pytest.raises(RuntimeError, match="MinJobAge=60 sec is below 300 s"):
        check_slurm_executor(workflow)
    local = SimpleNamespace(executor_plugin=SimpleNamespace(name="local"), executor_settings=None)
    check_slurm_executor(local)  # other executors are not asked anything
