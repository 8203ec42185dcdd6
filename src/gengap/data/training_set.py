"""A cell's training set: a seeded subset of n points of a dataset, then one corruption."""

from __future__ import annotations

import os

import torch

from gengap.atomic import load_torch, save_torch
from gengap.cell import SAMPLINGS
from gengap.data.sources import DATASETS
from gengap.data.corruptions import apply_corruption, corruption_stream
from gengap.seeding import generator



def subset_indices(total: int, n: int, seed: int, draw: int = 1, sampling: str = "distinct") -> torch.Tensor:
    """n training indices drawn from ``seed`` (and ``draw``: 2 is an independent second sample of
    the same size); the same for every corruption and model. ``distinct``: n different points;
    ``replacement``: n uniform draws with replacement (``np.random.randint(55000, size=n)`` in
    Nagarajan & Kolter's code), so n may exceed ``total`` and points may repeat."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling = {sampling!r}; allowed: {', '.join(SAMPLINGS)}")
    if sampling == "replacement":
        if n < 1:
            raise ValueError(f"n = {n} must be at least 1")
        return torch.randint(total, (n,), generator=generator(seed, "replacement", total, draw))
    if not 1 <= n <= total:
        raise ValueError(f"n = {n} must be between 1 and the training set size {total} "
                         "(or draw with replacement: sampling: replacement)")
    return torch.randperm(total, generator=generator(seed, "subset", total, draw))[:n]


def make_training_set(dataset: dict, n: int, seed: int, corruption: str, draw: int = 1,
                      sampling: str = "distinct") -> dict:
    info = DATASETS[dataset["name"]] if dataset["name"] in DATASETS else None
    if info is not None and info.sample is not None:  # synthetic: fresh points, not a subset
        idx = torch.arange(n)
        train_x, train_y = info.sample(n, generator(seed, "sample", draw))
    else:
        idx = subset_indices(len(dataset["train_y"]), n, seed, draw, sampling)
        train_x, train_y = dataset["train_x"][idx], dataset["train_y"][idx]
    out = apply_corruption(
        corruption,
        train_x,
        train_y,
        dataset["test_x"],
        gen=generator(seed, "corruption", corruption_stream(corruption)),
        num_classes=dataset["num_classes"],
        channel_mean=dataset["channel_mean"],
        channel_std=dataset["channel_std"],
    )
    return {
        "dataset": dataset["name"],
        "corruption": corruption,
        "n": n,
        "seed": seed,
        "indices": idx,
        "train_x": out.train_x.contiguous(),
        "train_y": out.train_y.contiguous(),
        "draw": draw,
        "sampling": sampling,
        "clean_train_y": train_y,
        "test_x": out.test_x.contiguous(),
        "test_y": dataset["test_y"],
        "num_classes": out.num_classes or dataset["num_classes"],
    }


def write_training_set(dataset_path: str | os.PathLike, n: int, seed: int, corruption: str,
                       out_path: str | os.PathLike, draw: int = 1, sampling: str = "distinct") -> None:
    dataset = load_torch(dataset_path)
    save_torch(make_training_set(dataset, n, seed, corruption, draw, sampling), out_path)
