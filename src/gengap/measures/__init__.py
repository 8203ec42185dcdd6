"""Measures and bounds (SPEC 2). Every module here is imported so its ``@measure`` functions
register; adding a measure is one decorated function in a module of this package."""

from gengap.registry import import_members
from gengap.measures.registry import MEASURES, MeasureContext, compute_measures, measure

import_members(__name__, __path__, skip=("registry",))

__all__ = ["MEASURES", "MeasureContext", "compute_measures", "measure"]
