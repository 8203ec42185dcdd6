"""A dataset's source identity: the content of its raw files, never a path (planning code: the
Snakefile asks it for the ``dataset_source`` rule's params; no job imports it, so changing how
identities are read reruns nothing by itself)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from gengap.data.sources import DATASETS, ENV_DATA_ROOT, file_stats, raw_digest, raw_files


class DataRootError(RuntimeError):
    """The data root names a folder without the dataset, and nothing decoded stands in for it."""


def data_identity(name: str, root: str | os.PathLike, results: str | os.PathLike,
                  warn: Callable[[str], None] = lambda msg: None) -> str:
    """The identity of a dataset's source: its content, never a path.

    Synthetic datasets: their name (the code makes them). Real ones: the SHA-256 of the raw
    files found under the data root, or ``download`` when none are there yet. The rule
    ``dataset_source`` writes this identity to ``<results>/datasets/<name>.source.json`` (the
    input of the decoding job), and the decoding job records what it read beside it
    (``<name>.read.json``). While the source keeps that content, the recorded identity is
    returned: moving the data, renaming the root or a download reruns nothing; changing the
    files' content reruns what depends on them.

    Raw files that cannot be found are not new content: while the decoded dataset exists with its
    digest, its recorded identity stands (``warn`` is told the root looked in) and nothing is
    decoded or downloaded again. Without a decoded dataset either: with ``$GENGAP_DATA_ROOT`` set
    (it names where the data is, and it is not there) a ``DataRootError`` names the root and the
    variable; unset, ``download`` (torchvision fetches it into the root).
    """
    info = DATASETS[name]
    folder = Path(results) / "datasets"
    recorded = _json_or_empty(folder / f"{name}.source.json").get("identity")
    read = _json_or_empty(folder / f"{name}.read.json")
    files = raw_files(info, root)
    decoded = folder / f"{name}.pt"
    if info.sample is None and not files:
        if recorded and decoded.exists() and Path(f"{decoded}.sha256").exists():
            warn(f"{name}: no raw files under the data root {root} ({ENV_DATA_ROOT}"
                 f"={os.environ.get(ENV_DATA_ROOT, '(unset)')}); keeping the decoded {decoded} "
                 f"(source {recorded}): nothing is decoded or downloaded again")
            return recorded
        if os.environ.get(ENV_DATA_ROOT):
            raise DataRootError(f"{name}: no raw files under {root} (set by {ENV_DATA_ROOT}) and no decoded "
                                f"{decoded}: point {ENV_DATA_ROOT} at the folder that holds {info.torchvision_class}/raw, "
                                "or unset it to download into the configured data_root")
    if info.sample is not None:
        current, fresh = "synthetic", f"synthetic {name}"
    elif not files:
        current, fresh = "download", f"download {info.torchvision_class}"
    else:
        stats = file_stats(files, root)
        current = read["raw"] if read.get("stats") == stats else raw_digest(files, root)
        fresh = f"raw {current}"
    return recorded if recorded and read.get("raw") == current else fresh


def _json_or_empty(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
