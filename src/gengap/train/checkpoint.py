"""Resumable training: the state of a run, saved atomically and restored only by the same run.

A checkpoint carries the identity of the run that wrote it. One written under another identity
(other data, code, settings or seed) or one that cannot be read is discarded with a log line:
never resumed, never blocking the cell. It is read with ``weights_only=True``: it holds tensors,
numbers, strings and plain containers only, and a file that asks to build anything else (a
planted pickle, whatever digest it carries) is refused before any of it runs. The file carries
its own digest and is written with one rename (``gengap.atomic.save_torch_sealed``), so a run
killed while saving leaves the previous checkpoint or the new one, never a torn pair.

A checkpoint can fall inside an epoch (a batch-1 epoch of 32,768 points takes minutes, longer
than SLURM's 30 s between SIGTERM and SIGKILL): it then also holds the epoch's order of points,
the offset of the next batch and the loss summed so far, so that the resumed epoch takes the same
batches in the same order and ends with the same numbers.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from gengap.atomic import digest_path, load_torch_sealed, save_torch_sealed


@dataclass
class TrainingState:
    """Where a run is: epochs and steps done, seconds spent, the history so far and the last
    evaluation (what the record reports even when a resumed run has no epoch left to run); within
    an epoch, its order of points (``perm``), the offset of its next batch and its summed loss."""

    epoch: int = 0
    step: int = 0
    elapsed: float = 0.0
    history: list[dict] = field(default_factory=list)
    final: dict = field(default_factory=dict)
    perm: torch.Tensor | None = None  # None between epochs
    offset: int = 0
    loss_sum: torch.Tensor | None = None

    def where(self) -> str:
        if self.perm is None:
            return f"at epoch {self.epoch} (step {self.step})"
        return f"in epoch {self.epoch + 1} at point {self.offset:,} of {len(self.perm):,} (step {self.step})"


def _cuda_rng_state(device: torch.device) -> torch.Tensor | None:
    """The default generator of a CUDA device (dropout's there), None elsewhere."""
    return torch.cuda.get_rng_state(device) if device.type == "cuda" else None


class Checkpoint:
    """A run's checkpoint file (``path`` None: no checkpoints), saved every ``seconds``."""

    def __init__(self, path: str | os.PathLike | None, identity: str, seconds: float,
                 log: Callable[[str], None] = print):
        self.path = Path(path) if path else None
        self.identity, self.seconds, self.log = identity, seconds, log
        self.last = time.perf_counter()

    def restore(self, net: nn.Module, opt: torch.optim.Optimizer, batch_gen: torch.Generator,
                aug_gen: torch.Generator) -> TrainingState | None:
        """Load the saved state into the objects given; None when there is nothing to resume."""
        if self.path is None or not self.path.exists():
            return None
        try:
            # one file with its digest inside (a kill mid-save leaves the old or the new one, whole);
            # weights_only: tensors and plain containers only, so a planted file runs no code
            state = load_torch_sealed(self.path, weights_only=True, map_location=batch_gen.device)
        except Exception as err:  # truncated, corrupt, not plain data, or from an incompatible torch
            self.log(f"discarding unreadable checkpoint {self.path} ({type(err).__name__}: {err})")
            self.remove()
            return None
        if state.get("key") != self.identity:
            self.log(f"discarding checkpoint {self.path}: written by another run "
                     f"(identity {state.get('key')}, this run {self.identity})")
            self.remove()
            return None
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        batch_gen.set_state(state["batch_gen"].cpu())
        aug_gen.set_state(state["aug_gen"].cpu())
        torch.set_rng_state(state["cpu_rng"])
        if state.get("cuda_rng") is not None and batch_gen.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), batch_gen.device)  # dropout on the GPU draws from it
        run = TrainingState(state["epoch"], state["step"], state["elapsed"], state["history"], state["final"],
                            state.get("perm"), state.get("offset", 0), state.get("loss_sum"))
        self.log(f"resumed from checkpoint {run.where()}")
        return run

    def due(self) -> bool:
        """Whether ``seconds`` have passed since the last save (never without a file)."""
        return self.path is not None and time.perf_counter() - self.last >= self.seconds

    def maybe_save(self, run: TrainingState, net: nn.Module, opt: torch.optim.Optimizer,
                   batch_gen: torch.Generator, aug_gen: torch.Generator, force: bool = False) -> None:
        """Save when ``seconds`` have passed since the last save, or now when ``force``."""
        if self.path is None or not (force or self.due()):
            return
        save_torch_sealed({"key": self.identity, "net": net.state_dict(), "opt": opt.state_dict(),
                    "batch_gen": batch_gen.get_state(), "aug_gen": aug_gen.get_state(),
                    "cpu_rng": torch.get_rng_state(), "cuda_rng": _cuda_rng_state(batch_gen.device),
                    "epoch": run.epoch, "step": run.step,
                    "history": run.history, "elapsed": run.elapsed, "final": run.final,
                    "perm": run.perm, "offset": run.offset, "loss_sum": run.loss_sum}, self.path)
        self.last = time.perf_counter()

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            digest_path(self.path).unlink(missing_ok=True)  # beside a checkpoint of an older gengap
