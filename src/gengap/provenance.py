"""Content digests of the code behind each pipeline stage.

Rules receive these digests as ``params``, so editing the code behind a job (and only that
code) makes the job stale. Unlike file modification times they survive a fresh clone or a
``git checkout``, and editing one model family or one corruption does not rerun the others.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from pathlib import Path


def source_digest(*objects: object) -> str:
    """Short hash of the source code of functions, classes or modules."""
    h = hashlib.sha256()
    for obj in objects:
        h.update(inspect.getsource(obj).encode())  # type: ignore[arg-type]
    return h.hexdigest()[:16]


def package_digest(*names: str) -> str:
    """Short hash of every ``.py`` file of the named modules or packages (sorted by path)."""
    files: list[Path] = []
    for name in names:
        mod = importlib.import_module(name)
        if hasattr(mod, "__path__"):
            files += sorted(Path(mod.__path__[0]).rglob("*.py"))
        else:
            files.append(Path(mod.__file__))
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


# The code each stage depends on (beyond its per-item digests).
STAGE_CODE = {
    "dataset": ("gengap.data.sources",),
    "train": ("gengap.train", "gengap.data.preprocess", "gengap.data.augment"),
    "measure": ("gengap.measures", "gengap.data.preprocess", "gengap.data.augment"),
    "summary": ("gengap.report.summary",),
    "figures": ("gengap.report.figures", "gengap.report.slopes"),
    "slopes": ("gengap.report.slopes",),
    "tables": ("gengap.report.tables",),
    "overview": ("gengap.report.overview", "gengap.report.tables"),
    "theory": ("gengap.suites", "gengap.data.preprocess", "gengap.data.training_set"),
}


def stage_digest(stage: str) -> str:
    return package_digest(*STAGE_CODE[stage])
