"""Files between jobs: written atomically with a digest beside them, verified when read.

Writing: to a temporary name in the same folder, then renamed, so an interrupted job never
leaves a file that looks finished. The file honours the umask (colleagues on a shared file
system can read it), and its SHA-256 is written beside it as ``<file>.sha256`` (the format of
``sha256sum``, so ``sha256sum -c`` checks it too). A full disk is reported as
``No space left on device: <path>``.

Reading (``load_torch``, ``read_parquet``, ``read_json``): the file must match its recorded
digest. A file that does not (truncated, overwritten, or without a digest) is moved aside to
``<file>.corrupt`` (its digest removed) and ``CorruptFile`` names it. The job that read it fails;
Snakemake rebuilds the file in the next run that needs it, and each run names the files set aside
that no job has needed since (``set_aside_warning``). Nothing is ever made from a file set aside.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

SUFFIX = ".sha256"
LOW_DISK_BYTES = 16 << 20  # a write that fails with less free space than this blames the disk


class CorruptFile(RuntimeError):
    """A file that does not match the digest its writer recorded; the message says what to do."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def recorded_digest(path: str | os.PathLike) -> str | None:
    """The digest written beside ``path`` by its writer, or None."""
    try:
        return digest_path(path).read_text().split()[0]
    except (OSError, IndexError):
        return None


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
    except BaseException as err:
        _raise_if_disk_full(err, path)
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _raise_if_disk_full(err: BaseException, path: Path) -> None:
    """Libraries report a full disk in their own words (torch: 'enforce fail at
    inline_container.cc'); say what it is, with the file's path."""
    full = isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT)
    if not full and isinstance(err, (OSError, RuntimeError)):
        try:
            full = shutil.disk_usage(path.parent).free < LOW_DISK_BYTES
        except OSError:
            full = False
    if full:
        raise OSError(errno.ENOSPC, f"No space left on device: {path}") from err


@contextmanager
def atomic_path(path: str | os.PathLike, digest_beside: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; if the block succeeds, give it the umask's mode,
    rename it onto ``path`` and (``digest_beside``) record its digest beside it."""
    path = Path(path)
    with _temporary(path) as tmp:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        digest = file_digest(tmp) if digest_beside else None
        os.replace(tmp, path)
    if digest is None:
        return
    with _temporary(digest_path(path)) as tmp:
        tmp.write_text(f"{digest}  {path.name}\n")
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, digest_path(path))


def verify(path: str | os.PathLike) -> Path:
    """``path`` if it matches its recorded digest; else move it aside and raise ``CorruptFile``."""
    path = Path(path)
    quarantine = path.with_name(path.name + ".corrupt")
    earlier = CorruptFile(f"{path}: failed verification (moved aside to {quarantine.name}); rerun snakemake "
                          "and the job that writes it rebuilds it.")
    if not path.exists():
        if quarantine.exists():  # another job of this run found it first
            raise earlier
        raise FileNotFoundError(errno.ENOENT, "missing; rerun snakemake to rebuild it", str(path))
    expected = recorded_digest(path)
    if expected is None:
        problem = f"no digest beside it ({digest_path(path).name} is missing)"
    elif file_digest(path) != expected:
        problem = "its content does not match the digest its writer recorded (truncated or changed since)"
    else:
        return path
    try:
        os.replace(path, quarantine)
    except FileNotFoundError:  # moved aside by another job between the two lines
        raise earlier from None
    digest_path(path).unlink(missing_ok=True)
    raise CorruptFile(f"{path}: {problem}. Moved aside to {quarantine.name}; "
                      "rerun snakemake and the job that writes it rebuilds it.")


def set_aside(results_dir: str | os.PathLike) -> list[Path]:
    """Files below ``results_dir`` that failed verification and have not been made again (their
    ``.corrupt`` is there, the file is not), sorted."""
    return sorted(p.with_name(p.name.removesuffix(".corrupt")) for p in Path(results_dir).rglob("*.corrupt")
                  if not p.with_name(p.name.removesuffix(".corrupt")).exists())


def set_aside_warning(results_dir: str | os.PathLike, shown: int = 3) -> str | None:
    """What to tell a user whose run left files set aside that no job has needed since: Snakemake
    rebuilds a missing file only when a job needs it (``gengap.atomic.verify``)."""
    missing = set_aside(results_dir)
    if not missing:
        return None
    names = ", ".join(str(p) for p in missing[:shown]) + (f" and {len(missing) - shown} more" if len(missing) > shown else "")
    return (f"{len(missing)} file(s) failed verification and were moved aside (<file>.corrupt): {names}. "
            "What is present was made from them before the damage; each is rebuilt when a job needs it, "
            "or now with `snakemake --cores all all <file>`.")


SEAL = b"gengap sealed sha256 "  # the first line of a file that carries its own digest


def save_torch_sealed(obj: object, path: str | os.PathLike) -> None:
    """``torch.save`` of ``obj`` as one file that carries its own digest in its first line,
    written with one rename: whenever the writer is killed, the file is the old one or the new
    one, whole. (A file and its digest beside it are two renames; a kill between them leaves a
    new file with the old digest: a checkpoint lost.)"""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    payload = buffer.getvalue()
    with atomic_path(path, digest_beside=False) as tmp:
        tmp.write_bytes(SEAL + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def load_torch_sealed(path: str | os.PathLike, **kwargs):
    """``torch.load`` (``weights_only=True`` unless told otherwise) of a file ``save_torch_sealed``
    wrote; ``CorruptFile`` when it is not one or its content does not match its digest."""
    import torch

    data = Path(path).read_bytes()
    header, _, payload = data.partition(b"\n")
    if not header.startswith(SEAL):
        raise CorruptFile(f"{path}: not a sealed file (no digest in its first line)")
    if hashlib.sha256(payload).hexdigest().encode() != header[len(SEAL):]:
        raise CorruptFile(f"{path}: its content does not match the digest in its first line")
    kwargs.setdefault("weights_only", True)
    return torch.load(io.BytesIO(payload), **kwargs)


def save_torch(obj: object, path: str | os.PathLike) -> None:
    import torch  # here, not at the top: report jobs (tables, figures) never pay torch's ~2 s import

    buffer = io.BytesIO()  # saved from memory: the archive's inner name is then always "archive",
    torch.save(obj, buffer)  # not the temporary file's, so equal tensors give equal bytes
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def save_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, engine="pyarrow", index=False)


def save_json(obj: object, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def save_text(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def load_torch(path: str | os.PathLike, **kwargs):
    """``torch.load`` of a verified file (``weights_only=True`` unless told otherwise)."""
    import torch

    kwargs.setdefault("weights_only", True)
    return torch.load(verify(path), **kwargs)


def read_parquet(path: str | os.PathLike) -> pd.DataFrame:
    return pd.read_parquet(verify(path))


def read_json(path: str | os.PathLike):
    return json.loads(verify(path).read_text())
