"""Real datasets through torchvision, decoded once into a compact tensor file.

The tensor file holds uint8 images in [N, C, H, W] layout, int64 labels, and the per-channel
mean and std of the training images (pixel units, 0–255), which the ``gaussian`` corruption
needs. Later stages read only this file, never torchvision's raw files.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gengap.atomic import file_digest, save_json, save_torch
from gengap.registry import Registry
from gengap.seeding import generator

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
    # Synthetic datasets: sample(n, generator) -> (x, y); training sets are fresh samples.
    sample: Callable[[int, torch.Generator], tuple[torch.Tensor, torch.Tensor]] | None = None


DATASETS: Registry[DatasetInfo] = Registry("dataset")
for _info in (
    DatasetInfo("mnist", "MNIST", "MNIST", (1, 28, 28), 60_000, 10_000),
    DatasetInfo("fashion_mnist", "FashionMNIST", "FashionMNIST", (1, 28, 28), 60_000, 10_000),
    DatasetInfo("cifar10", "CIFAR10", "cifar-10-batches-py", (3, 32, 32), 50_000, 10_000),
):
    DATASETS.register(_info.name)(_info)


HYPERSPHERE_RADII = (1.0, 1.1)


def sample_hyperspheres(d: int, n: int, gen: torch.Generator, radii=HYPERSPHERE_RADII):
    """n points, half uniform on the sphere of radius radii[0] (class 0) and half on radii[1]
    (class 1) in R^d, in random order (SPEC 1.3). Drawn with a CPU generator so that a seed gives
    the same points on every machine."""
    y = torch.arange(n) % 2
    y = y[torch.randperm(n, generator=gen)]
    z = torch.randn(n, d, generator=gen, dtype=torch.float64)
    r = torch.tensor(radii, dtype=torch.float64)[y]
    x = z / z.norm(dim=1, keepdim=True) * r[:, None]
    return x.float().reshape(n, 1, 1, d), y


@DATASETS.register_pattern(r"hypersphere_d([1-9]\d*)", "hypersphere_d<dim> (dim >= 1)")
def hypersphere(d: str) -> DatasetInfo:
    """Two concentric spheres (radius 1 and 1.1) in ``d`` dimensions; any n can be drawn."""
    dim = int(d)
    return DatasetInfo(f"hypersphere_d{dim}", "", "", (1, 1, dim), train_size=2**31 - 1,
                       test_size=10_000, num_classes=2,
                       sample=lambda n, gen: sample_hyperspheres(dim, n, gen))


@DATASETS.register_pattern(r"hypersphere_d([1-9]\d*)_outer([1-9]\d{2,})",
                           "hypersphere_d<dim>_outer<percent> (dim >= 1, outer radius in % of the inner, > 100)")
def hypersphere_with_gap(d: str, outer: str) -> DatasetInfo:
    """Two concentric spheres in ``d`` dimensions, radius 1 and ``outer`` / 100 (Nagarajan's
    notebook: d = 100, radii 1 and 1.2, ``hypersphere_d100_outer120``); any n can be drawn."""
    dim, radii = int(d), (1.0, int(outer) / 100)
    if radii[1] <= radii[0]:
        raise ValueError(f"hypersphere_d{dim}_outer{outer}: the outer radius must exceed the inner (> 100 %)")
    return DatasetInfo(f"hypersphere_d{dim}_outer{outer}", "", "", (1, 1, dim), train_size=2**31 - 1,
                       test_size=10_000, num_classes=2,
                       sample=lambda n, gen: sample_hyperspheres(dim, n, gen, radii))


def hypersphere_radii(name: str) -> tuple[float, float]:
    """The two radii of a hypersphere dataset, from its name."""
    outer = name.rsplit("_outer", 1)[1] if "_outer" in name else None
    return (1.0, int(outer) / 100) if outer else HYPERSPHERE_RADII


@DATASETS.register_pattern(r"gaussian_d([1-9]\d*)", "gaussian_d<dim> (dim >= 1)")
def gaussian_points(d: str) -> DatasetInfo:
    """Standard Gaussian points in ``d`` dimensions with uniform labels on 10 classes."""
    dim = int(d)

    def sample(n, gen):
        return torch.randn(n, 1, 1, dim, generator=gen), torch.randint(10, (n,), generator=gen)

    return DatasetInfo(f"gaussian_d{dim}", "", "", (1, 1, dim), train_size=2**31 - 1,
                       test_size=1_000, num_classes=10, sample=sample)


class DatasetUnavailable(RuntimeError):
    """The dataset is neither in the data root nor downloadable, or its files cannot be read."""


class ModifiedData(DatasetUnavailable):
    """Raw files that are not the published ones: numbers from them are not the papers' data."""


# The files torchvision reads, as published: SHA-256 of MNIST's and Fashion-MNIST's uncompressed
# idx files (the MNIST label counts 5923, 6742, ... / 980, 1135, ... check out on these). CIFAR-10
# is checked against torchvision's own MD5 list of its batches.
CANONICAL_SHA256 = {
    "mnist": {
        "raw/train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "raw/train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "raw/t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "raw/t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion_mnist": {
        "raw/train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "raw/train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "raw/t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "raw/t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
# Where each split's labels are, under the dataset's folder (named in a label range error).
LABEL_FILES = {"train": "raw/train-labels-idx1-ubyte", "test": "raw/t10k-labels-idx1-ubyte"}


def _canonical(info: DatasetInfo) -> dict[str, tuple[str, str]]:
    """{file under the dataset's folder: (hash algorithm, published digest)}."""
    if info.name in CANONICAL_SHA256:
        return {f: ("sha256", d) for f, d in CANONICAL_SHA256[info.name].items()}
    if info.torchvision_class == "CIFAR10":
        import torchvision

        cls = torchvision.datasets.CIFAR10
        return {f: ("md5", d) for f, d in [*cls.train_list, *cls.test_list, (cls.meta["filename"], cls.meta["md5"])]}
    return {}


def modified_files(name: str, root: str | os.PathLike) -> list[str]:
    """The raw files of a dataset under ``root`` that differ from the published ones (a missing
    one is torchvision's to report)."""
    info = DATASETS[name]
    out = []
    for rel, (algorithm, expected) in sorted(_canonical(info).items()):
        path = Path(root) / info.folder / rel
        if path.exists() and file_digest(path, algorithm) != expected:
            out.append(str(path))
    return out


def _check_labels(y: torch.Tensor, info: DatasetInfo, root: Path, split: str) -> None:
    bad = ((y < 0) | (y >= info.num_classes)).nonzero()
    if len(bad):
        i = int(bad[0])
        where = root / info.folder / LABEL_FILES[split] if info.name in CANONICAL_SHA256 else root / info.folder
        raise DatasetUnavailable(f"{where}: {split} label {int(y[i])} at index {i} is outside 0..{info.num_classes - 1} "
                                 f"({len(bad)} such labels); the file is damaged or not {info.torchvision_class}")


def data_root(configured: str | os.PathLike | None = None) -> Path:
    """``$GENGAP_DATA_ROOT`` if set, else the configured root, else ``data/``."""
    return Path(os.environ.get(ENV_DATA_ROOT) or configured or "data")


def absolute_data_root_env() -> None:
    """Make a relative ``$GENGAP_DATA_ROOT`` absolute, against the folder the user started from:
    every process started from here (jobs, a benchmark's Snakemake in a folder of its own) then
    reads the same data root."""
    root = os.environ.get(ENV_DATA_ROOT)
    if root and not os.path.isabs(root):
        os.environ[ENV_DATA_ROOT] = os.path.abspath(root)


def _to_tensors(ds) -> tuple[torch.Tensor, torch.Tensor]:
    x = ds.data
    x = torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)  # -> N, C, H, W
    y = torch.as_tensor(ds.targets, dtype=torch.int64)
    return x.to(torch.uint8).contiguous(), y


def _open(info: DatasetInfo, root: Path, train: bool, download: bool):
    import torchvision  # slow to import (~2 s): only the job that decodes a dataset needs it

    cls = getattr(torchvision.datasets, info.torchvision_class)
    return cls(root=str(root), train=train, download=download)


IDX_ITEM_BYTES = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}


def check_idx_file(path: Path) -> None:
    """An uncompressed idx file (MNIST's format) must be as long as its header says."""
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in IDX_ITEM_BYTES:
            raise DatasetUnavailable(f"{path}: not an idx file (bad header); replace it with a good copy, "
                                     "or delete it to let torchvision download it again")
        dims = np.frombuffer(f.read(4 * head[3]), dtype=">u4")
    expected = 4 + 4 * head[3] + int(np.prod(dims, dtype=np.int64)) * IDX_ITEM_BYTES[head[2]]
    size = path.stat().st_size
    if size != expected:
        raise DatasetUnavailable(f"{path}: truncated or damaged ({size} bytes; its header describes "
                                 f"{expected}). Replace it with a good copy, or delete it to let "
                                 "torchvision download it again.")


def raw_files(info: DatasetInfo, root: str | os.PathLike) -> list[Path]:
    """The files of a torchvision dataset under the data root (empty when it is not there)."""
    folder = Path(root) / info.folder
    if not info.folder or not folder.is_dir():
        return []
    return sorted(Path(d) / f for d, _, files in os.walk(folder, followlinks=True) for f in files)


def file_stats(files: list[Path], root) -> list:
    """(path under the root, size, mtime and ctime in ns, device and inode) of each raw file: how
    a later run tells, without reading them, that the raw files it hashed are unchanged
    (gengap.data.identity). The ctime cannot be set back by a user: a change that keeps size and
    mtime still changes it, and the files are hashed again."""
    out = []
    for p in files:
        st = p.stat()
        out.append([str(p.relative_to(root)), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_dev, st.st_ino])
    return out


def raw_digest(files: list[Path], root) -> str:
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(root)).encode())
        h.update(file_digest(p).encode())
    return h.hexdigest()[:16]


def load_dataset(name: str, root: str | os.PathLike, download: bool = True) -> dict:
    """Read a dataset with torchvision from ``root``; download it if missing and allowed.

    Raises ``DatasetUnavailable`` naming the dataset, the folder searched and how to supply it.
    """
    info = DATASETS[name]
    if info.sample is not None:
        return synthetic_dataset(info)
    root = Path(root)
    for path in raw_files(info, root):
        if "idx" in path.name and path.suffix != ".gz":
            check_idx_file(path)
    splits = {}
    for split, train in (("train", True), ("test", False)):
        last_error = None
        try:
            ds = _open(info, root, train, download=False)
        except RuntimeError as err:
            if raw_files(info, root) and not download:
                raise DatasetUnavailable(f"{(root / info.folder).resolve()}: torchvision could not read "
                                         f"dataset {name!r} from these files ({err})") from None
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
        _check_labels(splits[split][1], info, root, split)
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


def synthetic_dataset(info: DatasetInfo) -> dict:
    """A synthetic dataset's file: its test set (from a fixed seed); training sets are drawn per cell."""
    test_x, test_y = info.sample(info.test_size, generator(0, "test", info.name))
    channels = info.shape[0]
    return {"name": info.name, "train_x": torch.empty(0, *info.shape), "train_y": torch.empty(0, dtype=torch.int64),
            "test_x": test_x, "test_y": test_y, "num_classes": info.num_classes,
            "channel_mean": torch.zeros(channels), "channel_std": torch.ones(channels)}


def prepare_dataset(name: str, root: str | os.PathLike, out_path: str | os.PathLike,
                    allow_modified: bool = False, log: Callable[[str], None] = print) -> None:
    """Decode ``name`` once into the compact tensor file at ``out_path`` (atomic), and record
    beside it what was read (``<name>.read.json``: the raw files' digest, see
    ``gengap.data.identity``, and which of them differ from the published files).

    Raw files that are not the published ones raise ``ModifiedData`` naming them, unless
    ``allow_modified`` (the config's ``allow_modified_data``): then they are decoded, and every
    verdict against the papers made from them says so (``gengap.report.paper``)."""
    data = load_dataset(name, root)
    modified = modified_files(name, root)
    if modified and not allow_modified:
        raise ModifiedData(f"{name}: {', '.join(modified)} differ from the published files: numbers "
                           "from them are not the papers' data. Restore the original files, or set "
                           "allow_modified_data: true in the config to use them anyway (every verdict "
                           "against the papers then says 'modified data').")
    if modified:
        log(f"warning: {name} is modified data ({', '.join(modified)}); verdicts will say so")
    save_torch(data, out_path)
    info = DATASETS[name]
    files = raw_files(info, root)
    raw = "synthetic" if info.sample is not None else raw_digest(files, root)
    save_json({"raw": raw, "stats": file_stats(files, root), "modified": [str(Path(m).relative_to(root)) for m in modified]},
              read_record(out_path, name))


def read_record(dataset_path: str | os.PathLike, name: str) -> Path:
    """``<name>.read.json`` beside a decoded dataset: what its decoding read."""
    return Path(dataset_path).with_name(f"{name}.read.json")
