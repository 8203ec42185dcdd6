"""Shared fixtures: the real data root (MNIST, Fashion-MNIST) and MNIST itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import shared_data_root


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = shared_data_root()
    if not (root / "MNIST" / "raw").is_dir():  # a checkout of its own: torchvision downloads them once
        import torchvision

        try:
            for name in ("MNIST", "FashionMNIST"):
                for train in (True, False):
                    getattr(torchvision.datasets, name)(root=str(root), train=train, download=True)
        except Exception as err:
            pytest.fail(f"MNIST not found under {root} and not downloadable ({err}); set GENGAP_DATA_ROOT "
                        "to a torchvision data root")
    return root


@pytest.fixture(scope="session")
def mnist(data_root) -> dict:
    from gengap.data.sources import load_dataset

    return load_dataset("mnist", data_root, download=False)
