"""Shared fixtures: the real data root (MNIST, Fashion-MNIST) and small synthetic datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    return Path(os.environ.get("GENGAP_DATA_ROOT") or REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = shared_data_root()
    if not (root / "MNIST" / "raw").is_dir():
        pytest.fail(f"MNIST not found under {root}; set GENGAP_DATA_ROOT to a torchvision data root")
    return root


@pytest.fixture(scope="session")
def mnist(data_root) -> dict:
    from gengap.data.sources import load_dataset

    return load_dataset("mnist", data_root, download=False)


def synthetic_dataset(n_train=600, n_test=100, shape=(3, 8, 8), num_classes=10, seed=0) -> dict:
    """A random uint8 dataset in the layout of gengap's dataset files."""
    g = torch.Generator().manual_seed(seed)
    train_x = torch.randint(0, 256, (n_train, *shape), generator=g, dtype=torch.uint8)
    pixels = train_x.double()
    return {
        "name": "synthetic",
        "train_x": train_x,
        "train_y": torch.randint(num_classes, (n_train,), generator=g),
        "test_x": torch.randint(0, 256, (n_test, *shape), generator=g, dtype=torch.uint8),
        "test_y": torch.randint(num_classes, (n_test,), generator=g),
        "num_classes": num_classes,
        "channel_mean": pixels.mean(dim=(0, 2, 3)).float(),
        "channel_std": pixels.std(dim=(0, 2, 3)).float(),
    }
