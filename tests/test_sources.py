import hashlib
import pickle

import numpy as np
import pytest
import torch
import torchvision

from gengap.data.preprocess import to_inputs
from gengap.data.sources import DatasetUnavailable, data_root, load_dataset, prepare_dataset


def test_mnist_is_decoded_to_uint8_nchw(mnist):
    assert mnist["train_x"].shape == (60_000, 1, 28, 28) and mnist["train_x"].dtype == torch.uint8
    assert mnist["test_x"].shape == (10_000, 1, 28, 28)
    assert mnist["train_y"].dtype == torch.int64 and set(mnist["train_y"].unique().tolist()) == set(range(10))
    assert mnist["channel_mean"].item() == pytest.approx(0.1307 * 255, rel=1e-3)  # the well-known MNIST stats
    assert mnist["channel_std"].item() == pytest.approx(0.3081 * 255, rel=1e-3)


def test_fashion_mnist_loads(data_root):
    ds = load_dataset("fashion_mnist", data_root, download=False)
    assert ds["train_x"].shape == (60_000, 1, 28, 28) and len(ds["test_y"]) == 10_000


def test_prepared_file_round_trips(tmp_path, data_root, mnist):
    prepare_dataset("mnist", data_root, tmp_path / "mnist.pt")
    ds = torch.load(tmp_path / "mnist.pt", weights_only=True)
    assert torch.equal(ds["train_x"], mnist["train_x"]) and torch.equal(ds["test_y"], mnist["test_y"])
    assert not list(tmp_path.glob(".*tmp"))  # no temporary left behind


def test_missing_dataset_names_dataset_folder_and_remedy(tmp_path, monkeypatch):
    def no_network(self, *a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(DatasetUnavailable) as err:
        load_dataset("mnist", tmp_path, download=True)
    msg = str(err.value)
    assert "'mnist'" in msg and str(tmp_path / "MNIST") in msg
    assert "network unreachable" in msg and "GENGAP_DATA_ROOT" in msg and "data_root" in msg


def test_data_root_prefers_the_environment(monkeypatch):
    monkeypatch.setenv("GENGAP_DATA_ROOT", "/somewhere")
    assert str(data_root("configured")) == "/somewhere"
    monkeypatch.delenv("GENGAP_DATA_ROOT")
    assert str(data_root("configured")) == "configured" and str(data_root(None)) == "data"


def write_tiny_cifar(root, per_batch=3, monkeypatch=None):
    """CIFAR-10's python pickle format, tiny; torchvision's md5 table points at these files."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    batches = {}
    for name in names:
        batch = {"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, per_batch).tolist()}
        (folder / name).write_bytes(pickle.dumps(batch))
        batches[name] = batch
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}))
    md5 = {n: hashlib.md5((folder / n).read_bytes()).hexdigest() for n in [*names, "batches.meta"]}
    cls = torchvision.datasets.CIFAR10
    monkeypatch.setattr(cls, "train_list", [[n, md5[n]] for n in names[:5]])
    monkeypatch.setattr(cls, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(cls, "meta", dict(cls.meta, md5=md5["batches.meta"]))
    return batches


def test_cifar10_pickles_decode_to_nchw_with_the_right_pixels(tmp_path, monkeypatch):
    batches = write_tiny_cifar(tmp_path, monkeypatch=monkeypatch)
    ds = load_dataset("cifar10", tmp_path, download=False)
    assert ds["train_x"].shape == (15, 3, 32, 32) and ds["test_x"].shape == (3, 3, 32, 32)
    raw = batches["data_batch_2"]["data"][1]  # 4th training image: row-major channel planes
    img = ds["train_x"][4]
    assert img[0, 0, 0] == raw[0] and img[1, 2, 5] == raw[1024 + 2 * 32 + 5] and img[2, 31, 31] == raw[3071]
    assert ds["train_y"][4] == batches["data_batch_2"]["labels"][1]
    assert ds["channel_mean"].shape == (3,)


def test_corrupt_cifar_file_is_refused(tmp_path, monkeypatch):
    write_tiny_cifar(tmp_path, monkeypatch=monkeypatch)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"garbage")
    with pytest.raises(DatasetUnavailable, match="cifar10"):
        load_dataset("cifar10", tmp_path, download=False)


def test_per_image_standardization():
    x = torch.randint(0, 256, (5, 3, 4, 4), dtype=torch.uint8)
    z = to_inputs(x, "standardize").flatten(1)
    assert torch.allclose(z.mean(1), torch.zeros(5), atol=1e-5)
    assert torch.allclose(z.std(1, correction=0), torch.ones(5), atol=1e-4)
    flat = to_inputs(torch.full((1, 1, 2, 2), 7, dtype=torch.uint8), "standardize")
    assert torch.equal(flat, torch.zeros(1, 1, 2, 2))  # std floored at 1/sqrt(#values), no division by 0
    assert torch.allclose(to_inputs(x, "scale01"), x.float() / 255)
