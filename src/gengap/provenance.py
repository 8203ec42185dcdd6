"""Content digests of the code a job runs, derived from the code itself (no hand-kept lists).

A job's code is its workflow script, every gengap module the script imports (directly or
through other modules, including imports inside functions, and every member of a package that
imports its members automatically: ``gengap.registry.import_members``), and the registered items
the job uses. Registered items (models, corruptions, measures, losses, stopping rules, figures,
tables, paper quantities, suite kinds, computed-cell runners: anything in a
``gengap.registry.Registry``) are cut out of their module's text and enter only the jobs that
use them, with the registered items they reference. Every gengap module is imported before the
first digest, so which registries exist, and what is registered, does not depend on what
happened to be imported first. So editing a module reruns the jobs that
import it, editing one model reruns only that model's cells, and adding a model, a corruption
or a measure reruns nothing that existed. Only code counts: comments, docstrings and the wrapping
of lines are left out of every text digested (``code_only``), so editing a comment or a docstring
in a module every job imports (``gengap.atomic``) retrains nothing.

Rules receive these digests as ``params``: unlike modification times they survive a fresh
clone or a ``git checkout``. For the same reason the workflow's profiles turn off Snakemake's
``code`` trigger (``rerun-triggers``), which reruns every job whose outputs are older than its
script file: a fresh checkout writes the scripts anew, newer than every result, and the digests
carry the scripts' content already. Run without those profiles, the trigger is on and the
workflow warns (``code_trigger_warning``): every job then reruns after a fresh checkout.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import io
import tokenize
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

PACKAGE = "gengap"
ROOT = Path(__file__).resolve().parent
SCRIPTS = ROOT.parents[1] / "workflow" / "scripts"


@lru_cache(maxsize=None)
def _import_everything() -> None:
    """Import every gengap module: every registry exists and is filled, every auto-importing
    package is known, whatever was imported before."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join((PACKAGE, *parts[:-1])) if parts[-1] == "__init__" else ".".join((PACKAGE, *parts))
        importlib.import_module(name)


def module_file(name: str) -> Path:
    parts = ROOT.joinpath(*name.split(".")[1:])
    return parts / "__init__.py" if (parts / "__init__.py").exists() else parts.with_suffix(".py")


def _is_module(name: str) -> bool:
    return module_file(name).exists()


def _import_nodes(nodes) -> tuple[set[str], set[tuple[str, str]]]:
    """gengap modules and (module, name) pairs imported by the import statements among ``nodes``."""
    modules: set[str] = set()
    names: set[tuple[str, str]] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            modules.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == PACKAGE:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_module(full):
                    modules.add(full)
                else:
                    modules.add(node.module)
                    names.add((node.module, alias.name))
    for name in list(modules):  # importing a.b.c runs a/__init__ and a/b/__init__ first
        parts = name.split(".")
        modules.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return modules, names


def _module_name(path: Path) -> str | None:
    try:
        parts = path.resolve().relative_to(ROOT).with_suffix("").parts
    except ValueError:
        return None  # a workflow script
    return ".".join((PACKAGE, *parts[:-1])) if parts[-1] == "__init__" else ".".join((PACKAGE, *parts))


@lru_cache(maxsize=None)
def _imports(path: Path) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """gengap modules a file imports anywhere in it, and the (module, name) pairs it imports; not
    counting the imports inside its registered items, which belong to the item (``item_modules``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = _module_name(path)
    items = {id(n) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
             and module is not None and (module, n.name) in registered()}
    kept, todo = [], [n for n in tree.body if id(n) not in items]
    while todo:
        node = todo.pop()
        kept.append(node)
        todo += list(ast.iter_child_nodes(node))
    modules, names = _import_nodes(kept)
    package = ".".join([PACKAGE, *path.parent.relative_to(ROOT).parts]) if path.name == "__init__.py" else None
    if package in _auto_importing():  # imports all its members
        modules.update(f"{package}.{p.stem}" for p in path.parent.glob("*.py") if p.stem != "__init__")
    return frozenset(modules), frozenset(names)


@lru_cache(maxsize=None)
def item_modules(fn: Callable) -> frozenset[str]:
    """The gengap modules a registered item imports inside its own body, and what they import."""
    modules, _ = _import_nodes(ast.walk(ast.parse(inspect.cleandoc("\n" + inspect.getsource(fn)))))
    return frozenset(module_closure(modules)[0])


def module_closure(roots: Iterable[str]) -> tuple[set[str], set[tuple[str, str]]]:
    """Every gengap module reachable by imports from ``roots``, and every imported name."""
    seen: set[str] = set()
    names: set[tuple[str, str]] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or not _is_module(name):
            continue
        seen.add(name)
        modules, imported = _imports(module_file(name))
        names |= imported
        todo += modules
    return seen, names


def _auto_importing() -> set[str]:
    _import_everything()
    from gengap.registry import AUTO_IMPORTING

    return AUTO_IMPORTING


def _docstring_starts(text: str) -> set[tuple[int, int]]:
    """(line, column) where each docstring of ``text`` starts: the first statement of the module,
    a class or a function when it is a string (documentation, not code)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                starts.add((first.lineno, first.col_offset))
    return starts


def code_only(text: str) -> str:
    """``text``'s Python tokens without comments, docstrings and line wrapping (one token per
    line, indents and logical line ends as markers, a docstring as the marker ``<doc>``): what the
    code does, whatever its layout and documentation. Text that does not tokenize is returned
    unchanged."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
    markers = {tokenize.INDENT: "<indent>", tokenize.DEDENT: "<dedent>", tokenize.NEWLINE: "<newline>"}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text
    docs, in_doc, kept = _docstring_starts(text), False, []
    for t in tokens:
        if t.type in skip:
            continue
        if t.start in docs:
            in_doc = True
            kept.append("<doc>")
        if in_doc:  # the docstring's strings, up to the end of its statement
            in_doc = t.type != tokenize.NEWLINE
            if in_doc:
                continue
        kept.append(markers.get(t.type, t.string))
    return "\n".join(kept)


@lru_cache(maxsize=None)
def registered() -> dict[tuple[str, str], Callable]:
    """Every registered function, class or pattern factory, by (module, qualified name)."""
    _import_everything()
    from gengap.registry import REGISTRIES

    return {(fn.__module__, fn.__qualname__): fn for reg in REGISTRIES for fn in reg.definitions()}


def _is_inert(node: ast.stmt) -> bool:
    """An import or a docstring: a statement that runs no code of the module's own."""
    return isinstance(node, (ast.Import, ast.ImportFrom)) or (
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))


@lru_cache(maxsize=None)
def module_text(name: str) -> str:
    """A module's source without its registered items (they are digested where used). A module
    that holds nothing else (imports, a docstring and registered items) contributes nothing, so
    adding such a module (a new model family, a new file of measures) reruns nothing."""
    path = module_file(name)
    lines = path.read_text().splitlines(keepends=True)
    cut, kept = set(), []
    for node in ast.parse("".join(lines)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and (name, node.name) in registered():
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            cut.update(range(start - 1, node.end_lineno))
        else:
            kept.append(node)
    if all(_is_inert(node) for node in kept):
        return ""
    return code_only("".join(line for i, line in enumerate(lines) if i not in cut))


@lru_cache(maxsize=None)
def module_imports(name: str) -> str:
    """The top-level import lines of a module: the names its registered items run with."""
    source = module_file(name).read_text()
    return code_only("\n".join(ast.get_source_segment(source, node) for node in ast.parse(source).body
                               if isinstance(node, (ast.Import, ast.ImportFrom))))


def _referenced_items(fn: Callable) -> list[Callable]:
    """Registered items that ``fn``'s code names (through its globals or an import inside it)."""
    items = {id(v) for v in registered().values()}
    found = []
    for node in ast.walk(ast.parse(inspect.cleandoc("\n" + inspect.getsource(fn)))):
        if isinstance(node, ast.Name):
            obj = fn.__globals__.get(node.id) if hasattr(fn, "__globals__") else None
            if id(obj) in items:
                found.append(obj)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            found += [registered()[(node.module, a.name)] for a in node.names if (node.module, a.name) in registered()]
    return found


def item_closure(items: Iterable[Callable | None]) -> list[Callable]:
    """The items and every registered item they reference, transitively, in a stable order."""
    seen: dict[tuple[str, str], Callable] = {}
    todo = [i for i in items if i is not None]
    while todo:
        fn = todo.pop()
        key = (fn.__module__, fn.__qualname__)
        if key not in seen:
            seen[key] = fn
            todo += _referenced_items(fn)
    return [seen[k] for k in sorted(seen)]


@lru_cache(maxsize=None)
def _script_code(script: str) -> tuple[str, tuple[Callable, ...]]:
    """(hash state text, registered items imported by name) of a workflow script's modules."""
    path = SCRIPTS / f"{script}.py"
    roots, names = _imports(path)
    modules, imported = module_closure(roots)
    items = tuple(registered()[n] for n in sorted(names | imported) if n in registered())
    text = "".join(f"\n## {m}\n{module_text(m)}" for m in sorted(modules) if module_text(m))
    return code_only(path.read_text()) + text, items


@lru_cache(maxsize=None)
def code_digest(script: str, *items: Callable | None) -> str:
    """Digest of the code a job of ``workflow/scripts/<script>.py`` runs, with the registered
    ``items`` it uses (None entries are ignored: plain data entries of a registry). Computed once
    per distinct (script, items): a grid of 10,000 cells has a handful of them."""
    text, imported = _script_code(script)
    h = hashlib.sha256(text.encode())
    script_modules = modules_of(script)
    for fn in item_closure([*imported, *items]):
        h.update(f"\n## {fn.__module__}.{fn.__qualname__}\n{module_imports(fn.__module__)}\n"
                 f"{code_only(inspect.cleandoc(chr(10) + inspect.getsource(fn)))}".encode())
        for m in sorted(item_modules(fn) - script_modules):  # what the item imports inside itself
            if module_text(m):
                h.update(f"\n## {m} (imported by {fn.__qualname__})\n{module_text(m)}".encode())
    return h.hexdigest()[:16]


def modules_of(script: str) -> set[str]:
    """The gengap modules a workflow script's job imports (for tests and debugging)."""
    return module_closure(_imports(SCRIPTS / f"{script}.py")[0])[0]


def code_trigger_warning(rerun_triggers: Iterable) -> str | None:
    """What to tell a user whose run has Snakemake's ``code`` trigger on (without the workflow's
    profiles: ``--workflow-profile none``, or another workflow profile), else None."""
    names = {str(getattr(t, "name", t)).lower() for t in rerun_triggers}
    if "code" not in names:
        return None
    return ("Snakemake's `code` rerun trigger is on (this run does not use profiles/default or profiles/slurm): "
            "every job whose script file is newer than its outputs reruns, e.g. all of them after a fresh "
            "clone or a `git checkout`. gengap reruns on code by content (params); to skip those reruns, "
            "run with `--rerun-triggers mtime params input software-env`.")

