"""Model families, one file each; every module in this package is imported so that its
``@model`` functions register themselves. Adding a family is adding a file."""

import importlib
import pkgutil

from gengap.models.registry import MODELS, build_model, count_params, model

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "registry":
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["MODELS", "build_model", "count_params", "model"]
