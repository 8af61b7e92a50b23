"""The catalog against the real package (mlflow-skinny, pinned in the dev extras).

Every catalogued name must exist in it, by import and getattr, or, where the module needs an
optional library that is not installed (keras, deepeval, ...), as a name its source binds;
every name marked `removed` must be gone. Every name must follow the naming policy: no shorter
public path exports the same object. Every [normalise] rule must rewrite a path to the same
object. A name is never looked up by running repository code: only MLflow's own package is
imported here.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import types
import warnings
from dataclasses import dataclass
from functools import cache

import pytest

from analyzers.code.catalog import ROOT_MODULE, load_catalog

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    mlflow = pytest.importorskip(
        "mlflow",
        reason="mlflow-skinny is not installed (`pip install -e '.[dev]'`): the catalog's names "
        "cannot be checked against the package",
    )

CATALOG = load_catalog()
PRESENT = sorted(name for name, entry in CATALOG.entries.items() if not entry.removed)
REMOVED = sorted(name for name, entry in CATALOG.entries.items() if entry.removed)
_MISSING = object()


@dataclass(frozen=True)
class Located:
    value: object  # the object itself, or _MISSING when only its module's source binds it
    where: str


def _optional_dependency(error: ImportError) -> bool:
    """An import failed on a library MLflow does not ship (keras, ragas), not on MLflow."""
    name = getattr(error, "name", None) or ""
    return bool(name) and name != ROOT_MODULE and not name.startswith(ROOT_MODULE + ".")


@cache
def _source_names(module: str) -> frozenset[str] | None:
    """Every name a module's source binds at its top level, in any branch, and its `__all__`;
    None when there is no such module."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    with open(spec.origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                names.update(c.value for c in ast.walk(node) if isinstance(c, ast.Constant))
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(node, field, []))
    return frozenset(name for name in names if isinstance(name, str))


def _in_source(module: str, rest: list[str]) -> Located | None:
    """`rest` under `module`, read from the source: the deepest existing submodule must bind
    the next part."""
    for split in range(len(rest), 0, -1):
        package = ".".join([module, *rest[: split - 1]])
        names = _source_names(package)
        if names is not None and rest[split - 1] in names and split == len(rest):
            return Located(_MISSING, f"bound in the source of {package}")
    return None


def locate(name: str) -> Located | None:
    """Where the pinned package has `name`, or None."""
    parts = name.split(".")
    value: object = importlib.import_module(parts[0])
    module = parts[0]
    for index in range(1, len(parts)):
        path = ".".join(parts[: index + 1])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = getattr(value, parts[index])
        except ImportError as error:  # a lazily loaded submodule that needs another library
            return _in_source(module, parts[index:]) if _optional_dependency(error) else None
        except AttributeError:
            if isinstance(value, type):
                return None  # a class: getattr is the whole truth
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = importlib.import_module(path)
            except ImportError as error:
                if _optional_dependency(error) or not isinstance(error, ModuleNotFoundError):
                    return _in_source(module, parts[index:])
                return _in_source(module, parts[index:])
        if isinstance(value, types.ModuleType):
            module = path
    return Located(value, "imported")


def _located_or_reexported(name: str) -> Located | None:
    found = locate(name)
    if found is not None:
        return found
    # Registered at import time only when an optional library is there (mlflow.data's
    # constructors): the module a [normalise] rule names as its source defines it.
    sources = [key for key, value in CATALOG.normalise if value == name]
    return next((found for key in sources if (found := locate(key)) is not None), None)


@pytest.mark.parametrize("name", PRESENT)
def test_every_catalogued_name_exists_in_the_package(name: str) -> None:
    assert _located_or_reexported(name) is not None, (
        f"{name} is not in mlflow {mlflow.__version__}: fix the name, or mark it removed"
    )


@pytest.mark.parametrize("name", REMOVED)
def test_names_marked_removed_are_gone(name: str) -> None:
    assert locate(name) is None, f"{name} is marked removed but mlflow {mlflow.__version__} has it"


def _flavor_present(flavor: str) -> bool:
    plugins = _source_names(ROOT_MODULE) or frozenset()  # `txtai = LazyLoader(...)`: a plugin
    return (flavor in plugins and "." not in flavor) or any(
        _located_or_reexported(f"{ROOT_MODULE}.{flavor}.{function}") is not None
        for function in CATALOG.flavor_functions
    )


@pytest.mark.parametrize("flavor", sorted(CATALOG.flavors))
def test_every_flavor_exists_or_is_marked_removed(flavor: str) -> None:
    assert _flavor_present(flavor) != (flavor in CATALOG.removed_flavors)


def _exported(package: object, name: str) -> bool:
    exports = getattr(package, "__all__", None)
    return name in exports if isinstance(exports, list | tuple) else hasattr(package, name)


def _shorter_public_path(name: str, value: object) -> str | None:
    """A shorter path through which a package's `__init__` exports the same object."""
    parts = name.split(".")
    for end in range(1, len(parts) - 1):
        package = locate(".".join(parts[:end]))
        if package is None or not isinstance(package.value, types.ModuleType):
            continue
        last = parts[-1]
        if _exported(package.value, last) and getattr(package.value, last, None) is value:
            return f"{'.'.join(parts[:end])}.{last}"
    return None


@pytest.mark.parametrize("name", PRESENT)
def test_every_name_is_the_shortest_public_path(name: str) -> None:
    found = locate(name)
    if found is None or found.value is _MISSING or isinstance(found.value, types.ModuleType):
        return  # only in the source, or a module: no object to compare
    parent = locate(name.rpartition(".")[0])
    if parent is not None and isinstance(parent.value, type):
        return  # a method: its class's name is what the policy is about
    assert _shorter_public_path(name, found.value) is None, (
        f"{name} is exported as {_shorter_public_path(name, found.value)}: that is its name"
    )


WHOLE_NAME_RULES = [
    (key, value)
    for key, value in CATALOG.normalise
    if value in CATALOG.entries or value in CATALOG.returns
]


@pytest.mark.parametrize(("key", "value"), WHOLE_NAME_RULES, ids=[k for k, _ in WHOLE_NAME_RULES])
def test_normalise_rules_rename_one_object(key: str, value: str) -> None:
    source, target = locate(key), locate(value)
    if source is None or target is None or _MISSING in (source.value, target.value):
        return  # an older path, or one behind an optional library: nothing to compare
    old, new = inspect.unwrap(source.value), inspect.unwrap(target.value)  # type: ignore[arg-type]
    # A deprecated alias is a function of its own that calls the new one (`load_pyfunc`).
    alias = getattr(new, "__name__", None) in getattr(
        getattr(old, "__code__", None), "co_names", ()
    )
    assert old is new or alias, f"{key} and {value} are different objects"


@pytest.mark.parametrize("row", sorted(CATALOG.returns.values(), key=lambda r: r.factory))
def test_returned_object_classes_exist(row) -> None:
    found = locate(row.prefix)
    assert found is not None, f"{row.prefix} is not in mlflow {mlflow.__version__}"
    assert found.value is _MISSING or isinstance(found.value, type)
