"""Does a learning-rate schedule fit a corruption at full size? One cell per schedule, same data.

Trains ``--model`` on ``--n`` points of a decoded dataset (``results/datasets/<name>.pt``, as the
pipeline writes it) with ``--corruption`` under each schedule of ``--schedules`` and prints, per
schedule, whether the cell fitted (100 % training accuracy), after how many epochs, and the
training accuracy reached. Progress goes to stderr every minute.

    python benchmarks/schedule_check.py --dataset results/datasets/mnist.pt --model mlp_1x512 \\
        --n 50000 --corruption random_labels --max-epochs 300 --schedules paper constant

Schedules: ``paper`` = x0.95 per 50,000 examples (Zhang et al.: per CIFAR-10 epoch); ``constant``
= no decay; ``after99`` / ``after999`` = constant until training accuracy reaches 99 % / 99.9 %,
then the paper's decay (``lr_decay_after``; see README "Schedules at full size").
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from gengap.atomic import load_torch
from gengap.data.preprocess import network_inputs
from gengap.data.training_set import make_training_set
from gengap.models import build_model
from gengap.seeding import derive_seed
from gengap.settings import TrainingSettings
from gengap.train.loop import fit

SCHEDULES = {"paper": {"lr_decay": 0.95, "lr_decay_examples": 50_000}, "constant": {"lr_decay": 1.0},
             "after99": {"lr_decay": 0.95, "lr_decay_examples": 50_000, "lr_decay_after": 0.99},
             "after999": {"lr_decay": 0.95, "lr_decay_examples": 50_000, "lr_decay_after": 0.999}}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, help="a decoded dataset file (results/datasets/<name>.pt)")
    ap.add_argument("--model", default="mlp_1x512")
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--corruption", default="random_labels")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--max-epochs", type=int, default=300)
    ap.add_argument("--schedules", nargs="+", default=list(SCHEDULES), choices=list(SCHEDULES))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data = make_training_set(load_torch(args.dataset), args.n, args.seed, args.corruption)
    base = TrainingSettings(lr=args.lr, max_epochs=args.max_epochs)
    x = network_inputs(data["train_x"], base)
    print(f"{args.model} on {args.n} points of {data['dataset']}, {args.corruption}, lr {args.lr}, "
          f"cap {args.max_epochs} epochs, {torch.get_num_threads()} threads")
    for name in args.schedules:
        torch.manual_seed(derive_seed(args.seed, "init", args.model))
        net = build_model(args.model, tuple(x.shape[1:]), data["num_classes"])
        start = time.perf_counter()
        out = fit(net, x, data["train_y"], base.replace(**SCHEDULES[name]), seed=args.seed,
                  log=lambda m: print(f"  [{name}] {m}", file=sys.stderr, flush=True), progress_seconds=60)
        print(f"{name:>9}: {out.status}, {out.epochs} epochs, train accuracy {out.final['train_accuracy']:.4f}, "
              f"last lr {out.history[-1]['lr']:.2e}, {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
