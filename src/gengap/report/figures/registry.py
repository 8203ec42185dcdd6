"""The figure registry: ``@figure("name")`` on a function ``(summary, history) -> Figure``."""

from gengap.registry import Registry

FIGURES: Registry = Registry("figure")
figure = FIGURES.register
