"""The finished part of a long run as a preset of its own, so that it can be summarized and published
while the rest still trains (or after the machine that ran it is gone).

    python -m gengap.interim RESULTS --preset nk_batch_cpu --suite bounds_vs_batch --axis n --out DIR

For each block of the suite (the suite itself when it has none), the values of ``--axis`` (``n``,
``seeds``, ``datasets``, ``corruptions`` or ``models``) are cut to those whose cells all have their
measures in RESULTS; a block left with no value is dropped. The other suites of the preset are kept
as they are (they must be finished, or the interim run trains them; the command says which are not).
Written to DIR:

- ``preset.yaml``: only ``presets: {<preset>_interim: ...}``, for ``--configfile``. A whole config
  there would be merged again over the preset (the user's layers win: ``gengap.config.prepare``) and
  bring every cell back;
- ``config.yaml``: the whole config with that preset added, for ``gengap.publish --config``.

Then ``snakemake --configfile DIR/preset.yaml --config preset=<preset>_interim results_dir=RESULTS``
makes the summaries of the finished cells (nothing trains), and ``gengap.publish`` publishes them.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import yaml

from gengap.config import ConfigError, load, read_yaml
from gengap.suites.kinds import DEFAULT_KIND
from gengap.suites.train import BLOCK_AXES, DESIGNS, training_cells

AXES = ("n", "seeds", "datasets", "corruptions", "models")  # the block axes that can be cut
SUFFIX = "_interim"


def measured(results: Path, cell) -> bool:
    return (results / "cells" / cell.path / "measures.parquet").is_file()


def unfinished(results: Path, config: dict, suite: str) -> int:
    """How many cells of a training suite have no measures yet."""
    return sum(not measured(results, c) for c in training_cells(suite, config["suites"][suite]).values())


def cut_blocks(results: Path, config: dict, suite: str, axis: str) -> list[dict]:
    """The suite's blocks with ``axis`` cut to the values whose cells are all measured, each axis
    written out in full (a block's lists no longer depend on the suite's); empty blocks dropped."""
    if axis not in AXES:
        raise ConfigError(f"--axis: {axis!r} cannot be cut; allowed: {', '.join(AXES)}")
    s = config["suites"][suite]
    if s.get("design", DESIGNS[0]) != "grid":
        raise ConfigError(f"suite {suite}: only a grid suite can be cut (this one is {s['design']})")
    blocks = []
    for block in s.get("blocks") or [{}]:
        full = {k: copy.deepcopy(block.get(k, s[k])) for k in BLOCK_AXES}
        if isinstance(full["regularization"], dict):
            full["regularization"] = list(full["regularization"])
        kept = []
        for value in full[axis]:
            one = dict(full, **{axis: [value]}, blocks=None, sampling=s["sampling"], design=DESIGNS[0])
            if all(measured(results, c) for c in training_cells(suite, one).values()):
                kept.append(value)
        if kept:
            blocks.append(dict(full, **{axis: kept}))
    return blocks


def interim(results: Path, config_path: Path, preset: str, suite: str, axis: str) -> tuple[dict, dict, list[str]]:
    """The interim preset, the whole config with it, and the preset's other training suites that
    are not finished."""
    raw = read_yaml(config_path)
    config = load(config_path, preset)
    if suite not in config["suites"]:
        raise ConfigError(f"--suite: preset {preset} has no suite {suite!r}; it has {', '.join(config['suites'])}")
    blocks = cut_blocks(results, config, suite, axis)
    if not blocks:
        raise ConfigError(f"{results}: no value of {axis} has every cell of suite {suite} measured yet")
    cut = copy.deepcopy(raw["presets"][preset])
    cut_suite = cut.setdefault("suites", {}).setdefault(suite, {})
    cut_suite["blocks"] = blocks
    # the suite's own list holds what its blocks kept, in its order (its regularization settings stay:
    # cells come from the blocks, and a null here would come back when Snakemake's layers merge again)
    used = {v for b in blocks for v in b[axis]}
    cut_suite[axis] = [v for v in config["suites"][suite][axis] if v in used]
    others = [name for name, s in config["suites"].items() if name != suite and s.get("kind", DEFAULT_KIND) == "train"
              and unfinished(results, config, name)]
    whole = copy.deepcopy(raw)
    whole["presets"][preset + SUFFIX] = cut
    return {"presets": {preset + SUFFIX: cut}}, whole, others


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the run's results folder")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help="the config file the run uses")
    parser.add_argument("--preset", required=True, help="the run's preset")
    parser.add_argument("--suite", required=True, help="the suite to cut")
    parser.add_argument("--axis", required=True, choices=AXES, help="the list cut to its finished values")
    parser.add_argument("--out", type=Path, required=True, help="folder for preset.yaml and config.yaml")
    args = parser.parse_args(argv)
    try:
        preset_only, whole, others = interim(args.results, args.config, args.preset, args.suite, args.axis)
    except (ConfigError, OSError) as err:
        sys.exit(f"gengap.interim: {err}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "preset.yaml").write_text(yaml.safe_dump(preset_only, sort_keys=False))
    (args.out / "config.yaml").write_text(yaml.safe_dump(whole, sort_keys=False))
    name = args.preset + SUFFIX
    for block in preset_only["presets"][name]["suites"][args.suite]["blocks"]:
        print(f"{args.suite}: {args.axis} {block[args.axis]} x regularization {block['regularization']}")
    for other in others:
        print(f"warning: suite {other} is not finished: the interim run would train it", file=sys.stderr)
    print(f"snakemake --cores all --configfile {args.out / 'preset.yaml'} --config preset={name} "
          f"results_dir={args.results}")


if __name__ == "__main__":
    main()
