"""Model families, one file each; every module in this package is imported so that its
``@model`` functions register themselves. Adding a family is adding a file."""

from gengap.registry import import_members
from gengap.models.registry import MODELS, build_model, count_params, load_model, model

import_members(__name__, __path__, skip=("registry",))

__all__ = ["MODELS", "build_model", "count_params", "load_model", "model"]
