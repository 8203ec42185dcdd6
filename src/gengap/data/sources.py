"""Real datasets through torchvision, decoded once into a compact tensor file.

The tensor file holds uint8 images in [N, C, H, W] layout, int64 labels, and the per-channel
mean and std of the training images (pixel units, 0–255), which the ``gaussian`` corruption
needs. Later stages read only this file, never torchvision's raw files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision

from gengap.atomic import save_torch
from gengap.registry import Registry

ENV_DATA_ROOT = "GENGAP_DATA_ROOT"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    torchvision_class: str  # attribute of torchvision.datasets
    folder: str  # torchvision's sub-folder of the data root
    shape: tuple[int, int, int]  # C, H, W of one image as stored
    train_size: int
    test_size: int
    num_classes: int = 10


DATASETS: Registry[DatasetInfo] = Registry("dataset")
for _info in (
    DatasetInfo("mnist", "MNIST", "MNIST", (1, 28, 28), 60_000, 10_000),
    DatasetInfo("fashion_mnist", "FashionMNIST", "FashionMNIST", (1, 28, 28), 60_000, 10_000),
    DatasetInfo("cifar10", "CIFAR10", "cifar-10-batches-py", (3, 32, 32), 50_000, 10_000),
):
    DATASETS.register(_info.name)(_info)


class DatasetUnavailable(RuntimeError):
    """The dataset is neither in the data root nor downloadable."""


def data_root(configured: str | os.PathLike | None = None) -> Path:
    """``$GENGAP_DATA_ROOT`` if set, else the configured root, else ``data/``."""
    return Path(os.environ.get(ENV_DATA_ROOT) or configured or "data")


def _to_tensors(ds) -> tuple[torch.Tensor, torch.Tensor]:
    x = ds.data
    x = torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)  # -> N, C, H, W
    y = torch.as_tensor(ds.targets, dtype=torch.int64)
    return x.to(torch.uint8).contiguous(), y


def _open(info: DatasetInfo, root: Path, train: bool, download: bool):
    cls = getattr(torchvision.datasets, info.torchvision_class)
    return cls(root=str(root), train=train, download=download)


def load_dataset(name: str, root: str | os.PathLike, download: bool = True) -> dict:
    """Read a dataset with torchvision from ``root``; download it if missing and allowed.

    Raises ``DatasetUnavailable`` naming the dataset, the folder searched and how to supply it.
    """
    info = DATASETS[name]
    root = Path(root)
    splits = {}
    for split, train in (("train", True), ("test", False)):
        last_error = None
        try:
            ds = _open(info, root, train, download=False)
        except RuntimeError:
            ds = None
        if ds is None and download:
            try:
                ds = _open(info, root, train, download=True)
            except Exception as err:  # network errors come in many types
                last_error = err
        if ds is None:
            detail = f" (download failed: {last_error})" if download else ""
            raise DatasetUnavailable(
                f"dataset {name!r} ({info.torchvision_class}) was not found under "
                f"{(root / info.folder).resolve()}{detail}. Put torchvision's files there "
                f"({info.folder}/...), or point the data root elsewhere with the "
                f"{ENV_DATA_ROOT} environment variable or the 'data_root' config key."
            )
        splits[split] = _to_tensors(ds)
    (train_x, train_y), (test_x, test_y) = splits["train"], splits["test"]
    pixels = train_x.double()
    return {
        "name": name,
        "train_x": train_x,
        "train_y": train_y,
        "test_x": test_x,
        "test_y": test_y,
        "num_classes": info.num_classes,
        "channel_mean": pixels.mean(dim=(0, 2, 3)).float(),
        "channel_std": pixels.std(dim=(0, 2, 3)).float(),
    }


def prepare_dataset(name: str, root: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """Decode ``name`` once into the compact tensor file at ``out_path`` (atomic)."""
    save_torch(load_dataset(name, root), out_path)
