"""One small registry type shared by models, datasets, corruptions, stopping rules and measures."""

from __future__ import annotations

import inspect
import re
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")
REGISTRIES: list["Registry"] = []  # every registry, so provenance can tell registered code apart
AUTO_IMPORTING: set[str] = set()  # packages that import all their modules (``import_members``)


def import_members(package: str, path, skip: tuple[str, ...] = ()) -> None:
    """Import every module of ``package`` (a package's ``__init__`` calls this with its
    ``__path__``) so that the items they register are there; adding a module is then all it
    takes to add items. The package is recorded: a job that imports it imports them all."""
    import importlib
    import pkgutil

    AUTO_IMPORTING.add(package)
    for mod in pkgutil.iter_modules(path):
        if mod.name not in skip:
            importlib.import_module(f"{package}.{mod.name}")


class UnknownNameError(KeyError):
    """A name that is not in a registry; the message lists what is allowed."""

    def __init__(self, kind: str, name: object, allowed: list[str]):
        self.kind, self.name, self.allowed = kind, name, allowed
        super().__init__(f"unknown {kind} {name!r}; allowed: {', '.join(allowed)}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class Registry(Generic[T]):
    """Maps names to objects; ``register`` is a decorator.

    ``register_pattern`` adds a family of names (a regular expression): looking up a matching
    name returns the object called with the match's groups, so ``mlp_5x1024_nobias`` can be
    built from its name alone.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._patterns: list[tuple[re.Pattern, str, Callable[..., T]]] = []
        REGISTRIES.append(self)

    def register_pattern(self, regex: str, shown_as: str) -> Callable:
        def decorate(factory):
            self._patterns.append((re.compile(regex), shown_as, factory))
            return factory

        return decorate

    def register(self, name: str | None = None) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            key = name or obj.__name__  # type: ignore[attr-defined]
            if key in self._items:
                raise ValueError(f"{self.kind} {key!r} is registered twice")
            self._items[key] = obj
            return obj

        return decorate

    def __getitem__(self, name: str) -> T:
        if isinstance(name, str) and name in self._items:
            return self._items[name]
        for regex, _, factory in self._patterns:
            match = regex.fullmatch(name) if isinstance(name, str) else None
            if match:
                return factory(*match.groups())
        raise UnknownNameError(self.kind, name, self.names())

    def definition(self, name: str) -> Callable | None:
        """The function whose code a name runs: the registered function (or an entry's ``fn``),
        or the factory of the matching pattern; None for plain data entries."""
        if name in self._items:
            return _code_of(self._items[name])
        for regex, _, factory in self._patterns:
            if isinstance(name, str) and regex.fullmatch(name):
                return factory
        raise UnknownNameError(self.kind, name, self.names())

    def describe(self, name: str) -> str:
        """The first paragraph of the docstring of what ``name`` runs, on one line."""
        doc = (getattr(self.definition(name), "__doc__", None) or "").strip()
        return " ".join(doc.split("\n\n")[0].split())

    def definitions(self) -> list[Callable]:
        """Every registered function and pattern factory."""
        code = [_code_of(item) for item in self._items.values()] + [f for _, _, f in self._patterns]
        return [c for c in code if c is not None]

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
            return True
        except UnknownNameError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def names(self) -> list[str]:
        """Registered names, then the name patterns as shown to users."""
        return sorted(self._items) + [shown for _, shown, _ in self._patterns]


def _code_of(item: object) -> Callable | None:
    """The code an item runs: itself (a function or class), the function an entry wraps (``fn``:
    corruptions), or what an object names as its code (``definition()``: suite kinds, their class)."""
    if callable(getattr(item, "definition", None)):
        return item.definition()
    fn = getattr(item, "fn", item)
    return fn if inspect.isfunction(fn) or inspect.isclass(fn) else None
