"""The experiment plan: presets, semantic checks and grid expansion of ``config.yaml``.

``prepare`` is the one way in: the preset is merged, Snakemake validates the structure (types,
ranges, defaults) against ``workflow/schemas/config.schema.yaml``, ``resolve`` fills in what
depends on other keys, and ``check`` verifies what the schema cannot know (names in the
registries, p in range, n against the dataset size). Suites expand into cells through their
kind (``gengap.suites``). Every error names the config key, the bad value and what
is allowed, and is raised before any job runs.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from gengap.cell import Cell
from gengap.data.corruptions import CorruptionSpecError, parse_corruption
from gengap.data.sources import DATASETS
from gengap.measures import MEASURES
from gengap.models import MODELS
from gengap.registry import UnknownNameError
from gengap.report.figures import FIGURES
from gengap.report.tables import TABLES
from gengap.suites import KINDS, SuiteKind
from gengap.train.stopping import STOP_RULES

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


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


def validate(config: dict) -> dict:
    """Snakemake's validation against the schema (fills in defaults); an error names the key."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate as snakemake_validate

    try:
        snakemake_validate(config, str(SCHEMA_PATH))
    except WorkflowError as err:
        cause = err.__cause__ or err.__context__  # Snakemake raises it inside `except ValidationError`
        if not isinstance(cause, jsonschema.ValidationError):
            raise
        raise ConfigError(_describe(cause)) from None
    return config


def _describe(err: jsonschema.ValidationError) -> str:
    """``models.mlp_1x512.max_epochs: 0 is less than the minimum of 1`` (the deepest error)."""
    while err.context:  # anyOf / if-then: the branch that got furthest says most
        err = max(err.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
    key = ".".join(map(str, err.absolute_path)) or "config"
    if err.validator == "required":
        missing = err.message.split("'")[1]
        return f"{key}.{missing}: missing (required)"
    hint = ""
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        hint = f" ({err.schema.get('title', 'allowed')} keys: {allowed})" if allowed else ""
    where = "".join(f"[{p!r}]" for p in err.absolute_path)
    return f"{key}: {err.message}{hint} (config{where})"


def resolve(config: dict) -> dict:
    """The validated config with what depends on other keys filled in (each suite's figures from
    its kind); a new dict, the input is not changed."""
    out = copy.deepcopy(config)
    for suite in out["suites"].values():
        if suite.get("figures") is None:
            suite["figures"] = list(kind_of(suite).default_figures)
    return out


def prepare(config: dict) -> dict:
    """Preset, validation with defaults, resolution, semantic checks: the config the rules see."""
    config = resolve(validate(apply_preset(config)))
    check(config)
    return config


def _check_name(registry_check, key: str, value) -> None:
    try:
        registry_check(value)
    except UnknownNameError as err:
        raise ConfigError(f"{key}: unknown {err.kind} {value!r}; allowed: {', '.join(err.allowed)}") from None


def _check_names(registry, key: str, names) -> None:
    for i, name in enumerate(names):
        _check_name(lambda v: registry[v], f"{key}[{i}]", name)


def check(config: dict) -> None:
    """Semantic checks of a validated, resolved config (names in the registries, sizes against
    the datasets, p in range); raises ``ConfigError`` on the first problem, changes nothing."""
    for model, override in config["models"].items():
        _check_name(lambda v: MODELS[v], f"models.{model}", model)
        _check_stop_rule((override or {}).get("stop"), f"models.{model}.stop")
    _check_stop_rule(config["training"]["stop"], "training.stop")
    for suite_name, suite in config["suites"].items():
        where = f"suites.{suite_name}"
        _check_names(DATASETS, f"{where}.datasets", suite["datasets"])
        _check_sizes(suite, where)
        _check_names(FIGURES, f"{where}.figures", suite["figures"])
        if kind_of(suite).trains:
            _check_training_suite(suite, where)


def _check_training_suite(suite: dict, where: str) -> None:
    _check_names(TABLES, f"{where}.tables", suite["tables"])
    _check_stop_rule(suite["training"].get("stop"), f"{where}.training.stop")
    for reg, override in suite["regularization"].items():
        _check_stop_rule(override.get("stop"), f"{where}.regularization.{reg}.stop")
    _check_names(MODELS, f"{where}.models", suite["models"])
    _check_names(MEASURES, f"{where}.measures", suite["measures"])
    for i, spec in enumerate(suite["corruptions"]):
        key = f"{where}.corruptions[{i}]"
        try:
            parse_corruption(spec)
        except UnknownNameError as err:
            raise ConfigError(f"{key}: unknown corruption {spec!r}; allowed: "
                              f"{', '.join(err.allowed)} (labels takes a level: labels@0.2)") from None
        except CorruptionSpecError as err:
            raise ConfigError(f"{key}: {err}; allowed: p in [0, 1], e.g. labels@0.2") from None


def _check_sizes(suite: dict, where: str) -> None:
    for i, n in enumerate(suite["n"]):
        for dataset in suite["datasets"]:
            size = DATASETS[dataset].train_size
            if n > size:
                raise ConfigError(f"{where}.n[{i}]: n = {n} is larger than the training set of "
                                  f"{dataset} ({size} points); allowed: 1 to {size}")


def _check_stop_rule(stop: dict | None, key: str) -> None:
    if stop is not None:
        _check_name(lambda v: STOP_RULES[v], f"{key}.criterion", stop.get("criterion"))


def kind_of(suite: dict) -> SuiteKind:
    return KINDS[suite.get("kind", "train")]


def suite_cells(config: dict, suite: str) -> dict:
    """Every cell of a suite, by cell id (a relative path): ``Cell`` objects for training
    suites, plain specs for computed kinds."""
    return kind_of(config["suites"][suite]).cells(suite, config["suites"][suite])


def cells(config: dict, suite: str) -> list[Cell]:
    """The training cells of a suite (datasets x corruptions x n x seeds x draws x models x reg)."""
    return list(suite_cells(config, suite).values())


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
    """Load, preset-merge, validate (defaults filled), resolve and check a config file outside Snakemake."""
    config = yaml.safe_load(Path(path).read_text())
    if preset:
        config["preset"] = preset
    return prepare(config)
