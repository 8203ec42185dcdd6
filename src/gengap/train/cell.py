"""Training one cell: the function the train rule calls."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

import gengap
from gengap.atomic import load_torch, recorded_digest, save_json, save_parquet, save_torch
from gengap.cell import Cell
from gengap.data.augment import random_crop_batches
from gengap.data.preprocess import network_inputs
from gengap.job import Job
from gengap.models import build_model
from gengap.seeding import derive_seed
from gengap.settings import TrainingSettings
from gengap.train.checkpoint import Checkpoint
from gengap.train.loop import fit


def code_version(package: str | os.PathLike | None = None) -> str | None:
    """``git describe --always --dirty`` of the checkout whose tracked files are the running
    gengap (``package``: its folder, by default the imported one); None when they are not a
    checkout's tracked files: an installed copy (even one in a virtual environment inside a
    checkout), files copied into another checkout, or no git. Recorded, never part of a cell's
    identity (that is the code's digest, ``gengap.provenance``)."""
    folder = Path(package or Path(gengap.__file__).parent).resolve()

    def git(*args: str) -> str:
        # fsmonitor off: no command named in a repository's config runs (git already refuses
        # repositories owned by another user)
        return subprocess.run(["git", "-c", "core.fsmonitor=false", *args], capture_output=True, text=True,
                              cwd=folder, timeout=10, check=True).stdout.strip()

    try:
        sources = sorted(str(f.relative_to(folder)) for f in folder.rglob("*.py"))
        tracked = set(git("ls-files", "--", *sources).splitlines())
        if not sources or tracked != set(sources):
            return None  # some of the code that runs is not this checkout's
        return git("describe", "--always", "--dirty") or None
    except Exception:
        return None


def environment(device: torch.device) -> dict:
    return {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "versions": {"gengap": gengap.__version__, "torch": torch.__version__,
                     "torchvision": importlib.metadata.version("torchvision"), "python": sys.version.split()[0]},
        "code_version": code_version(),
        "host": platform.node(),
        # where a scheduler put the job (machine details: recorded, never part of the identity)
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }


def preferred_memory_format(net: torch.nn.Module, device: torch.device) -> torch.memory_format:
    """channels_last for convolutional nets on the CPU, else the default layout.

    Measured on the 2-core CPU (oneDNN), one epoch plus evaluation: alexnet_c8 0.48 -> 0.39 s,
    alexnet_c16 0.88 -> 0.69 s, inception_small 32 -> 22 s per 1024 MNIST images. Not measured on
    a GPU, so CUDA keeps the default layout. Only the layout changes, not the arithmetic's
    determinism: the same seed gives the same numbers run after run.
    """
    has_conv = any(isinstance(m, torch.nn.Conv2d) for m in net.modules())
    return torch.channels_last if has_conv and device.type == "cpu" else torch.contiguous_format


def portable_weights(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``net``'s state as CPU tensors: ``torch.save`` records a tensor's device, so weights saved
    from a GPU would have other bytes, and another digest, than the same weights saved from the
    CPU. Saved this way, equal weights are equal files wherever they were trained (a measure job
    maps them to its own device when it loads them)."""
    state = net.state_dict()  # a fresh dict; keeps its type and the modules' version metadata
    for name, t in state.items():
        state[name] = t.cpu()
    return state


@dataclass(frozen=True)
class CellFiles:
    """What training a cell writes (the train rule's outputs); the checkpoint lives beside them."""

    init: Path
    final: Path
    history: Path
    record: Path

    @classmethod
    def in_folder(cls, folder: str | os.PathLike) -> "CellFiles":
        folder = Path(folder)
        return cls(folder / "init.pt", folder / "final.pt", folder / "history.parquet", folder / "record.json")

    @property
    def checkpoint(self) -> Path:
        return Path(self.final).with_name("checkpoint.pt")


def train_cell(cell: Cell, settings: TrainingSettings, data_path: str | os.PathLike, files: CellFiles, *,
               code: str = "", job: Job = Job()) -> dict:
    """Train ``cell.model`` on the training set at ``data_path``; write weights, history, record.

    ``code`` is the digest of the code the cell runs (``gengap.provenance``); with the training
    set's content, the settings and the seed it makes the cell's identity (``Cell.identity``),
    which keys the checkpoint (one from another identity is discarded, never resumed) and is
    recorded."""
    dev, log = job.device, job.log
    started = dt.datetime.now(dt.timezone.utc)
    data = load_torch(data_path)
    data_digest = recorded_digest(data_path)  # verified just above
    identity = cell.identity(settings, data_digest, code)
    stored = data["train_x"].to(dev)
    batch_inputs = None
    if settings.random_crop:
        x, batch_inputs = random_crop_batches(stored, settings)
    else:
        x = network_inputs(stored, settings)
    y = data["train_y"].to(dev)
    spec = {"name": cell.model, "input_shape": list(x.shape[1:]), "num_classes": int(data["num_classes"]),
            "options": {"dropout": settings.dropout} if settings.dropout else {}}
    torch.manual_seed(derive_seed(cell.seed, "init", cell.model))  # same init for every n and corruption
    net = build_model(spec["name"], spec["input_shape"], spec["num_classes"], **spec["options"]).to(dev)
    save_torch(portable_weights(net), files.init)
    layout = preferred_memory_format(net, dev)
    net = net.to(memory_format=layout)
    x = x.contiguous(memory_format=layout)
    log(f"cell {cell.key()} on {dev}: {len(y)} training points, model {cell.model}")
    outcome = fit(net, x, y, settings, seed=cell.seed, identity=identity, log=log, checkpoint=files.checkpoint,
                  checkpoint_seconds=job.checkpoint_seconds, progress_seconds=job.progress_seconds,
                  batch_inputs=batch_inputs)
    save_torch(portable_weights(net), files.final)
    save_parquet(pd.DataFrame(outcome.history), files.history)
    record = {
        "cell": cell.key(),
        "identity": {"key": identity, "training_set": data_digest, "code": code},
        # the weights this run wrote: a measure job checks that it reads these (gengap.measures.cell)
        "files": {"init": recorded_digest(files.init), "final": recorded_digest(files.final)},
        "seed": cell.seed,
        "model": spec,
        "settings": settings.identity(),
        "status": outcome.status,
        "epochs": outcome.epochs,
        "steps": outcome.steps,
        "steps_to_fit": outcome.steps_to_fit,
        "time_to_fit_s": outcome.time_to_fit_s,
        "wall_time_s": outcome.wall_time_s,
        "final": outcome.final,
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(),
        **environment(dev),
    }
    save_json(record, files.record)
    Checkpoint(files.checkpoint, identity, job.checkpoint_seconds).remove()
    log(f"done: status {outcome.status}, {outcome.epochs} epochs, {outcome.steps} steps, "
        f"{outcome.wall_time_s:.1f}s")
    return record
