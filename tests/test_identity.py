"""Results you can trust after a failure: content identity, verified files, clear messages,
config values that are accepted only when they mean what they say."""

import copy
import errno
import os
from pathlib import Path

import pytest
import torch

from gengap import atomic
from gengap import config as plan
from gengap.data import sources
from gengap.data.identity import DataRootError, data_identity
from gengap.train.checkpoint import Checkpoint
from helpers import REPO, shared_data_root
from workflow_helpers import TINY_CONFIG


# --- files: digests, verification, modes, full disks ---------------------------------------------

def test_written_files_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.save_json({"a": 1}, tmp_path / "shared.json")
        os.umask(0o077)
        atomic.save_json({"a": 1}, tmp_path / "private.json")
    finally:
        os.umask(old)
    assert (tmp_path / "shared.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "shared.json.sha256").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600


def test_a_truncated_file_is_named_moved_aside_and_never_read(tmp_path):
    path = tmp_path / "final.pt"
    atomic.save_torch({"w": torch.arange(1000.0)}, path)
    assert (tmp_path / "final.pt.sha256").read_text().split() == [atomic.file_digest(path), "final.pt"]
    assert atomic.load_torch(path)["w"][-1] == 999
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(atomic.CorruptFile, match=f"{path}: its content does not match") as err:
        atomic.load_torch(path)
    assert "rerun snakemake" in str(err.value)
    assert (tmp_path / "final.pt.corrupt").exists() and not (tmp_path / "final.pt.sha256").exists()
    # nothing left in its place: the failed job's outputs are gone, so the next run needs the file
    # and runs its writer (test_damage.py); another job of this run reading it is told the same
    assert not path.exists()
    with pytest.raises(atomic.CorruptFile, match="failed verification .moved aside to final.pt.corrupt"):
        atomic.load_torch(path)


def test_a_file_without_its_digest_is_not_trusted(tmp_path):
    path = tmp_path / "summary.parquet"
    import pandas as pd

    pd.DataFrame({"a": [1]}).to_parquet(path)  # written by something else than gengap
    with pytest.raises(atomic.CorruptFile, match="summary.parquet.sha256 is missing"):
        atomic.read_parquet(path)


def test_a_full_disk_is_named_with_the_path(tmp_path, monkeypatch):
    """torch.save serialises in memory; the file write is what meets the full disk."""
    real_write = Path.write_bytes

    def full(self, data):
        if self.name.endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError, match=f"No space left on device: {tmp_path / 'init.pt'}"):
        atomic.save_torch({}, tmp_path / "init.pt")
    assert list(tmp_path.iterdir()) == []  # no temporary left behind


# --- checkpoints ---------------------------------------------------------------------------------

def _training_objects():
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    return net, opt, torch.Generator(), torch.Generator()


def test_a_run_killed_right_after_any_rename_of_a_checkpoint_save_resumes_from_it(tmp_path, monkeypatch):
    """The kill test's fault, made exact: a checkpoint and its digest beside it were two renames,
    and a run killed between them left a new checkpoint with the old digest, discarded on resume
    (seen in test_damage's kill test: 'discarding unreadable checkpoint')."""
    from gengap.train.checkpoint import TrainingState

    path = tmp_path / "checkpoint.pt"
    saver = Checkpoint(path, "identity-a", 0, print)
    saver.maybe_save(TrainingState(epoch=3, step=30), *_training_objects())
    real = os.replace

    def killed_after(src, dst):
        real(src, dst)
        raise KeyboardInterrupt  # the process ends right after this rename

    monkeypatch.setattr(os, "replace", killed_after)
    with pytest.raises(KeyboardInterrupt):
        saver.maybe_save(TrainingState(epoch=4, step=40), *_training_objects(), force=True)
    monkeypatch.undo()
    logged = []
    assert Checkpoint(path, "identity-a", 0, logged.append).restore(*_training_objects()).epoch == 4, logged


def test_a_checkpoint_of_another_identity_or_a_corrupt_one_is_discarded(tmp_path):
    from gengap.train.checkpoint import TrainingState

    path = tmp_path / "checkpoint.pt"
    logged = []
    saver = Checkpoint(path, "identity-a", 0, logged.append)
    saver.maybe_save(TrainingState(epoch=3, step=30), *_training_objects())
    assert Checkpoint(path, "identity-a", 0, logged.append).restore(*_training_objects()).epoch == 3
    assert Checkpoint(path, "identity-b", 0, logged.append).restore(*_training_objects()) is None
    assert "written by another run" in logged[-1] and not path.exists()
    saver.maybe_save(TrainingState(epoch=3, step=30), *_training_objects())
    path.write_bytes(path.read_bytes()[:100])  # killed while the disk was full, say
    assert Checkpoint(path, "identity-a", 0, logged.append).restore(*_training_objects()) is None
    assert "discarding unreadable checkpoint" in logged[-1] and not path.exists()


# --- data: content, not locations; clear messages ------------------------------------------------

def test_data_identity_is_content_not_location(tmp_path):
    root = shared_data_root()
    other = tmp_path / "elsewhere"
    (other / "MNIST").mkdir(parents=True)
    (other / "MNIST" / "raw").symlink_to(root / "MNIST" / "raw")  # the same files by another path
    results = tmp_path / "results"
    assert data_identity("mnist", root, results) == data_identity("mnist", other, results)
    assert data_identity("hypersphere_d20", root, results) == "synthetic hypersphere_d20"



def test_a_missing_data_root_keeps_the_decoded_dataset_or_names_the_root(tmp_path, monkeypatch):
    results, empty, shared = tmp_path / "results", tmp_path / "empty", shared_data_root()
    monkeypatch.delenv(sources.ENV_DATA_ROOT, raising=False)
    assert data_identity("mnist", empty, results) == "download MNIST"  # a first run: torchvision downloads
    monkeypatch.setenv(sources.ENV_DATA_ROOT, str(empty))  # the variable names a folder without the data
    with pytest.raises(DataRootError, match=f"no raw files under {empty} \\(set by GENGAP_DATA_ROOT\\)"):
        data_identity("mnist", empty, results)
    # a finished run: the decoded dataset and its recorded identity stand, with a warning
    identity = data_identity("mnist", shared, results)
    atomic.save_json({"identity": identity}, results / "datasets" / "mnist.source.json")
    sources.prepare_dataset("mnist", shared, results / "datasets" / "mnist.pt")
    warnings = []
    for env in (str(empty), None):
        if env is None:
            monkeypatch.delenv(sources.ENV_DATA_ROOT)
        assert data_identity("mnist", empty, results, warn=warnings.append) == identity
    assert len(warnings) == 2 and "keeping the decoded" in warnings[0] and str(empty) in warnings[0]


def test_a_downloaded_dataset_keeps_its_identity_until_its_content_changes(tmp_path):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (shared_data_root() / "MNIST" / "raw").iterdir():
        (raw / f.name).symlink_to(f)
    results = tmp_path / "results"
    # as after a download: the source was "download MNIST", and the decoding job recorded what it read
    atomic.save_json({"identity": "download MNIST"}, results / "datasets" / "mnist.source.json")
    sources.prepare_dataset("mnist", tmp_path / "data", results / "datasets" / "mnist.pt")
    assert data_identity("mnist", tmp_path / "data", results) == "download MNIST"
    labels = raw / "t10k-labels-idx1-ubyte"
    content = bytearray(labels.read_bytes())
    labels.unlink()
    content[-1] = (content[-1] + 1) % 10  # one test label changed
    labels.write_bytes(bytes(content))
    assert data_identity("mnist", tmp_path / "data", results).startswith("raw ")


def test_a_truncated_raw_file_is_named(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (shared_data_root() / "MNIST" / "raw").iterdir():
        (raw / f.name).symlink_to(f)
    images = raw / "train-images-idx3-ubyte"
    data = images.read_bytes()
    images.unlink()
    images.write_bytes(data[: len(data) // 2])
    with pytest.raises(sources.DatasetUnavailable, match="train-images-idx3-ubyte: truncated or damaged"):
        sources.load_dataset("mnist", tmp_path)


# --- config files and values ---------------------------------------------------------------------

def test_yaml_syntax_errors_and_duplicate_keys_name_file_and_line(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("suites:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(plan.ConfigError, match=f"{bad}, line 3, column 4"):
        plan.read_yaml(bad)
    bad.write_text("results_dir: a\nsuites: {}\nresults_dir: b\n")
    with pytest.raises(plan.ConfigError, match=r"line 3, column 1: key 'results_dir' appears twice \(first on line 1\)"):
        plan.read_yaml(bad)


def suite(**changes) -> dict:
    config = copy.deepcopy(TINY_CONFIG)
    config["suites"]["randomization"].update(changes)
    return config


WRONG = {
    "empty results_dir": (dict(TINY_CONFIG, results_dir=""), "results_dir: '' should be non-empty"),
    "duplicate seeds": (suite(seeds=[0, 0]), "suites.randomization.seeds: [0, 0] has non-unique elements"),
    "duplicate corruptions": (suite(corruptions=["true", "true"]), "suites.randomization.corruptions"),
    "two spellings of p": (suite(corruptions=["labels@0.50"]), "write 'labels@0.50' as 'labels@0.5'"),
    "zero width": (suite(models=["mlp_1x0"]), "unknown model 'mlp_1x0'"),
    "zero dimensions": (suite(datasets=["gaussian_d0"]), "unknown dataset 'gaussian_d0'"),
    "crop larger than the image": (dict(suite(), training={"crop_size": 32}),
                                   "crop_size = 32 (model mlp_1x512, regularization none) is larger than the "
                                   "mnist images (28x28)"),
}


@pytest.mark.parametrize("case", WRONG)
def test_config_values_that_would_run_wrong_are_refused(case):
    config, message = WRONG[case]
    with pytest.raises(plan.ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        plan.prepare(copy.deepcopy(config))


def test_a_users_configfile_wins_over_the_preset():
    config = plan.deep_merge(TINY_CONFIG, {"presets": {"quick": {"suites": {"randomization": {"n": [64]}}}}})
    user = {"suites": {"randomization": {"n": [100]}}}
    merged = plan.deep_merge(config, user)  # what Snakemake hands the Snakefile
    assert plan.prepare(dict(merged, preset="quick"), overrides=user)["suites"]["randomization"]["n"] == [100]
    assert plan.prepare(dict(merged, preset="quick"), overrides={})["suites"]["randomization"]["n"] == [64]


def test_the_repository_config_reads_strictly():
    assert plan.read_yaml(REPO / "config.yaml")["suites"]["hypersphere"]["training"]["lr"] == 0.5  # merge keys work


def test_a_file_set_aside_and_not_made_again_is_named(tmp_path):
    path = tmp_path / "cells" / "a" / "final.pt"
    atomic.save_torch({"w": torch.zeros(3)}, path)
    assert atomic.set_aside_warning(tmp_path) is None
    path.write_bytes(b"damaged")
    with pytest.raises(atomic.CorruptFile):
        atomic.load_torch(path)
    assert atomic.set_aside(tmp_path) == [path]
    assert f"1 file(s) failed verification and were moved aside (<file>.corrupt): {path}." in atomic.set_aside_warning(tmp_path)
    atomic.save_torch({"w": torch.zeros(3)}, path)  # made again: nothing to say
    assert atomic.set_aside(tmp_path) == [] and atomic.set_aside_warning(tmp_path) is None
