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
import math
from pathlib import Path

import jsonschema
import yaml

from gengap.cell import Cell
from gengap.data.corruptions import CorruptionSpecError, parse_corruption
from gengap.data.sources import DATASETS
from gengap.measure_options import MeasureOptions
from gengap.measures import MEASURES
from gengap.models import MODELS
from gengap.registry import UnknownNameError
from gengap.report.figures import FIGURES
from gengap.report.tables import TABLES
from gengap.settings import TrainingSettings, base_defaults
from gengap.suites import KINDS, SuiteKind
from gengap.suites.kinds import DEFAULT_KIND
from gengap.suites.train import TrainingKind
from gengap.train.stopping import STOP_RULES

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A bad config value; the message names the key, the value and what is allowed."""


def deep_merge(base: dict, override: dict, null_removes: bool = False) -> dict:
    """``base`` updated by ``override``, recursing into dicts (lists and scalars replace).

    With ``null_removes`` a ``null`` in ``override`` removes the key (JSON Merge Patch, RFC 7386):
    how a preset leaves out a suite of the full config (``suites: {kernel: null}``)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if value is None and null_removes:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value, null_removes)
        else:
            out[key] = copy.deepcopy(value)
    return out


def normalize(config: dict) -> dict:
    """YAML reads an unquoted ``true`` as a boolean: accept it as the corruption ``"true"``; and
    ``--config gpu=true`` arrives as the string "true": read it as the boolean."""
    if config.get("gpu") in ("true", "false"):
        config["gpu"] = config["gpu"] == "true"
    for suite in (config.get("suites") or {}).values():
        for grid in [suite, *(suite.get("blocks") or [])] if isinstance(suite, dict) else []:
            if isinstance(grid, dict) and isinstance(grid.get("corruptions"), list):
                grid["corruptions"] = ["true" if c is True else c for c in grid["corruptions"]]
    return config


def apply_preset(config: dict) -> dict:
    """Merge ``presets[<preset>]`` over the config when ``preset`` is set (``--config preset=quick``);
    a ``null`` in the preset removes that key (e.g. a suite the preset does not run)."""
    name = config.get("preset")
    if not name:
        return normalize(config)
    presets = config.get("presets") or {}
    if name not in presets:
        raise ConfigError(f"preset: unknown preset {name!r}; allowed: {', '.join(sorted(presets)) or '(none defined)'}")
    merged = deep_merge(config, presets[name], null_removes=True)
    merged["preset"] = name
    return normalize(merged)


def validate(config: dict) -> dict:
    """Validation against the schema, every problem at once (``schema_problems``), then Snakemake's
    validation, which fills in the schema's defaults. The defaults of the top-level ``training``
    are ``gengap.settings``' (the one definition), filled in after the config's own keys, in field
    order."""
    from snakemake.utils import validate as snakemake_validate

    problems = schema_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    snakemake_validate(config, str(SCHEMA_PATH))
    training = config["training"]
    for key, value in base_defaults().items():
        training.setdefault(key, copy.deepcopy(value))
    return config


def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def schema_problems(config: dict) -> list[str]:
    """Every way ``config`` breaks the schema, one line each, naming the key path, the value and
    what is allowed. A suite with an unknown ``kind`` is reported as that, not as the keys its
    kind would have allowed."""
    schema = _schema()
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(config))
    flat = [leaf for e in errors for leaf in _leaves(e)]
    bad_kind = {tuple(e.absolute_path)[:-1] for e in flat if list(e.absolute_path)[-1:] == ["kind"]}
    incomplete = {tuple(e.absolute_path) for e in flat if e.validator == "required"}
    problems = []
    for err in sorted(flat, key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(err.absolute_path)
        if path in bad_kind and err.validator in ("unevaluatedProperties", "required"):
            continue  # a consequence of the unknown kind
        if path in incomplete and err.validator == "unevaluatedProperties":
            continue  # a kind's keys go unevaluated when its required ones are missing
        line = _describe(err, config, schema)
        if line not in problems:
            problems.append(line)
    return problems


def _leaves(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors that say most: inside anyOf / if-then, the branch that got furthest."""
    while err.context:
        err = max(err.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
    return [err]


def _suite_keys(config: dict, schema: dict, suite: str) -> list[str]:
    """Every key a suite of its kind may have: the common ones and its kind's."""
    defs = schema["$defs"]
    kind = ((config.get("suites") or {}).get(suite) or {}).get("kind", DEFAULT_KIND)
    return sorted({*defs["suite"]["properties"], *defs.get(f"{kind}_suite", {}).get("properties", {})})


def _describe(err: jsonschema.ValidationError, config: dict | None = None, schema: dict | None = None) -> str:
    """``models.mlp_1x512.max_epochs: 0 is less than the minimum of 1 (config['models']...)``."""
    path = list(err.absolute_path)
    key = ".".join(map(str, path)) or "config"
    where = "".join(f"[{p!r}]" for p in path)
    if err.validator == "required":
        missing = err.message.split("'")[1]
        return f"{key}.{missing}: missing (required)" if path else f"{missing}: missing (required)"
    hint = ""
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        if len(path) == 2 and path[0] == "suites" and config is not None:
            allowed = _suite_keys(config, schema or _schema(), path[1])
            title = f"a {((config['suites'].get(path[1]) or {}).get('kind', 'train'))} suite's"
        else:
            allowed, title = sorted(err.schema.get("properties", {})), err.schema.get("title", "allowed")
        hint = f" ({title} keys: {', '.join(allowed)})" if allowed else ""
    elif (err.validator == "type" and isinstance(err.instance, str) and _is_number(err.instance)
          and {"number", "integer"} & set(_as_list(err.validator_value))):
        hint = (f" (YAML reads {err.instance} as text: write it with a decimal point and a signed exponent, "
                f"e.g. {float(err.instance):.1e}, or as {float(err.instance):g})")
    return f"{key}: {err.message}{hint} (config{where})"


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def resolve(config: dict) -> dict:
    """The validated config with what depends on other keys filled in (each suite's figures from
    its kind); a new dict, the input is not changed."""
    out = copy.deepcopy(config)
    for suite in out["suites"].values():
        if suite.get("figures") is None:
            suite["figures"] = list(kind_of(suite).default_figures)
    return out


def prepare(config: dict, overrides: dict | None = None) -> dict:
    """Preset, validation with defaults, resolution, semantic checks: the config the rules see.

    ``overrides`` are the user's own layers (``--configfile`` files and ``--config`` values, which
    Snakemake has already merged into ``config``): they are merged again over the preset, so a
    preset never silently replaces what the user asked for on the command line."""
    problems = non_finite(config)
    if problems:
        raise ConfigError("\n".join(problems))
    config = apply_preset(config)
    if overrides and config.get("preset"):
        config = normalize(deep_merge(config, {k: v for k, v in overrides.items() if k != "preset"}))
    config = resolve(validate(config))
    check(config)
    return config


MAX_YAML_ALIASES = 64  # config.yaml has 20; a "billion laughs" file needs only ~70 to explode
MAX_YAML_NODES = 100_000  # values once every alias is expanded; config.yaml has ~1,500
MAX_YAML_DEPTH = 32  # nesting levels; the deepest real config has 6


def _expanded_size(node, memo: dict) -> int:
    """How many values ``node`` holds once every alias is expanded (each shared node counted
    every time it is used), computed once per distinct node."""
    if id(node) not in memo:
        children = node.value if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) else []
        memo[id(node)] = 1 + sum(_expanded_size(c, memo) for item in children
                                 for c in (item if isinstance(item, tuple) else (item,)))
    return memo[id(node)]


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key that appears twice in one mapping, a number that is not
    finite (``.nan``, ``.inf``), more than ``MAX_YAML_ALIASES`` aliases (``*anchor``: an alias
    bomb expands exponentially), more than ``MAX_YAML_NODES`` values once expanded, and nesting
    deeper than ``MAX_YAML_DEPTH``, each with its line."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_YAML_ALIASES} aliases (*name): refused, an alias bomb "
                    "would expand without bound", self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels: refused", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_YAML_NODES} values once its aliases (*name) are expanded: "
                "refused (an alias bomb)", node.start_mark)
        return node

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} is not a finite number: refused (a rate or size must be a "
                "number)", node.start_mark)
        return value

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`: merged keys may be overridden
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (first on line {seen[key] + 1}); "
                    "YAML would silently keep the last one", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_yaml_float)


def read_yaml(path: str | Path) -> dict:
    """A YAML config file, strictly (``_StrictLoader``): a syntax error, a duplicated key, a number
    that is not finite, an alias bomb or runaway nesting names the file and line."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(), Loader=_StrictLoader) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{where}: {problem}") from None


def non_finite(config, path: tuple = ()) -> list[str]:
    """Every key holding a number that is not finite (``--config lr=nan`` arrives as a float nan)."""
    if isinstance(config, dict):
        return [p for k, v in config.items() for p in non_finite(v, (*path, k))]
    if isinstance(config, list):
        return [p for i, v in enumerate(config) for p in non_finite(v, (*path, i))]
    if isinstance(config, float) and not math.isfinite(config):
        where = "".join(f"[{p!r}]" for p in path)
        return [f"{'.'.join(map(str, path))}: {config} is not a finite number (config{where})"]
    return []


def check_yaml_files(paths) -> None:
    """Read every config file strictly (Snakemake's own reader names neither file nor line, and
    keeps the last of two equal keys)."""
    for path in paths:
        if Path(path).exists():
            read_yaml(path)


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
        if isinstance(kind_of(suite), TrainingKind):  # registry-backed checks of training grids
            _check_training_suite(suite, where)
            _check_crop_sizes(config, suite_name)
            for i, block in enumerate(suite.get("blocks") or []):
                _check_block(suite, block, f"{where}.blocks[{i}]")


def _check_crop_sizes(config: dict, suite_name: str) -> None:
    """A network input (crop) cannot be larger than the images it is cut from."""
    suite = config["suites"][suite_name]
    for dataset in suite["datasets"]:
        info = DATASETS[dataset]
        if info.sample is not None:  # synthetic points are not cropped
            continue
        for model in suite["models"]:
            for reg in suite["regularization"]:
                size = training_settings(config, suite_name, model, reg).crop_size
                if size > min(info.shape[1:]):
                    raise ConfigError(
                        f"suites.{suite_name}: crop_size = {size} (model {model}, regularization {reg}) is "
                        f"larger than the {dataset} images ({info.shape[1]}x{info.shape[2]}); allowed: 1 to "
                        f"{min(info.shape[1:])}")


def _check_training_suite(suite: dict, where: str) -> None:
    _check_names(TABLES, f"{where}.tables", suite["tables"])
    _check_stop_rule(suite["training"].get("stop"), f"{where}.training.stop")
    for reg, override in suite["regularization"].items():
        _check_stop_rule(override.get("stop"), f"{where}.regularization.{reg}.stop")
    _check_names(MODELS, f"{where}.models", suite["models"])
    _check_names(MEASURES, f"{where}.measures", suite["measures"])
    for i, spec in enumerate(suite["corruptions"]):
        _check_corruption(spec, f"{where}.corruptions[{i}]")


def _check_corruption(spec, key: str) -> None:
    try:
        name, value = parse_corruption(spec)
    except UnknownNameError as err:
        raise ConfigError(f"{key}: unknown corruption {spec!r}; allowed: "
                          f"{', '.join(err.allowed)} (labels takes a level: labels@0.2)") from None
    except CorruptionSpecError as err:
        raise ConfigError(f"{key}: {err}; allowed: p in [0, 1], e.g. labels@0.2") from None
    canonical = name if value is None else f"{name}@{value:g}"
    if spec != canonical:
        raise ConfigError(f"{key}: write {spec!r} as {canonical!r}: a cell's folder is named after its "
                          "corruption, so each level has one spelling")


def _check_block(suite: dict, block: dict, where: str) -> None:
    """A block of a grid: its settings are the suite's, its other values are checked as the suite's are."""
    if suite.get("design", "grid") != "grid":
        raise ConfigError(f"{where}: blocks need design: grid (this suite is {suite['design']})")
    regs = block.get("regularization", list(suite["regularization"]))
    for i, reg in enumerate(regs):
        if reg not in suite["regularization"]:
            raise ConfigError(f"{where}.regularization[{i}]: unknown setting {reg!r}; allowed: the suite's "
                              f"regularization settings, {', '.join(suite['regularization'])}")
    merged = {**suite, **block, "regularization": {r: suite["regularization"][r] for r in regs}}
    _check_names(DATASETS, f"{where}.datasets", merged["datasets"])
    _check_sizes(merged, where)
    _check_names(MODELS, f"{where}.models", merged["models"])
    for i, spec in enumerate(merged["corruptions"]):
        _check_corruption(spec, f"{where}.corruptions[{i}]")


def _check_sizes(suite: dict, where: str) -> None:
    if suite.get("sampling") == "replacement":  # n uniform draws with replacement: any n
        return
    for i, n in enumerate(suite["n"]):
        for dataset in suite["datasets"]:
            size = DATASETS[dataset].train_size
            if n > size:
                raise ConfigError(f"{where}.n[{i}]: n = {n} is larger than the training set of "
                                  f"{dataset} ({size} points); allowed: 1 to {size}, or any n "
                                  f"with {where}.sampling: replacement")


def _check_stop_rule(stop: dict | None, key: str) -> None:
    if stop is not None:
        _check_name(lambda v: STOP_RULES[v], f"{key}.criterion", stop.get("criterion"))


def kind_of(suite: dict) -> SuiteKind:
    return KINDS[suite.get("kind", DEFAULT_KIND)]


def suite_cells(config: dict, suite: str) -> dict:
    """Every cell of a suite, by cell id (a relative path): ``Cell`` objects for training
    suites, the kind's ``ComputedCell`` types for computed kinds."""
    return kind_of(config["suites"][suite]).cells(suite, config["suites"][suite])


def cells(config: dict, suite: str) -> list[Cell]:
    """The training cells of a suite (datasets x corruptions x n x seeds x draws x models x reg)."""
    return list(suite_cells(config, suite).values())


def measure_options(config: dict, suite: str) -> dict:
    """The defaults (``MeasureOptions``) <- the config's ``measure_options`` <- the suite's: every
    option, in field order (the measure job's params)."""
    layered = {**(config.get("measure_options") or {}), **(config["suites"][suite].get("measure_options") or {})}
    return MeasureOptions.from_mapping(layered).as_params()


def training_settings(config: dict, suite: str, model: str, reg: str = "none") -> TrainingSettings:
    """Defaults <- per-model <- per-suite <- the cell's regularization setting: what one cell
    trains with. A stopping rule replaces the one below it whole (its options belong to it)."""
    settings = copy.deepcopy(config["training"])
    suite_cfg = config["suites"][suite]
    for layer in ((config.get("models") or {}).get(model) or {}, suite_cfg.get("training") or {},
                  (suite_cfg.get("regularization") or {}).get(reg) or {}):
        settings.update(copy.deepcopy(layer))
    return TrainingSettings.from_mapping(settings)


def run_commands(raw: dict, suites) -> dict[str, str]:
    """By suite, a command that runs it, for a reader of a run that did not: the full config's
    target where the config (``raw``, before any preset) has the suite, else the preset that adds it."""
    out = {}
    for suite in suites:
        if suite in (raw.get("suites") or {}):
            out[suite] = f"snakemake --cores all results/summary/{suite}.parquet"
        else:
            presets = [p for p, v in (raw.get("presets") or {}).items() if ((v or {}).get("suites") or {}).get(suite)]
            out[suite] = f"snakemake --cores all --config preset={presets[0]}" if presets else f"(no config runs suite {suite})"
    return out


def load(path: str | Path, preset: str | None = None) -> dict:
    """Load, preset-merge, validate (defaults filled), resolve and check a config file outside Snakemake."""
    config = read_yaml(path)
    if preset:
        config["preset"] = preset
    return prepare(config)
