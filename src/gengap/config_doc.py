"""``docs/configuration.md``, written from the config schema's own descriptions and defaults (one
place for each: the schema), so that the page cannot drift from what Snakemake validates.

    python -m gengap.config_doc > docs/configuration.md     # a test checks the file is current
"""

from __future__ import annotations

import sys

from gengap.config import SCHEMA_PATH, _schema
from gengap.measure_options import DEFAULTS as MEASURE_DEFAULTS
from gengap.settings import DEFAULTS
from gengap.suites import KINDS
from gengap.suites.kinds import DEFAULT_KIND

HEADER = """# Configuration

`config.yaml` holds the grids; Snakemake validates it (after the preset, if any, is merged in)
against `workflow/schemas/config.schema.yaml`, and `gengap.config` checks names against the
registries. This page is written from that schema (`python -m gengap.config_doc >
docs/configuration.md`; a test keeps it current). Bad values stop Snakemake before any job runs,
every problem at once, each with the key, the value and what is allowed; a YAML syntax error, a key
written twice, a number that is not finite (`.nan`, `.inf`), an alias bomb or runaway nesting
names the file and the line. With `--config preset=<name>`, your own `--configfile` and
`--config` values win over the preset's.
"""


def _type(prop: dict) -> str:
    if "enum" in prop:
        return " / ".join(_yaml(v) for v in prop["enum"])
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    kind = prop.get("type", "")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(prop.get("items"), dict):
        inner = prop["items"]
        kind = f"list of {_type(inner) or 'values'}"
    return kind


def _yaml(value) -> str:
    """A value as YAML writes it: ``true``, ``null``, ``[a, b]``, ``{}``."""
    import json

    text = (json.dumps(value) if not isinstance(value, str) else value).replace('"', "")
    return f"`{text}`"


def _default(key: str, prop: dict, defaults: dict | None) -> str:
    if defaults is not None and key in defaults:
        return _yaml(defaults[key])
    return _yaml(prop["default"]) if "default" in prop else ""


def _table(properties: dict, defaults: dict | None = None) -> list[str]:
    """One row per key; ``defaults``: the defaults of the type the keys are the fields of."""
    lines = ["| key | type | default | what it is |", "| --- | --- | --- | --- |"]
    for key, prop in properties.items():
        text = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
        lines.append(f"| `{key}` | {_type(prop)} | {_default(key, prop, defaults)} | {text} |")
    return lines


def render() -> str:
    schema = _schema()
    defs = schema["$defs"]
    out = [HEADER, "## Top level", "", *_table(schema["properties"]), ""]
    out += ["## `training` (and every override of it: `models.<name>`, `suites.<suite>.training`, "
            "each regularization setting)", "",
            "Defaults are `gengap.settings.TrainingSettings`' (the one definition; a key left out of "
            "`config.yaml` takes it).", "", *_table(defs["training"]["properties"], DEFAULTS), ""]
    out += ["## `stop` (the stopping rule)", "", " ".join(defs["stop"]["description"].split()), "",
            *_table(defs["stop"]["properties"]), ""]
    out += ["## `measure_options`", "", "Defaults are `gengap.measure_options.MeasureOptions`' (the one definition).", "",
            *_table(defs["measure_options"]["properties"], MEASURE_DEFAULTS), ""]
    out += ["## Suites: keys of every kind", "", " ".join(defs["suite"]["description"].split()), "",
            *_table(defs["suite"]["properties"]), ""]
    for kind in [DEFAULT_KIND, *sorted(k for k in KINDS if k != DEFAULT_KIND)]:
        body = defs.get(f"{kind}_suite", {})
        out += [f"## Suites of kind `{kind}`", "", *_table(body.get("properties", {})), ""]
    out.append(f"_Written from `{SCHEMA_PATH.relative_to(SCHEMA_PATH.parents[2])}`._")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
