"""Suite kinds (``gengap.suites.kinds``): training grids, and computed cells that are not a
training cell (Zhang et al.'s Theorem 1 construction, minimum-norm kernel interpolation).
Every module here is imported so that its kind registers; adding a kind is adding a module."""

import importlib
import pkgutil

from gengap.suites.kinds import KINDS, SuiteKind, register_kind

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name not in ("kinds", "run"):
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["KINDS", "SuiteKind", "register_kind"]
