"""The training loop shared by every suite.

The whole training set lives on the device as one tensor; each epoch draws a permutation on the
device and batches are index slices of it, so no DataLoader or host transfer is in the hot path.
The mean training loss is accumulated on the device and read once per epoch (one sync per epoch,
not per batch). After each evaluation the stopping rule looks at the full training set in eval
mode. A non-finite loss ends the run with status ``diverged`` instead of raising.

A run can be killed at any time: a checkpoint (weights, optimizer, random states, history) is
written atomically every ``checkpoint_seconds`` and a restarted run with the same settings
resumes from it, giving the same result as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gengap.atomic import save_torch
from gengap.seeding import derive_seed
from gengap.train.losses import LOSSES
from gengap.train.schedules import lr_at_step
from gengap.train.stopping import EvalStats, should_stop

Log = Callable[[str], None]


def resolve_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but torch sees no CUDA device")
    return torch.device(requested)


def margins_of(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """f(x)_y - max_{j != y} f(x)_j for every row."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.scatter(1, y[:, None], float("-inf"))
    return true - others.max(dim=1).values


@torch.no_grad()
def predict(net: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Logits for every row of ``x`` in eval mode (restores the previous mode)."""
    was_training = net.training
    net.eval()
    out = torch.cat([net(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    net.train(was_training)
    return out


def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> EvalStats:
    logits = predict(net, x).float()
    return EvalStats(
        loss=F.cross_entropy(logits, y).item(),
        accuracy=(logits.argmax(1) == y).float().mean().item(),
        margins=margins_of(logits, y),
    )


@dataclass
class TrainOutcome:
    status: str  # fitted | max_epochs | diverged
    epochs: int
    steps: int
    steps_to_fit: int | None
    wall_time_s: float
    time_to_fit_s: float | None
    final: dict = field(default_factory=dict)  # last evaluation: loss, accuracy, margins
    history: list[dict] = field(default_factory=list)


def settings_key(settings: dict, seed: int) -> str:
    """Identity of a run, stored in its checkpoint so a resume never mixes two runs."""
    blob = json.dumps({"settings": settings, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, settings: dict, *, seed: int,
        log: Log = print, checkpoint: str | os.PathLike | None = None,
        checkpoint_seconds: float = 600, progress_seconds: float = 5,
        batch_inputs: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None) -> TrainOutcome:
    """Train ``net`` in place on device tensors ``x``, ``y`` with SGD until the stopping rule.

    ``settings`` keys: lr, momentum, weight_decay, batch_size, lr_decay, lr_decay_examples,
    max_epochs, eval_every, loss (default cross_entropy), stop (a dict with ``criterion`` and its options).
    ``x`` is what evaluation sees; ``batch_inputs(idx, gen)``, when given, makes the training
    batches instead of ``x[idx]`` (random crops, drawn from a generator of their own).
    """
    n, bs = len(y), int(settings["batch_size"])
    device = x.device
    opt = torch.optim.SGD(net.parameters(), lr=settings["lr"], momentum=settings["momentum"],
                          weight_decay=settings["weight_decay"])
    batch_gen = torch.Generator(device=device)
    batch_gen.manual_seed(derive_seed(seed, "batches"))
    aug_gen = torch.Generator(device=device)
    aug_gen.manual_seed(derive_seed(seed, "augment"))
    key = settings_key(settings, seed)
    history: list[dict] = []
    epoch, step, elapsed, fit_at = 0, 0, 0.0, None
    if checkpoint and Path(checkpoint).exists():
        state = torch.load(checkpoint, weights_only=False, map_location=device)
        if state.get("key") == key:
            net.load_state_dict(state["net"])
            opt.load_state_dict(state["opt"])
            batch_gen.set_state(state["batch_gen"].cpu())
            aug_gen.set_state(state["aug_gen"].cpu())
            torch.set_rng_state(state["cpu_rng"])
            epoch, step, elapsed, history = state["epoch"], state["step"], state["elapsed"], state["history"]
            log(f"resumed from checkpoint at epoch {epoch} (step {step})")
        else:
            log("ignoring a checkpoint written with other settings")

    loss_fn = LOSSES[settings.get("loss", "cross_entropy")]
    lr_kwargs = dict(lr=settings["lr"], batch_size=bs, decay=settings["lr_decay"],
                     decay_examples=settings["lr_decay_examples"])
    eval_every = int(settings.get("eval_every", 1))
    start = time.perf_counter() - elapsed
    last_ckpt = last_log = time.perf_counter()
    status, final = "max_epochs", {}

    while epoch < settings["max_epochs"]:
        net.train()
        perm = torch.randperm(n, generator=batch_gen, device=device)
        loss_sum = torch.zeros((), device=device)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            for group in opt.param_groups:
                group["lr"] = lr_at_step(step, **lr_kwargs)
            xb = batch_inputs(idx, aug_gen) if batch_inputs else x[idx]
            loss = loss_fn(net(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * len(idx)
            step += 1
        epoch += 1
        train_loss = (loss_sum / n).item()  # the one host sync of the epoch
        row = {"epoch": epoch, "step": step, "train_loss": train_loss,
               "lr": lr_at_step(step - 1, **lr_kwargs), "wall_time_s": time.perf_counter() - start}
        if not math.isfinite(train_loss):
            history.append(row)
            status = "diverged"
            log(f"epoch {epoch}: loss {train_loss} is not finite; stopping (diverged)")
            break
        if epoch % eval_every == 0 or epoch == settings["max_epochs"]:
            stats = evaluate(net, x, y)
            final = {"train_eval_loss": stats.loss, "train_accuracy": stats.accuracy,
                     "margin_median": stats.margins.median().item()}
            row.update(final)
            history.append(row)
            now = time.perf_counter()
            done = should_stop(stats, settings["stop"])
            if done or now - last_log >= progress_seconds or epoch == 1:
                log(f"epoch {epoch:5d} step {step:7d} loss {train_loss:.4f} "
                    f"train acc {stats.accuracy:.4f} lr {row['lr']:.3g} ({row['wall_time_s']:.1f}s)")
                last_log = now
            if not math.isfinite(stats.loss):
                status = "diverged"
                break
            if done:
                status, fit_at = "fitted", row["wall_time_s"]
                break
        else:
            history.append(row)
        if checkpoint and time.perf_counter() - last_ckpt >= checkpoint_seconds:
            save_torch({"key": key, "net": net.state_dict(), "opt": opt.state_dict(),
                        "batch_gen": batch_gen.get_state(), "aug_gen": aug_gen.get_state(),
                        "cpu_rng": torch.get_rng_state(),
                        "epoch": epoch, "step": step, "history": history,
                        "elapsed": time.perf_counter() - start}, checkpoint)
            last_ckpt = time.perf_counter()

    if status == "max_epochs":
        log(f"stopped at the epoch cap ({epoch}) without meeting the stopping rule {settings['stop']}")
    return TrainOutcome(status=status, epochs=epoch, steps=step,
                        steps_to_fit=step if status == "fitted" else None,
                        wall_time_s=time.perf_counter() - start, time_to_fit_s=fit_at,
                        final=final, history=history)
