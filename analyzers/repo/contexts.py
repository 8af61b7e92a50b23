"""What a file of a checkout is told about the others: its `RepoContext`, built from the
summaries of the modules it imports, the `conftest.py` files above it and the calls other
modules make into it, and the digest that goes into its cache key.

`RepoFile` is one file's state through the repository pass. A file the pre-filter ruled out
is parsed only when it names something its context can change (`relevant_words`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from analyzers.code.outline import Imports
from analyzers.code.resolver_summaries import ModuleSummary, RepoContext
from analyzers.records import FileAnalysis
from analyzers.repo.files import Entry
from analyzers.repo.modules import ModuleIndex, prefixes

Incoming = dict[str, dict[str, list[list[Any]]]]  # module -> function -> call sites
# Kinds of summarised values that can turn a call into an MLflow call in a file that never
# names mlflow itself (a string constant cannot).
_CALLABLE_KINDS = frozenset({"q", "i", "f", "c", "o"})


@dataclass(frozen=True, slots=True)
class Outline:
    mlflow: bool  # the pre-filter lets the file through
    imports: Imports

    def to_json(self) -> str:
        data = [self.mlflow, self.imports.plain, self.imports.from_]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Outline:
        mlflow, plain, from_ = json.loads(text)
        imports = Imports(tuple(plain), tuple((m, tuple(names)) for m, names in from_))
        return cls(bool(mlflow), imports)


@dataclass(slots=True)
class RepoFile:
    entry: Entry
    path: str
    blob: str | None = None
    outline: Outline = field(default_factory=lambda: Outline(False, Imports((), ())))
    analysis: FileAnalysis | None = None
    summary: ModuleSummary = field(default_factory=ModuleSummary)
    digest: str | None = None  # of the context the analysis used; None: not analysed yet
    # What the worker's analysis asked of its context, and the answers (RepoContext.view);
    # None when the analysis was not a worker's.
    demand: tuple[tuple[str, ...], ...] | None = None
    view: str | None = None
    imports: dict[str, str] | None = None  # import spec -> module key, once resolved
    children: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.entry.path


def dependencies(file: RepoFile, index: ModuleIndex) -> set[str]:
    """The modules whose summaries the file's resolution reads: every package an `import
    a.b.c` runs, the module of a `from m import x` (and `m.x` if a submodule) and the
    conftest.py files above it. Not the packages above `m`: a package's `__init__` that
    imports its own modules would otherwise make a cycle of every package."""
    found = set(index.conftests(file.key))
    imports, children = imports_of(file, index)
    found.update(imports.values())
    found.update(key for submodules in children.values() for key in submodules.values())
    return {key for key in found if not key.endswith("/") and key != file.key}


def incoming_calls(files: list[RepoFile]) -> Incoming:
    """What each module's functions are passed by the other modules, per call site; only
    for functions some call site passes an MLflow value to."""
    found: Incoming = {}
    for file in files:
        for call in file.summary.calls_out:
            arguments = [list(argument) for argument in call.arguments]
            found.setdefault(call.key, {}).setdefault(call.qualname, []).append(
                [call.implicit, arguments]
            )
    return {
        key: {
            name: sites
            for name, sites in functions.items()
            if any(argument[1] is not None for _, arguments in sites for argument in arguments)
        }
        for key, functions in found.items()
    }


def context_of(
    file: RepoFile,
    index: ModuleIndex,
    by_key: dict[str, RepoFile],
    incoming: Incoming,
    read: set[str] | None = None,
) -> RepoContext:
    """The file's context from the summaries it reaches now. `read` gets the key of every
    module whose summary (or incoming calls, for the modules it imports) that took: with its
    own incoming calls, all its context can change with."""
    imports, children = imports_of(file, index)
    modules: dict[str, dict[str, Any]] = {}
    pending = [*imports.values(), *(k for sub in children.values() for k in sub.values())]
    conftests = index.conftests(file.key)
    if read is not None:
        read.update(pending, conftests)
    while pending:
        key = pending.pop()
        source = by_key.get(key)
        if key in modules or source is None or not source.summary.meaningful:
            continue
        modules[key] = source.summary.exports()
        reexported = [v[1] for v in source.summary.names.values() if v[0] == "m"]
        pending.extend(reexported)
        if read is not None:
            read.update(reexported)
    fixtures: dict[str, list[Any]] = {}
    for conftest in conftests:
        source = by_key.get(conftest)
        if source is not None:
            fixtures.update(source.summary.fixtures)
    return RepoContext(file.key, imports, modules, children, fixtures, incoming.get(file.key, {}))


def imports_of(
    file: RepoFile, index: ModuleIndex
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The file's import specs that reach modules of the checkout, and the submodules they
    reach through packages (resolved once: they do not change from round to round)."""
    if file.imports is None:
        file.imports = {}
        for spec in file.outline.imports.plain:
            parent: str | None = None
            for part in prefixes(spec):
                key = index.resolve(file.key, part)
                if key is None:
                    break
                file.imports[part] = key
                if parent is not None:
                    file.children.setdefault(parent, {})[part.rpartition(".")[2]] = key
                parent = key
        for module, names in file.outline.imports.from_:
            key = index.resolve(file.key, module)
            if key is None:
                continue
            file.imports[module] = key  # `from . import x` in a package's own __init__ too
            for name in names:
                child = index.resolve(
                    file.key, module + ("" if module.endswith(".") else ".") + name
                )
                if child is not None:
                    file.children.setdefault(key, {})[name] = child
    return file.imports, file.children


def trivial(context: RepoContext) -> bool:
    return not (context.imports or context.fixtures or context.incoming)


def callees_of(file: RepoFile, incoming: Incoming) -> set[str]:
    """Names of the functions and classes, in the modules this file imports, that other
    modules pass MLflow values to: a call of one here (with a stub, say) must be heard too."""
    return {
        qualname.split(".", 1)[0]
        for key in set((file.imports or {}).values())
        for qualname in incoming.get(key, {})
    }


def digest_of(context_json: str, callees: set[str]) -> str:
    """What goes into the cache key: the context, and for a file the pre-filter ruled out, the
    names it would have to mention to be read."""
    text = context_json + "|" + ",".join(sorted(callees))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Words:
    """What a file the pre-filter ruled out must mention to be read: a name `anywhere` (an
    MLflow object, a function or class of the repository that gives or holds one, a fixture, a
    function others pass MLflow values to), a name `used` as `name.` or `name(` (an MLflow
    module or function: it does nothing unless called or looked into), or an `attribute`
    read as `.attr` (what such a class holds: `.client` of a tracker the file was given)."""

    anywhere: frozenset[str]
    used: frozenset[str]
    attributes: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.anywhere or self.used or self.attributes)


def relevant_words(context: RepoContext, callees: set[str]) -> Words | None:
    """For a file the pre-filter ruled out: what it must mention for its context to change
    what it resolves to or what it tells others; None when anything could (it receives MLflow
    values itself, or imports a module that star-imports mlflow)."""
    if context.incoming or any(exports.get("star") for exports in context.modules.values()):
        return None
    anywhere = set(context.fixtures) | callees
    used: set[str] = set()
    attributes: set[str] = set()
    for exports in context.modules.values():
        for name, value in exports["names"].items():
            kind = value[0]
            if kind == "q":
                used.add(name)
            elif kind in ("i", "f"):
                anywhere.add(name)
            elif kind in ("c", "o") and _callable(value):
                anywhere.add(name)  # made or typed here, it carries what it holds on
                _, attrs, methods, properties, _ = value if kind == "c" else value[1]
                attributes.update(a.split(".", 1)[0] for a, v in attrs.items() if _callable(v))
                attributes.update(methods)
                attributes.update(properties)
    return Words(frozenset(anywhere), frozenset(used), frozenset(attributes))


def _callable(encoded: list[Any]) -> bool:
    """A summarised value that can make a call MLflow's: not a string, nor a class (or
    instance) that holds nothing but strings (a config class)."""
    kind = encoded[0]
    if kind == "o":
        return _callable(encoded[1])
    if kind == "c":
        _, attrs, methods, properties, extends = encoded
        return bool(methods or properties or extends) or any(map(_callable, attrs.values()))
    return kind in _CALLABLE_KINDS


def mentions(data: bytes, words: Words | None) -> bool:
    if words is None:
        return True
    for names, before, after in (
        (words.anywhere, rb"\b", rb"\b"),
        (words.used, rb"\b", rb"\s*[.(]"),
        (words.attributes, rb"\.\s*", rb"\b"),
    ):
        if names:
            alternatives = b"|".join(re.escape(name.encode("utf-8")) for name in sorted(names))
            if re.search(before + rb"(?:" + alternatives + rb")" + after, data) is not None:
                return True
    return False
