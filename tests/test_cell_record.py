"""What a trained cell records about where its code and weights came from (``gengap.train.cell``):
``code_version`` names a commit only for a checkout's own tracked files, and weight files do not
depend on the device they were trained on."""

import io
import hashlib
import subprocess
from pathlib import Path

import pytest
import torch

import gengap

from gengap.models import build_model
from gengap.train.cell import code_version, portable_weights
from helpers import REPO


def git(cwd, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    """A checkout whose commit holds a package ``pkg`` (two modules) and ignores ``.venv``."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("X = 1\n")
    (tmp_path / ".gitignore").write_text(".venv/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def test_code_version_names_the_commit_of_a_checkouts_own_files(checkout):
    head = git(checkout, "rev-parse", "--short", "HEAD")
    assert code_version(checkout / "pkg") == head
    (checkout / "pkg" / "a.py").write_text("X = 2\n")
    assert code_version(checkout / "pkg") == f"{head}-dirty"


def test_code_version_names_no_commit_for_code_the_checkout_does_not_track(checkout, tmp_path_factory):
    # files copied into another checkout (what a lent GPU's copy did: the record named that
    # checkout's commit), an installed copy in a virtual environment inside a checkout, no checkout
    (checkout / "pkg" / "copied.py").write_text("Y = 1\n")
    assert code_version(checkout / "pkg") is None
    installed = checkout / ".venv" / "lib" / "pkg"
    installed.mkdir(parents=True)
    (installed / "__init__.py").write_text("")
    assert code_version(installed) is None
    alone = tmp_path_factory.mktemp("alone")
    (alone / "__init__.py").write_text("")
    assert code_version(alone) is None


def test_the_running_gengap_is_described_when_it_is_this_checkouts():
    here = Path(gengap.__file__).resolve().parent == REPO / "src" / "gengap"  # an editable install
    assert (code_version() is not None) == here
    if here:
        assert code_version().split("-")[0] in subprocess.run(
            ["git", "describe", "--always"], cwd=REPO, capture_output=True, text=True).stdout


def _bytes(obj) -> str:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def test_weights_saved_from_the_cpu_keep_their_bytes():
    # cells trained before weights were made portable keep their files' digests
    torch.manual_seed(0)
    net = build_model("mlp_1x512", (1, 1, 20), 10)
    assert _bytes(portable_weights(net)) == _bytes(net.state_dict())
    net.load_state_dict(portable_weights(net))  # loads back, version metadata included


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_weights_saved_from_a_gpu_are_the_cpus_bytes():
    torch.manual_seed(0)
    net = build_model("mlp_1x512", (1, 1, 20), 10)
    on_cpu = _bytes(portable_weights(net))
    assert _bytes(portable_weights(net.cuda())) == on_cpu
    assert _bytes(net.state_dict()) != on_cpu  # what the files were before: the device recorded
