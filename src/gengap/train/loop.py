"""The training loop shared by every suite: minibatch SGD until a stopping rule.

The whole training set lives on the device as one tensor; each epoch draws a permutation on the
device and batches are index slices of it, so no DataLoader or host transfer is in the hot path.
The mean training loss is accumulated on the device and read once per epoch (one sync per epoch,
not per batch). After each evaluation the stopping rule looks at the full training set in eval
mode. A non-finite loss ends the run with status ``diverged`` instead of raising; a run that
reaches the epoch cap after losing the fit it had is ``collapsed``, not ``max_epochs``.

A run can be killed at any time: a checkpoint (weights, optimizer, random states, history) is
written atomically every ``checkpoint_seconds``, within an epoch too, and a restarted run with the
same identity resumes from it, giving the same result as an uninterrupted run
(``gengap.train.checkpoint``). SIGTERM is honoured after the batch it arrives in: a checkpoint,
then exit 143.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, ContextManager

import torch
from torch import nn

from gengap.evaluation import evaluate
from gengap.job import Job
from gengap.joblog import deferred_termination, stop_after_sigterm, termination_requested
from gengap.seeding import derive_seed
from gengap.settings import BATCH_ORDERS, TrainingSettings
from gengap.train.checkpoint import Checkpoint, TrainingState
from gengap.train.losses import LOSSES
from gengap.train.precision import training_precision
from gengap.train.schedules import decay_start, lr_at_step
from gengap.train.stopping import should_stop

Log = Callable[[str], None]
BatchInputs = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class TrainOutcome:
    status: str  # fitted | max_epochs | collapsed | diverged
    epochs: int
    steps: int
    steps_to_fit: int | None
    wall_time_s: float
    time_to_fit_s: float | None
    final: dict = field(default_factory=dict)  # last evaluation: loss, accuracy, margins
    history: list[dict] = field(default_factory=list)


def batch_order(n: int, name: str, device) -> torch.Tensor | None:
    """The order every epoch takes the training set in when it is fixed (``fixed``: as drawn,
    batch i = points i*batch_size.., as Nagarajan & Kolter's code); None for ``reshuffle`` (a new
    permutation each epoch)."""
    if name not in BATCH_ORDERS:
        raise ValueError(f"batch_order = {name!r}; allowed: {', '.join(BATCH_ORDERS)}")
    return torch.arange(n, device=device) if name == "fixed" else None


class Schedule:
    """The learning rate of every step (``gengap.train.schedules``); with ``lr_decay_after`` the
    decay starts at the first evaluation that reaches it, read from the history (so a resumed run
    continues the same schedule)."""

    def __init__(self, settings: TrainingSettings, history: list[dict]):
        self.settings = settings
        self.start = decay_start(history, settings.lr_decay_after)

    def evaluated(self, history: list[dict]) -> None:
        if math.isinf(self.start):
            self.start = decay_start(history, self.settings.lr_decay_after)

    def lr(self, step: int) -> float:
        s = self.settings
        return lr_at_step(step, lr=s.lr, batch_size=s.batch_size, decay=s.lr_decay,
                          decay_examples=s.lr_decay_examples, start=self.start)


def sgd_epoch(net: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
              perm: torch.Tensor, batch_size: int, loss_fn, lr_of_step: Callable[[int], float],
              step: int, batch_inputs: BatchInputs | None, aug_gen: torch.Generator,
              autocast: Callable[[], ContextManager] = contextlib.nullcontext, *, offset: int = 0,
              loss_sum: torch.Tensor | None = None,
              pause: Callable[[], bool] | None = None) -> tuple[torch.Tensor, int, int]:
    """Minibatch SGD over ``perm`` from ``offset``, adding to ``loss_sum``; returns the summed loss
    (on the device), the step and the offset reached: ``len(perm)`` at the end of the epoch, less
    when ``pause()``, asked after every batch but the last, said to stop there."""
    net.train()
    if loss_sum is None:
        loss_sum = torch.zeros((), device=x.device)
    for i in range(offset, len(perm), batch_size):
        idx = perm[i : i + batch_size]
        for group in opt.param_groups:
            group["lr"] = lr_of_step(step)
        xb = batch_inputs(idx, aug_gen) if batch_inputs else x[idx]
        with autocast():
            loss = loss_fn(net(xb), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.detach() * len(idx)
        step += 1
        if pause is not None and i + batch_size < len(perm) and pause():
            return loss_sum, step, i + batch_size
    return loss_sum, step, len(perm)


def collapsed(history: list[dict], chance: float, fitted_accuracy: float = 0.9) -> bool:
    """Whether a run that reached the epoch cap had fitted and then lost it: some evaluation's
    training accuracy reached ``fitted_accuracy`` and the last one is nearer ``chance`` (the most
    common label's share) than that best. Such a run ends at or near chance; its last weights are
    not the fitted network a ``max_epochs`` cell's are (an unstable step after a fit, seen on
    Fashion-MNIST), so it is reported apart."""
    accuracies = [row["train_accuracy"] for row in history if "train_accuracy" in row]
    if not accuracies or max(accuracies) < fitted_accuracy:
        return False
    return accuracies[-1] - chance < max(accuracies) - accuracies[-1]


class ProgressLog:
    """A progress line at the first epoch, at the end, and every ``seconds`` in between, within an
    epoch too when one epoch outlasts ``seconds``."""

    def __init__(self, log: Log, seconds: float):
        self.log, self.seconds, self.last = log, seconds, time.perf_counter()

    def due(self) -> bool:
        return time.perf_counter() - self.last >= self.seconds

    def within_epoch(self, run: TrainingState, seconds: float) -> None:
        if self.due():
            self.log(f"  in epoch {run.epoch + 1}: {run.offset:,} of {len(run.perm):,} points, "
                     f"step {run.step} ({seconds:.1f}s)")
            self.last = time.perf_counter()

    def epoch(self, row: dict, force: bool = False) -> None:
        now = time.perf_counter()
        if force or row["epoch"] == 1 or now - self.last >= self.seconds:
            self.log(f"epoch {row['epoch']:5d} step {row['step']:7d} loss {row['train_loss']:.4f} "
                     f"train acc {row['train_accuracy']:.4f} lr {row['lr']:.3g} ({row['wall_time_s']:.1f}s)")
            self.last = now


def fit(net: nn.Module, x: torch.Tensor, y: torch.Tensor, settings: TrainingSettings, *, seed: int,
        identity: str = "", log: Log = print, checkpoint: str | os.PathLike | None = None,
        checkpoint_seconds: float = Job.checkpoint_seconds, progress_seconds: float = Job.progress_seconds,
        batch_inputs: BatchInputs | None = None) -> TrainOutcome:
    """Train ``net`` in place on device tensors ``x``, ``y`` with SGD until the stopping rule
    (``settings.stop``) or the epoch cap.

    ``x`` is what evaluation sees; ``batch_inputs(idx, gen)``, when given, makes the training
    batches instead of ``x[idx]`` (random crops, drawn from a generator of their own).
    ``identity`` (the cell's) keys the checkpoint: one written under another identity is never
    resumed, so a checkpoint needs one.
    """
    if checkpoint is not None and not identity:
        raise ValueError("a checkpoint needs the identity of the run it belongs to")
    n, s, device = len(y), settings, x.device
    loss_fn = LOSSES[s.loss]
    opt = torch.optim.SGD(net.parameters(), lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
    batch_gen = torch.Generator(device=device)
    batch_gen.manual_seed(derive_seed(seed, "batches"))
    aug_gen = torch.Generator(device=device)
    aug_gen.manual_seed(derive_seed(seed, "augment"))

    saver = Checkpoint(checkpoint, identity, checkpoint_seconds, log)
    run = saver.restore(net, opt, batch_gen, aug_gen) or TrainingState()
    schedule = Schedule(s, run.history)
    order = batch_order(n, s.batch_order, device)
    start = time.perf_counter() - run.elapsed
    progress = ProgressLog(log, progress_seconds)
    status, fit_at = "max_epochs", None

    def pause() -> bool:  # after a batch: stop the epoch here for a SIGTERM, a checkpoint or a progress line
        return termination_requested() or saver.due() or progress.due()

    def save(force: bool) -> None:  # and after a SIGTERM, stop
        run.elapsed = time.perf_counter() - start
        saver.maybe_save(run, net, opt, batch_gen, aug_gen, force=force)
        if force:
            stop_after_sigterm(log, f"checkpoint saved {run.where()}; the next attempt resumes there"
                               if saver.path else "no checkpoint file to resume from")

    # SIGTERM (scancel, time limit): checkpoint, then stop
    with deferred_termination(), training_precision(s.precision, device) as autocast:
        while run.epoch < s.max_epochs:
            if run.perm is None:  # a new epoch (else one resumed or paused within)
                run.perm = order if order is not None else torch.randperm(n, generator=batch_gen, device=device)
                run.offset, run.loss_sum = 0, None
            run.loss_sum, run.step, run.offset = sgd_epoch(
                net, opt, x, y, run.perm, s.batch_size, loss_fn, schedule.lr, run.step, batch_inputs, aug_gen,
                autocast, offset=run.offset, loss_sum=run.loss_sum, pause=pause)
            if run.offset < n:  # paused within the epoch
                save(force=termination_requested())
                progress.within_epoch(run, time.perf_counter() - start)
                continue
            loss_sum, run.perm, run.offset, run.loss_sum = run.loss_sum, None, 0, None
            run.epoch += 1
            train_loss = (loss_sum / n).item()  # the one host sync of the epoch
            row = {"epoch": run.epoch, "step": run.step, "train_loss": train_loss,
                   "lr": schedule.lr(run.step - 1), "wall_time_s": time.perf_counter() - start}
            run.history.append(row)
            if not math.isfinite(train_loss):
                status = "diverged"
                log(f"epoch {run.epoch}: loss {train_loss} is not finite; stopping (diverged)")
                break
            if run.epoch % s.eval_every == 0 or run.epoch == s.max_epochs:
                stats = evaluate(net, x, y, loss_fn)
                run.final = {"train_eval_loss": stats.loss, "train_accuracy": stats.accuracy,
                             "margin_median": stats.margins.median().item()}
                row.update(run.final)
                schedule.evaluated(run.history)
                done = should_stop(stats, s.stop)
                progress.epoch(row, force=done)
                if not math.isfinite(stats.loss):
                    status = "diverged"
                    break
                if done:
                    status, fit_at = "fitted", row["wall_time_s"]
                    break
            save(force=termination_requested())

    if status == "max_epochs" and collapsed(run.history, chance=torch.bincount(y.cpu()).max().item() / n):
        status = "collapsed"
        log(f"stopped at the epoch cap ({run.epoch}): the fit was lost (best training accuracy "
            f"{max(r.get('train_accuracy', 0) for r in run.history):.4f}, last {run.final['train_accuracy']:.4f})")
    elif status == "max_epochs":
        log(f"stopped at the epoch cap ({run.epoch}) without meeting the stopping rule {s.stop}")
    return TrainOutcome(status=status, epochs=run.epoch, steps=run.step,
                        steps_to_fit=run.step if status == "fitted" else None,
                        wall_time_s=time.perf_counter() - start, time_to_fit_s=fit_at,
                        final=run.final, history=run.history)
