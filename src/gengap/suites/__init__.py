"""Suite kinds (``gengap.suites.kinds``): training grids, and computed cells that are not a
training cell (Zhang et al.'s Theorem 1 construction, minimum-norm kernel interpolation).
Every module here is imported so that its kind registers; adding a kind is adding a module."""

from gengap.registry import import_members
from gengap.suites.kinds import KINDS, ComputedKind, SuiteKind, register_kind

import_members(__name__, __path__, skip=("kinds",))

__all__ = ["KINDS", "ComputedKind", "SuiteKind", "register_kind"]
