"""What computed cells compute (Zhang et al.'s Theorem 1 construction, minimum-norm kernel
interpolation), one module per suite kind, each registering its runner; every module here is
imported so that its runner registers."""

from gengap.registry import import_members
from gengap.theory.registry import RUNNERS, run_cell, runner

import_members(__name__, __path__, skip=("registry",))

__all__ = ["RUNNERS", "run_cell", "runner"]
