"""Measures and bounds (SPEC 2). Every module here is imported so its ``@measure`` functions
register; adding a measure is one decorated function in a module of this package."""

import importlib
import pkgutil

from gengap.measures.registry import MEASURES, MeasureContext, compute_measures, measure

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "registry":
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["MEASURES", "MeasureContext", "compute_measures", "measure"]
