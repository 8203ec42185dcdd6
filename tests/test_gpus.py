"""GPU slots: several jobs per GPU, each pinned to one GPU, tested with simulated GPUs on CPU."""

import subprocess
import sys
import textwrap

import pytest

from gengap import gpus
from gengap.gpus import acquire_slot, pin_job, visible_gpus


@pytest.fixture(autouse=True)
def release_slots():
    yield
    while gpus._held:
        gpus._held.pop().close()


def test_slots_fill_every_gpu_before_doubling_up_and_refuse_beyond_capacity(tmp_path):
    taken = [acquire_slot(["0", "1", "2"], 2, tmp_path) for _ in range(6)]
    assert taken == [("0", 0), ("1", 0), ("2", 0), ("0", 1), ("1", 1), ("2", 1)]
    with pytest.raises(RuntimeError, match="3 GPUs x 2 jobs per GPU"):
        acquire_slot(["0", "1", "2"], 2, tmp_path)


def test_a_whole_gpu_job_takes_every_slot_of_a_free_gpu(tmp_path):
    assert acquire_slot(["0", "1"], 4, tmp_path) == ("0", 0)  # GPU 0 is partly used
    assert acquire_slot(["0", "1"], 4, tmp_path, whole_gpu=True) == ("1", 0)
    assert acquire_slot(["0", "1"], 4, tmp_path) == ("0", 1)  # GPU 1 is full now
    with pytest.raises(RuntimeError, match="no free GPU in"):
        acquire_slot(["0", "1"], 4, tmp_path, whole_gpu=True)


def test_a_slot_is_freed_when_its_process_ends_however_it_ends(tmp_path):
    # 4 jobs on 2 simulated GPUs x 2 slots, each a separate process: all pinned, evenly
    script = textwrap.dedent(f"""
        import os, sys
        from gengap.gpus import pin_job
        env = {{"CUDA_VISIBLE_DEVICES": "0,1"}}
        print(pin_job(2, {str(tmp_path)!r}, env, wait_seconds=0), env["CUDA_VISIBLE_DEVICES"])
        sys.stdout.flush()
        if sys.argv[1] == "hold":
            sys.stdin.read()  # holds its slot until killed
    """)
    holders = [subprocess.Popen([sys.executable, "-c", script, "hold"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for _ in range(4)]
    pinned = sorted(p.stdout.readline().split()[-1] for p in holders)
    assert pinned == ["0", "0", "1", "1"]
    full = subprocess.run([sys.executable, "-c", script, "go"], capture_output=True, text=True)
    assert full.returncode != 0 and "no free GPU slot" in full.stderr
    holders[0].kill()  # a killed job leaves no slot taken
    holders[0].wait()
    again = subprocess.run([sys.executable, "-c", script, "go"], capture_output=True, text=True, check=True)
    assert again.stdout.startswith("pinned to GPU")
    for p in holders[1:]:
        p.kill()
        p.wait()


def test_visible_gpus_and_when_nothing_is_pinned(tmp_path):
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2,3"}) == ["2", "3"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == [] and visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == []
    slurm = {"SLURM_JOB_ID": "7", "CUDA_VISIBLE_DEVICES": "0"}  # SLURM already gave the job its GPU
    assert pin_job(4, tmp_path, slurm) is None and slurm["CUDA_VISIBLE_DEVICES"] == "0"
    assert pin_job(4, tmp_path, {"CUDA_VISIBLE_DEVICES": ""}) is None  # no GPU: a CPU job
    env = {"CUDA_VISIBLE_DEVICES": "5,6"}
    assert pin_job(1, tmp_path, env) == "pinned to GPU 5 (slot 0 of 1; 2 GPUs visible)"
    assert env["CUDA_VISIBLE_DEVICES"] == "5"


def test_default_profile_runs_jobs_per_gpu_jobs_on_one_gpu():
    import yaml
    from helpers import REPO

    profile = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    slots = profile["default-resources"]["jobs_per_gpu"]
    assert slots >= 2 and profile["resources"]["gpu"] == slots  # one GPU's slots, all usable


def test_the_gpu_request_comes_from_the_config_not_the_submitting_host():
    from gengap.gpus import GPURequestError, gpu_request

    assert gpu_request(True, "auto", local=False, cuda=False) == (1, "gpu: true in the config")
    assert gpu_request(False, "auto", local=True, cuda=True)[0] == 0
    assert gpu_request("auto", "auto", local=True, cuda=True)[0] == 1  # local: this host runs the jobs
    assert gpu_request("auto", "auto", local=True, cuda=False)[0] == 0
    count, why = gpu_request("auto", "auto", local=False, cuda=True)  # a cluster: a login node with CUDA
    assert count == 0 and "set gpu: true" in why
    assert gpu_request(True, "cpu", local=False, cuda=True)[0] == 0
    with pytest.raises(GPURequestError, match="device: cuda, but torch sees no CUDA device"):
        gpu_request("auto", "cuda", local=True, cuda=False)
    assert gpu_request("auto", "cuda", local=False, cuda=False) == (1, "device: cuda")  # the nodes must have one
