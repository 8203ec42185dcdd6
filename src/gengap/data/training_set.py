"""A cell's training set: a seeded subset of n points of a dataset, then one corruption."""

from __future__ import annotations

import os

import torch

from gengap.atomic import save_torch
from gengap.data.corruptions import apply_corruption, corruption_stream
from gengap.seeding import generator


def subset_indices(total: int, n: int, seed: int) -> torch.Tensor:
    """n distinct training indices drawn from ``seed``; the same for every corruption and model."""
    if not 1 <= n <= total:
        raise ValueError(f"n = {n} must be between 1 and the training set size {total}")
    return torch.randperm(total, generator=generator(seed, "subset", total))[:n]


def make_training_set(dataset: dict, n: int, seed: int, corruption: str) -> dict:
    idx = subset_indices(len(dataset["train_y"]), n, seed)
    out = apply_corruption(
        corruption,
        dataset["train_x"][idx],
        dataset["train_y"][idx],
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
        "clean_train_y": dataset["train_y"][idx],
        "test_x": out.test_x.contiguous(),
        "test_y": dataset["test_y"],
        "num_classes": dataset["num_classes"],
    }


def write_training_set(dataset_path: str | os.PathLike, n: int, seed: int, corruption: str,
                       out_path: str | os.PathLike) -> None:
    dataset = torch.load(dataset_path, weights_only=True)
    save_torch(make_training_set(dataset, n, seed, corruption), out_path)
