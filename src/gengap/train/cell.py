"""Training one cell from paths and plain values: the function the train rule calls."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch

import gengap
from gengap.atomic import load_torch, recorded_digest, save_json, save_parquet, save_torch
from gengap.data.augment import random_crop_batches
from gengap.data.preprocess import network_inputs
from gengap.models import build_model
from gengap.seeding import derive_seed
from gengap.evaluation import resolve_device
from gengap.train.checkpoint import Checkpoint
from gengap.train.loop import fit


def code_version() -> str | None:
    """``git describe`` of the checkout holding gengap, if it is one."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, cwd=Path(gengap.__file__).parent, timeout=10,
                              check=True).stdout.strip() or None
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


def model_options(settings: dict) -> dict:
    """Options of the settings that the model factory takes (regularization switches)."""
    return {"dropout": settings["dropout"]} if settings.get("dropout") else {}


def preferred_memory_format(net: torch.nn.Module, device: torch.device) -> torch.memory_format:
    """channels_last for convolutional nets on the CPU, else the default layout.

    Measured on the 2-core CPU (oneDNN), one epoch plus evaluation: alexnet_c8 0.48 -> 0.39 s,
    alexnet_c16 0.88 -> 0.69 s, inception_small 32 -> 22 s per 1024 MNIST images. Not measured on
    a GPU, so CUDA keeps the default layout. Only the layout changes, not the arithmetic's
    determinism: the same seed gives the same numbers run after run.
    """
    has_conv = any(isinstance(m, torch.nn.Conv2d) for m in net.modules())
    return torch.channels_last if has_conv and device.type == "cpu" else torch.contiguous_format


def load_model(record: dict, state_path: str | os.PathLike | None = None,
               device: str | torch.device = "cpu") -> torch.nn.Module:
    """Rebuild a cell's network from its record; load weights from ``state_path`` if given."""
    spec = record["model"]
    net = build_model(spec["name"], spec["input_shape"], spec["num_classes"], **spec["options"])
    if state_path is not None:
        net.load_state_dict(load_torch(state_path, map_location=device))
    return net.to(device)


def cell_identity(training_set_digest: str | None, code: str, model_name: str, settings: dict, seed: int) -> str:
    """What a cell's result depends on, as one key: the content of its training set, the digest
    of the code it runs, its model, settings and seed (no paths, no machine details)."""
    blob = json.dumps({"training_set": training_set_digest, "code": code, "model": model_name,
                       "settings": settings, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def train_cell(data_path, *, init_path, final_path, history_path, record_path, cell: dict,
               model_name: str, settings: dict, seed: int, device: str = "auto", code: str = "",
               threads: int | None = None, log=print, checkpoint_seconds: float = 600,
               progress_seconds: float = 5) -> dict:
    """Train ``model_name`` on the training set at ``data_path``; write weights, history, record.

    ``code`` is the digest of the code the cell runs (``gengap.provenance``); with the training
    set's content, the settings and the seed it makes the cell's identity, which keys the
    checkpoint (one from another identity is discarded, never resumed) and is recorded."""
    if threads:
        torch.set_num_threads(threads)
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # ~2x faster matmuls; training only
        torch.backends.cudnn.allow_tf32 = True
    started = dt.datetime.now(dt.timezone.utc)
    data = load_torch(data_path)
    data_digest = recorded_digest(data_path)  # verified just above
    identity = cell_identity(data_digest, code, model_name, settings, seed)
    stored = data["train_x"].to(dev)
    batch_inputs = None
    if settings.get("random_crop"):
        x, batch_inputs = random_crop_batches(stored, settings)
    else:
        x = network_inputs(stored, settings)
    y = data["train_y"].to(dev)
    spec = {"name": model_name, "input_shape": list(x.shape[1:]),
            "num_classes": int(data["num_classes"]), "options": model_options(settings)}
    torch.manual_seed(derive_seed(seed, "init", model_name))  # same init for every n and corruption
    net = build_model(spec["name"], spec["input_shape"], spec["num_classes"], **spec["options"]).to(dev)
    save_torch(net.state_dict(), init_path)
    layout = preferred_memory_format(net, dev)
    net = net.to(memory_format=layout)
    x = x.contiguous(memory_format=layout)
    log(f"cell {cell} on {dev}: {len(y)} training points, model {model_name}")
    checkpoint = Path(final_path).with_name("checkpoint.pt")
    outcome = fit(net, x, y, settings, seed=seed, log=log, checkpoint=checkpoint,
                  checkpoint_seconds=checkpoint_seconds, progress_seconds=progress_seconds,
                  batch_inputs=batch_inputs, identity=identity)
    save_torch(net.state_dict(), final_path)
    save_parquet(pd.DataFrame(outcome.history), history_path)
    record = {
        "cell": cell,
        "identity": {"key": identity, "training_set": data_digest, "code": code},
        "seed": seed,
        "model": spec,
        "settings": settings,
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
    save_json(record, record_path)
    Checkpoint(checkpoint, identity, checkpoint_seconds).remove()
    log(f"done: status {outcome.status}, {outcome.epochs} epochs, {outcome.steps} steps, "
        f"{outcome.wall_time_s:.1f}s")
    return record
