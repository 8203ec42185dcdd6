"""Plain helpers of the tests (fixtures are in conftest.py): paths and small synthetic data."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """The torchvision data root holding MNIST and Fashion-MNIST: $GENGAP_DATA_ROOT, else
    ../shared/data where it holds them, else the checkout's data/ (where torchvision downloads)."""
    if os.environ.get("GENGAP_DATA_ROOT"):
        return Path(os.environ["GENGAP_DATA_ROOT"]).resolve()
    shared = REPO.parent / "shared" / "data"
    return (shared if (shared / "MNIST" / "raw").is_dir() else REPO / "data").resolve()


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


def wait_for(predicate, timeout: float = 30) -> bool:
    """Poll ``predicate`` every 0.1 s until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def warm_runtime(folder: Path) -> tuple[dict, Path]:
    """A private ``$XDG_RUNTIME_DIR`` (``folder``, made 0700) for warm-job tests: the variable to
    give a job, and the socket where ``gengap.warm`` then looks for this interpreter's server."""
    from unittest import mock

    from gengap import warm

    folder.mkdir(mode=0o700, exist_ok=True)
    env = {"XDG_RUNTIME_DIR": str(folder)}
    with mock.patch.dict(os.environ, env):
        path = warm.socket_path()
    assert path, f"{folder}: too long a path for a socket"
    return env, Path(path)
