"""The finished part of a long run as a preset of its own (gengap.interim): the cut preset runs
exactly the measured cells, through the same config layering Snakemake applies."""

import copy

import pytest
import yaml

from gengap import interim
from gengap.config import ConfigError, cells, deep_merge, load, prepare, read_yaml
from helpers import REPO

CONFIG = REPO / "config.yaml"
PRESET, SUITE = "nk_batch_cpu", "bounds_vs_batch"


def _measure(results, cell):
    folder = results / "cells" / cell.path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measures.parquet").write_bytes(b"")


def _as_snakemake_sees_it(preset_file):
    """config.yaml, then ``--configfile preset.yaml``, then ``--config preset=<name>_interim``."""
    layer = yaml.safe_load(preset_file.read_text())
    name = next(iter(layer["presets"]))
    overrides = deep_merge(layer, {"preset": name})
    return prepare(deep_merge(read_yaml(CONFIG), overrides), overrides=overrides)


def test_the_interim_preset_runs_exactly_the_measured_cells(tmp_path):
    full = load(CONFIG, PRESET)
    every = cells(full, SUITE)
    batch1 = [c for c in every if c.reg == "b1"]
    mapped = [c for c in every if c.reg != "b1"]
    # batch 1 measured at n = 128 and 256 and partly at 512; the map wholly at 2,048, partly at 512
    done = [c for c in batch1 if c.n in (128, 256)] + [c for c in batch1 if c.n == 512][:3]
    done += [c for c in mapped if c.n == 2048] + [c for c in mapped if c.n == 512][:-1]
    for c in done:
        _measure(tmp_path, c)

    preset_only, whole, others = interim.interim(tmp_path, CONFIG, PRESET, SUITE, "n")

    blocks = preset_only["presets"][PRESET + "_interim"]["suites"][SUITE]["blocks"]
    assert [(b["n"], b["regularization"]) for b in blocks] == [([128, 256], ["b1"]), ([2048], ["b4", "b16", "b64"])]
    assert others == ["hypersphere_notebook"]  # not measured here: the interim run would train it
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(preset_only))
    cut = cells(_as_snakemake_sees_it(path), SUITE)
    expected = [c for c in every if (c.reg == "b1" and c.n in (128, 256)) or (c.reg != "b1" and c.n == 2048)]
    assert sorted(cut) == sorted(expected)
    assert all((tmp_path / "cells" / c.path / "measures.parquet").is_file() for c in cut)
    # the whole config the publication names holds the same preset
    assert whole["presets"][PRESET + "_interim"] == preset_only["presets"][PRESET + "_interim"]


def test_a_block_with_nothing_finished_is_dropped(tmp_path):
    for c in cells(load(CONFIG, PRESET), SUITE):
        if c.reg == "b1" and c.n == 128:
            _measure(tmp_path, c)
    preset_only, _, _ = interim.interim(tmp_path, CONFIG, PRESET, SUITE, "n")
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(preset_only))
    config = _as_snakemake_sees_it(path)
    assert config["suites"][SUITE]["n"] == [128]
    assert {(c.n, c.reg) for c in cells(config, SUITE)} == {(128, "b1")}


def test_nothing_finished_or_a_bad_axis_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no value of n has every cell of suite bounds_vs_batch measured"):
        interim.interim(tmp_path, CONFIG, PRESET, SUITE, "n")
    with pytest.raises(ConfigError, match="cannot be cut"):
        interim.interim(tmp_path, CONFIG, PRESET, SUITE, "draws")
    with pytest.raises(ConfigError, match="has no suite 'kernel'"):
        interim.interim(tmp_path, CONFIG, PRESET, "kernel", "n")


def test_the_command_line_writes_both_files(tmp_path, capsys):
    full = load(CONFIG, PRESET)
    for c in cells(full, SUITE):
        if c.seed == 0 or c.reg == "b1":
            _measure(tmp_path, c)
    interim.main([str(tmp_path), "--config", str(CONFIG), "--preset", PRESET, "--suite", SUITE,
                  "--axis", "seeds", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert "seeds [0, 1, 2] x regularization ['b1']" in out.out
    assert "seeds [0] x regularization ['b4', 'b16', 'b64']" in out.out
    assert "--config preset=nk_batch_cpu_interim" in out.out
    assert "hypersphere_notebook is not finished" in out.err
    whole = read_yaml(tmp_path / "out" / "config.yaml")
    assert PRESET + "_interim" in whole["presets"] and PRESET in whole["presets"]
    assert copy.deepcopy(whole["presets"][PRESET + "_interim"]) == read_yaml(tmp_path / "out" / "preset.yaml")["presets"][PRESET + "_interim"]
