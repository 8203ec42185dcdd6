"""The options of the measures: one frozen type, its fields and defaults defined here only.

The config layer builds a suite's options once (``gengap.config.measure_options``: these defaults
<- the config's top-level ``measure_options`` <- the suite's); the measure job rebuilds the same
value from the rule's params. The schema documents and checks the keys (a test checks they are
this type's fields) and holds no default. Torch-free: planning and the report read it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class MeasureOptions:
    delta: float = 0.01  # failure probability of every bound
    gamma: float | None = None  # the margin bounds' margin; None: the margin stopping rule's, else the 10th percentile
    flatness_points: int | None = None  # training points each flatness error is estimated on; None: all

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> "MeasureOptions":
        """The options of a mapping of any subset of the fields; an unknown key is an error that names it."""
        mapping = dict(mapping or {})
        unknown = sorted(set(mapping) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown measure option(s) {', '.join(map(repr, unknown))}; "
                             f"allowed: {', '.join(f.name for f in fields(cls))}")
        return cls(**mapping)

    def as_params(self) -> dict:
        """Every field, in field order: what a measure job's params (and identity) hold."""
        return asdict(self)


DEFAULTS = asdict(MeasureOptions())
