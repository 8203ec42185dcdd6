"""The experiment plan: presets, semantic checks and grid expansion of ``config.yaml``.

Snakemake validates the structure (types, ranges, defaults) against
``workflow/schemas/config.schema.yaml``; this module checks what the schema cannot know (names
in the registries, p in range, n against the dataset size, per-model training overrides) and
expands each suite's grid into cells. Every error names the config key, the bad value and what
is allowed, and is raised before any job runs.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import jsonschema
import yaml

from gengap.data.corruptions import CorruptionSpecError, parse_corruption
from gengap.data.sources import DATASETS
from gengap.measures import MEASURES
from gengap.models import MODELS
from gengap.registry import UnknownNameError
from gengap.report.figures import FIGURES
from gengap.report.tables import TABLES
from gengap.train.stopping import STOP_RULES

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


DEFAULT_FIGURES = {
    "train": ("label_noise", "loss_curves"),
    "expressivity": ("expressivity",),
    "kernel": ("kernel",),
}


class ConfigError(ValueError):
    """A bad config value; the message names the key, the value and what is allowed."""


def deep_merge(base: dict, override: dict) -> dict:
    """``base`` updated by ``override``, recursing into dicts (lists and scalars replace)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def normalize(config: dict) -> dict:
    """YAML reads an unquoted ``true`` as a boolean: accept it as the corruption ``"true"``."""
    for suite in (config.get("suites") or {}).values():
        if isinstance(suite, dict) and isinstance(suite.get("corruptions"), list):
            suite["corruptions"] = ["true" if c is True else c for c in suite["corruptions"]]
    return config


def apply_preset(config: dict) -> dict:
    """Merge ``presets[<preset>]`` over the config when ``preset`` is set (``--config preset=quick``)."""
    name = config.get("preset")
    if not name:
        return normalize(config)
    presets = config.get("presets") or {}
    if name not in presets:
        raise ConfigError(f"preset: unknown preset {name!r}; allowed: {', '.join(sorted(presets)) or '(none defined)'}")
    merged = deep_merge(config, presets[name])
    merged["preset"] = name
    return normalize(merged)


def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _check_override(override: dict, where: str, schema: dict, block: str = "training") -> None:
    """Validate a partial block (training or measure_options, per model or per suite)."""
    sub = {**schema["$defs"][block], "$defs": schema["$defs"]}
    errors = sorted(jsonschema.Draft202012Validator(sub).iter_errors(override), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        key = ".".join([where, *map(str, err.path)])
        allowed = ", ".join(sorted(sub["properties"]))
        hint = f" ({block} keys: {allowed})" if err.validator == "additionalProperties" else ""
        raise ConfigError(f"{key}: {err.message}{hint}")


def _check_name(registry_check, key: str, value) -> None:
    try:
        registry_check(value)
    except UnknownNameError as err:
        raise ConfigError(f"{key}: unknown {err.kind} {value!r}; allowed: {', '.join(err.allowed)}") from None


def check(config: dict) -> None:
    """Semantic checks; raises ``ConfigError`` on the first problem."""
    schema = _schema()
    for model, override in (config.get("models") or {}).items():
        _check_name(lambda v: MODELS[v], f"models.{model}", model)
        _check_override(override or {}, f"models.{model}", schema)
    _check_stop_rule(config["training"]["stop"], "training.stop")
    if not config.get("suites"):
        raise ConfigError("suites: no suite is configured")
    for suite_name, suite in config["suites"].items():
        where = f"suites.{suite_name}"
        if suite["figures"] is None:
            suite["figures"] = list(DEFAULT_FIGURES[suite["kind"]])
        for i, name in enumerate(suite["datasets"]):
            _check_name(lambda v: DATASETS[v], f"{where}.datasets[{i}]", name)
        _check_sizes(suite, where)
        for i, name in enumerate(suite["figures"]):
            _check_name(lambda v: FIGURES[v], f"{where}.figures[{i}]", name)
        if suite["kind"] != "train":
            continue
        for key in ("models", "corruptions"):
            if not suite.get(key):
                raise ConfigError(f"{where}.{key}: missing; a suite of kind 'train' needs datasets, "
                                  "models, corruptions, n and seeds")
        _check_override(suite.get("training") or {}, f"{where}.training", schema)
        _check_override(suite.get("measure_options") or {}, f"{where}.measure_options", schema,
                        "measure_options")
        for reg, override in suite["regularization"].items():
            if not reg.replace("_", "").isalnum():
                raise ConfigError(f"{where}.regularization: name {reg!r} must be letters, digits or _")
            _check_override(override, f"{where}.regularization.{reg}", schema)
        for i, name in enumerate(suite["tables"]):
            _check_name(lambda v: TABLES[v], f"{where}.tables[{i}]", name)
        if "stop" in (suite.get("training") or {}):
            _check_stop_rule(suite["training"]["stop"], f"{where}.training.stop")
        for i, name in enumerate(suite["models"]):
            _check_name(lambda v: MODELS[v], f"{where}.models[{i}]", name)
        for i, spec in enumerate(suite["corruptions"]):
            key = f"{where}.corruptions[{i}]"
            try:
                parse_corruption(spec)
            except UnknownNameError as err:
                raise ConfigError(f"{key}: unknown corruption {spec!r}; allowed: "
                                  f"{', '.join(err.allowed)} (labels takes a level: labels@0.2)") from None
            except CorruptionSpecError as err:
                raise ConfigError(f"{key}: {err}; allowed: p in [0, 1], e.g. labels@0.2") from None
        for i, name in enumerate(suite["measures"]):
            _check_name(lambda v: MEASURES[v], f"{where}.measures[{i}]", name)


def _check_sizes(suite: dict, where: str) -> None:
    for i, n in enumerate(suite["n"]):
        for dataset in suite["datasets"]:
            size = DATASETS[dataset].train_size
            if n > size:
                raise ConfigError(f"{where}.n[{i}]: n = {n} is larger than the training set of "
                                  f"{dataset} ({size} points); allowed: 1 to {size}")


def _check_stop_rule(stop: dict, key: str) -> None:
    _check_name(lambda v: STOP_RULES[v], f"{key}.criterion", stop.get("criterion"))


@dataclass(frozen=True, order=True)
class Cell:
    """One training cell of a suite's grid."""

    suite: str
    dataset: str
    corruption: str
    n: int
    seed: int
    draw: int
    model: str
    reg: str = "none"

    def key(self) -> dict:
        return asdict(self)


def suites_of_kind(config: dict, *kinds: str) -> list[str]:
    return [name for name, s in config["suites"].items() if s["kind"] in kinds]


def theory_cells(config: dict, suite: str) -> dict[str, dict]:
    """Cells of an expressivity or kernel suite: {cell id (a relative path): spec}."""
    s = config["suites"][suite]
    out = {}
    if s["kind"] == "expressivity":
        for d in s["datasets"]:
            for labels in s["labels"]:
                for n in s["n"]:
                    for seed in s["seeds"]:
                        for k in s["depths"]:
                            out[f"{d}/{labels}/n{n}/seed{seed}/depth{k}"] = dict(
                                kind="expressivity", dataset=d, labels=labels, n=n, seed=seed, depth=k)
    elif s["kind"] == "kernel":
        for d in s["datasets"]:
            for kernel in s["kernels"]:
                for n in s["n"]:
                    for seed in s["seeds"]:
                        out[f"{d}/{kernel}/n{n}/seed{seed}"] = dict(
                            kind="kernel", dataset=d, kernel=kernel, n=n, seed=seed,
                            bandwidth=s["bandwidth"], features=s["features"])
        sgd = s["sgd_check"]
        for n in sgd["n"]:
            for seed in s["seeds"]:
                out[f"min_norm_sgd/n{n}/d{sgd['d']}/seed{seed}"] = dict(
                    kind="min_norm_sgd", n=n, d=sgd["d"], epochs=sgd["epochs"], seed=seed)
    return out


def cells(config: dict, suite: str) -> list[Cell]:
    """Every cell of a suite's grid (datasets x corruptions x n x seeds x draws x models).

    ``draw`` 2 is a second, independent training sample of the same size, trained from the same
    initialization (Nagarajan & Kolter's S2); most suites have one draw.
    """
    s = config["suites"][suite]
    return [Cell(suite, d, c, n, seed, draw, m, reg) for d in s["datasets"] for c in s["corruptions"]
            for n in s["n"] for seed in s["seeds"] for draw in range(1, s["draws"] + 1)
            for m in s["models"] for reg in s["regularization"]]


def measure_options(config: dict, suite: str) -> dict:
    """Global measure options overridden by the suite's."""
    return {**config["measure_options"], **(config["suites"][suite].get("measure_options") or {})}


def training_settings(config: dict, suite: str, model: str, reg: str = "none") -> dict:
    """Defaults <- per-model <- per-suite <- the cell's regularization setting: what one cell
    trains with. A stopping rule replaces the one below it whole (its options belong to it)."""
    settings = copy.deepcopy(config["training"])
    suite_cfg = config["suites"][suite]
    for layer in ((config.get("models") or {}).get(model) or {}, suite_cfg.get("training") or {},
                  (suite_cfg.get("regularization") or {}).get(reg) or {}):
        settings.update(copy.deepcopy(layer))
    return settings


def load(path: str | Path, preset: str | None = None) -> dict:
    """Load, preset-merge, validate (defaults filled) and check a config file outside Snakemake."""
    config = yaml.safe_load(Path(path).read_text())
    if preset:
        config["preset"] = preset
    config = apply_preset(config)
    from snakemake.utils import validate

    validate(config, str(SCHEMA_PATH))
    check(config)
    return config
