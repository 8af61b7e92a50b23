"""Which file of a checkout an import reaches, and which `conftest.py` files a file is under.

A file's imports are resolved as Python would for a script or a test in the checkout:
relative imports from the file's package; absolute ones from the file's own directory, then
each directory above it up to the root, and a `src/` beside each (the usual layouts). A module
is a `.py` file or a package's `__init__.py`; a directory of Python files without one is a
namespace package (its key ends with `/`). `mlflow` itself is never a module of the checkout.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator

from analyzers.code.catalog import ROOT_MODULE

CONFTEST = "conftest.py"


class ModuleIndex:
    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(keys)  # paths of .py files, relative, "/"-separated
        self.directories = frozenset(
            parent for key in self.keys for parent in _ancestors(posixpath.dirname(key)) if parent
        )
        self._resolved: dict[tuple[str, str], str | None] = {}
        self._roots: dict[str, list[str]] = {}
        self._conftests: dict[str, list[str]] = {}
        self._conftest_dirs = frozenset(
            posixpath.dirname(key) for key in self.keys if posixpath.basename(key) == CONFTEST
        )
        # The first part of any absolute import that can reach the checkout: a file or a
        # directory of it (numpy, torch... are answered from this set alone).
        self._tops = frozenset(
            part.removesuffix(".py")
            for path in (*self.keys, *self.directories)
            for part in path.split("/")
        )

    def resolve(self, importer: str, spec: str) -> str | None:
        """The module (its key) that `spec` (`pkg.utils`, `.config`, `..`) names when
        imported from the file `importer`, or None when it is not in the checkout."""
        where = (posixpath.dirname(importer), spec)  # all that the answer depends on
        if where not in self._resolved:
            self._resolved[where] = self._resolve(importer, spec)
        return self._resolved[where]

    def _resolve(self, importer: str, spec: str) -> str | None:
        level = len(spec) - len(spec.lstrip("."))
        name = spec[level:]
        if level:
            base = posixpath.dirname(importer)
            for _ in range(level - 1):
                if not base:
                    return None
                base = posixpath.dirname(base)
            return self._module(base, name)
        if name == ROOT_MODULE or name.startswith(ROOT_MODULE + "."):
            return None
        if name.split(".", 1)[0] not in self._tops:
            return None
        directory = posixpath.dirname(importer)
        if directory not in self._roots:
            self._roots[directory] = list(_search_roots(directory))
        for root in self._roots[directory]:
            found = self._module(root, name)
            if found is not None:
                return found
        return None

    def _module(self, base: str, name: str) -> str | None:
        relative = name.replace(".", "/")
        path = (f"{base}/{relative}" if base else relative) if name else base
        if name and f"{path}.py" in self.keys:
            return f"{path}.py"
        init = f"{path}/__init__.py" if path else "__init__.py"
        if init in self.keys:
            return init
        return f"{path}/" if path in self.directories else None

    def conftests(self, key: str) -> list[str]:
        """The `conftest.py` files whose fixtures `key` sees, outermost first (pytest's
        rule: the file's directory and every directory above it)."""
        directory = posixpath.dirname(key)
        if directory not in self._conftests:
            self._conftests[directory] = [
                f"{d}/{CONFTEST}" if d else CONFTEST
                for d in reversed(list(_ancestors(directory)))
                if d in self._conftest_dirs
            ]
        return [conftest for conftest in self._conftests[directory] if conftest != key]


def prefixes(spec: str) -> list[str]:
    """`a.b.c` -> a, a.b, a.b.c; `.x.y` -> `.`, `.x`, `.x.y`: every module an import runs."""
    level = len(spec) - len(spec.lstrip("."))
    parts = [part for part in spec[level:].split(".") if part]
    dots = "." * level
    found = [dots] if level else []
    for end in range(1, len(parts) + 1):
        joined = ".".join(parts[:end])
        found.append(dots + joined)
    return found


def _ancestors(directory: str) -> Iterator[str]:
    """`a/b` -> a/b, a, "" (the root)."""
    while True:
        yield directory
        if not directory:
            return
        directory = posixpath.dirname(directory)


def _search_roots(directory: str) -> Iterator[str]:
    """Where an absolute import from a file of `directory` may start: that directory, each
    directory above it, and a `src/` beside each."""
    for ancestor in _ancestors(directory):
        yield ancestor
        yield f"{ancestor}/src" if ancestor else "src"
