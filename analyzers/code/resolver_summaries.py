"""What one module of a repository means to the others, in MLflow terms, and what a file is
told about the repository before it is resolved.

The repository pass (`analyzers.repo.repository`) resolves every file once with a
`RepoContext` and gets back a `ModuleSummary`: the file's top-level names that mean something
to MLflow (an imported module or function, a client, a function that returns one, a class
whose instances hold one, a string constant), the pytest fixtures it defines, the `mlflow`
modules it star-imports, and the calls it makes into functions of other modules with MLflow
values as arguments. Both are plain JSON, so they can cross processes and be hashed into the
cache key of the files that used them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from analyzers.code.resolver_values import (
    ClassInfo,
    FunctionInfo,
    Instance,
    QName,
    RepoModule,
    RepoName,
    SelfRef,
    StrConst,
    UserClass,
    UserFunction,
    Value,
)

# A value as JSON: ["q", name] an MLflow name, ["i", cls] an MLflow object, ["s", text] a
# string, ["m", key] a repository module, ["n", key, name] a name in one whose meaning is not
# known, ["f", returns] a function, ["c", attrs, method returns, properties, extends] a class,
# ["o", class] an instance of one.
Encoded = list[Any]
_MAX_DEPTH = 4
# What a call site passed for one argument: (position or keyword, value, a literal/display
# that is certainly not a module).
PassedArgument = tuple[int | str, Encoded | None, bool]
# One argument as the callee's parameter gets it: (parameter, value, certainly not a module).
TargetedArgument = tuple[str, Encoded | None, bool]
_DECODABLE = frozenset("qismnfco")  # the kinds `decode` turns into a value


@dataclass(frozen=True, slots=True)
class CallOut:
    """A call into a function or class of another module of the repository."""

    key: str  # the callee's module
    qualname: str  # `train`, `Trainer` (its constructor), `Trainer.fit`
    implicit: int  # leading parameters Python fills in (`self`)
    arguments: tuple[PassedArgument, ...]

    def encode(self) -> Encoded:
        return [self.key, self.qualname, self.implicit, [list(a) for a in self.arguments]]

    @classmethod
    def decode(cls, data: Encoded) -> CallOut:
        key, qualname, implicit, arguments = data
        return cls(key, qualname, implicit, tuple((a[0], a[1], a[2]) for a in arguments))


@dataclass(frozen=True, slots=True)
class ModuleSummary:
    names: Mapping[str, Encoded] = field(default_factory=dict)
    fixtures: Mapping[str, Encoded] = field(default_factory=dict)
    star_from: tuple[str, ...] = ()  # `from mlflow import *`: other names are mlflow's too
    calls_out: tuple[CallOut, ...] = ()

    @property
    def meaningful(self) -> bool:
        """Whether importing this module can change what another file resolves to."""
        return bool(self.names or self.fixtures or self.star_from)

    def exports(self) -> dict[str, Any]:
        """What importers see: the part of the summary their cache keys depend on."""
        return {"names": self.names, "fixtures": self.fixtures, "star": list(self.star_from)}

    def to_json(self) -> str:
        data = {**self.exports(), "calls": [call.encode() for call in self.calls_out]}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ModuleSummary:
        data = json.loads(text)
        return cls(
            data["names"],
            data["fixtures"],
            tuple(data["star"]),
            tuple(CallOut.decode(call) for call in data["calls"]),
        )


@dataclass(frozen=True, slots=True)
class RepoContext:
    """What a file is told about the rest of its repository.

    `imports` maps each import as the file writes it (`utils`, `pkg.config`, `.config`, `..`)
    to the repository module it reaches (a key: its path); `modules` holds the exports of every
    module reachable that way, `children` the submodules of packages, `fixtures` the pytest
    fixtures of the `conftest.py` files above it, `incoming` what other modules pass to this
    one's functions (by qualified name: one entry per call site).
    """

    key: str = ""
    imports: Mapping[str, str] = field(default_factory=dict)
    modules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    children: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    fixtures: Mapping[str, Encoded] = field(default_factory=dict)
    incoming: Mapping[str, list[list[Any]]] = field(default_factory=dict)
    # What the analysis asked of the context (see `view`); the resolver reads the context
    # only through the methods below, which note each question here.
    demand: set[tuple[str, ...]] = field(default_factory=set, compare=False)

    def to_json(self) -> str:
        return json.dumps(
            {
                "key": self.key,
                "imports": self.imports,
                "modules": self.modules,
                "children": self.children,
                "fixtures": self.fixtures,
                "incoming": self.incoming,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> RepoContext:
        data = json.loads(text)
        return cls(
            data["key"],
            data["imports"],
            data["modules"],
            data["children"],
            data["fixtures"],
            data["incoming"],
        )

    def digest(self) -> str:
        """Part of the cache key of the file resolved with this context."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:20]

    def view(self, demand: Iterable[tuple[str, ...]]) -> str:
        """The answers this context gives to the questions `demand` lists, as text. An
        analysis that asked only these questions is the same under any context whose view of
        them is the same: it runs identically up to its first differing answer, and there is
        none. The repository pass uses this to skip analyses a changed context cannot change."""
        answers = [[list(question), self._answer(question)] for question in sorted(demand)]
        return json.dumps(answers, sort_keys=True, separators=(",", ":"))

    def _answer(self, question: tuple[str, ...]) -> Any:
        kind, *names = question
        if kind == "w":  # mentions_context
            meaningful = any(e.get("names") or e.get("star") for e in self.modules.values())
            return [sorted(self.fixtures), sorted(self.incoming), meaningful]
        name = names[0]
        exports = self.modules.get(name, {})
        answers: dict[str, Any] = {
            "i": lambda: self.imports.get(name),
            "s": lambda: exports.get("names", {}),
            "t": lambda: exports.get("star", []),
            "c": lambda: _incoming_effect(
                _targeted(
                    self.incoming.get(name, []),
                    int(names[1]),
                    json.loads(names[2]),
                    set(json.loads(names[3])),
                )
            ),
            "f": lambda: [name in self.fixtures, self.fixtures.get(name)],
            "m": lambda: [
                exports.get("names", {}).get(names[1]),
                self.children.get(name, {}).get(names[1]),
                (exports.get("star") or [None])[:1],
            ],
        }
        return answers[kind]()

    def module(self, spec: str) -> str | None:
        self.demand.add(("i", spec))
        return self.imports.get(spec)

    def star_modules(self, key: str) -> list[str]:
        """The mlflow modules a repository module star-imported."""
        self.demand.add(("t", key))
        return list(self.modules.get(key, {}).get("star", []))

    def incoming_arguments(
        self, qualname: str, offset: int, positional: Sequence[str], keywords: Iterable[str]
    ) -> list[TargetedArgument]:
        """What other modules pass to the parameters of function `qualname` (`positional`
        take positional arguments, `keywords` keyword ones; `offset` more leading parameters
        than the call sites count, as `self` for a class's calls of its `__init__`), one
        (parameter, value, certainly not a module) per argument, in call-site order."""
        signature = (json.dumps(list(positional)), json.dumps(sorted(keywords)))
        self.demand.add(("c", qualname, str(offset), *signature))
        return _targeted(self.incoming.get(qualname, []), offset, positional, set(keywords))

    def fixture(self, name: str) -> Encoded | None:
        """A conftest fixture's summarised value (None: no such fixture)."""
        self.demand.add(("f", name))
        return self.fixtures.get(name)

    def member(self, key: str, name: str) -> Value | None:
        """`<module>.<name>` for a repository module: its summarised meaning, a submodule, an
        MLflow name it star-imported, or a name whose meaning is unknown (still callable, so
        what is passed to it can be told to it)."""
        self.demand.add(("m", key, name))
        exports = self.modules.get(key, {})
        encoded = exports.get("names", {}).get(name)
        if encoded is not None:
            return decode(encoded, key, name)
        child = self.children.get(key, {}).get(name)
        if child is not None:
            return RepoModule(child)
        star = exports.get("star", [])
        if star:
            return QName(f"{star[0]}.{name}")
        return RepoName(key, name)

    def star_names(self, key: str) -> dict[str, Value]:
        self.demand.add(("s", key))
        exports = self.modules.get(key, {})
        return {
            name: value
            for name, encoded in exports.get("names", {}).items()
            if not name.startswith("_") and (value := decode(encoded, key, name)) is not None
        }


def _targeted(
    sites: list[list[Any]], offset: int, positional: Sequence[str], keywords: set[str]
) -> list[TargetedArgument]:
    found: list[TargetedArgument] = []
    for implicit, arguments in sites:
        for where, encoded, known_object in arguments:
            if isinstance(where, int):
                index = where + implicit + offset
                target = positional[index] if index < len(positional) else None
            else:
                target = where if where in keywords else None
            if target is not None:
                found.append((target, encoded, known_object))
    return found


_CONFLICT: Encoded = ["x"]  # call sites pass different modules, or a module and something else


def _incoming_effect(arguments: list[TargetedArgument]) -> list[Any]:
    """What `FunctionInfo.note_argument` makes of `arguments`, as JSON: per parameter, the
    module every call site passes (or a conflict) and the first object or string passed. Two
    lists with the same effect leave a function's parameters alike after any earlier calls
    too, so a view that holds the effect instead of the call sites is as sound and changes
    less often (a second call site passing the same value, a literal beside a client)."""
    from analyzers.code.catalog import load_catalog  # the repository pass's own catalog

    catalog = load_catalog()
    modules: dict[str, Encoded] = {}
    first: dict[str, Encoded] = {}
    for target, encoded, known_object in arguments:
        if not encoded:
            if known_object:
                modules[target] = _CONFLICT
            continue
        kind = encoded[0]
        if kind == "q" and catalog.is_module(catalog.canonical(encoded[1])):
            known = modules.get(target)
            modules[target] = encoded if known is None or known == encoded else _CONFLICT
            continue
        if kind in _DECODABLE or known_object:
            modules[target] = _CONFLICT
        if kind in ("q", "i", "s"):
            first.setdefault(target, encoded)
    return [sorted(modules.items()), sorted(first.items())]


@dataclass(slots=True)
class RepositorySession:
    """While one file of a repository is analysed: what the repository tells it, and the
    summaries of the modules resolved in it (one per script, or per notebook group)."""

    context: RepoContext
    summaries: list[ModuleSummary] = field(default_factory=list)


# Set by `analyzers.code.in_repository` around one file's analysis, read where it resolves.
REPOSITORY_SESSION: ContextVar[RepositorySession | None] = ContextVar(
    "repository_session", default=None
)


def merge_summaries(summaries: list[ModuleSummary]) -> ModuleSummary:
    """One file's summary: a notebook resolves its own cells and each script it writes apart;
    importers see the first (the notebook, or the script); calls out come from all."""
    if not summaries:
        return ModuleSummary()
    first = summaries[0]
    calls = distinct_calls([call for summary in summaries for call in summary.calls_out])
    return ModuleSummary(first.names, first.fixtures, first.star_from, calls)


def distinct_calls(calls: list[CallOut]) -> tuple[CallOut, ...]:
    """Each distinct call once (a call site resolved in several passes is noted each time)."""
    return tuple({json.dumps(call.encode()): call for call in calls}.values())


def mentions_context(data: bytes, context: RepoContext) -> bool:
    """Whether a file the pre-filter rules out may still use what the repository tells it: it
    imports a module that means something, uses a fixture by name, or defines a function
    other modules call with MLflow arguments."""
    context.demand.add(("w",))
    words = [*context.fixtures, *(name.rpartition(".")[2] for name in context.incoming)]
    meaningful = any(
        exports.get("names") or exports.get("star") for exports in context.modules.values()
    )
    return meaningful or any(word.encode("utf-8") in data for word in words)


def encode(value: Value | None, depth: int = 0) -> Encoded | None:
    """A value as JSON, or None when it carries nothing another module could use."""
    if depth > _MAX_DEPTH or value is None:
        return None
    if isinstance(value, QName):
        return ["q", value.name]
    if isinstance(value, Instance):
        return ["i", value.cls]
    if isinstance(value, StrConst):
        return ["s", value.value]
    if isinstance(value, RepoModule):
        return ["m", value.key]
    if isinstance(value, UserFunction):
        returns = encode(value.info.returns, depth + 1)
        return ["f", returns] if returns is not None else None
    if isinstance(value, UserClass):
        return _encode_class(value.info, depth)
    if isinstance(value, SelfRef) and not value.path:
        encoded = _encode_class(value.owner, depth)
        return ["o", encoded] if encoded is not None else None
    return None


def _encode_class(info: ClassInfo, depth: int) -> Encoded | None:
    attrs: dict[str, Encoded] = {}
    methods: dict[str, Encoded] = {}
    properties: dict[str, Encoded] = {}
    for ancestor in reversed(list(info.lineage())):  # a subclass's own bindings win
        for name, value in ancestor.attrs.items():
            if (encoded := encode(value, depth + 1)) is not None:
                attrs[name] = encoded
        for name, method in ancestor.methods.items():
            if (encoded := encode(method.returns, depth + 1)) is not None:
                methods[name] = encoded
        for name, method in ancestor.properties.items():
            if (encoded := encode(method.returns, depth + 1)) is not None:
                properties[name] = encoded
    extends = next((a.extends for a in info.lineage() if a.extends), None)
    if not (attrs or methods or properties or extends):
        return None
    return ["c", attrs, methods, properties, extends]


def decode(encoded: Encoded, key: str, qualname: str) -> Value | None:
    """The value a summary's JSON stands for, bound to `qualname` in module `key`; functions
    and classes remember where they live (`origin`), so calls into them are told back there."""
    kind = encoded[0]
    if kind == "q":
        return QName(encoded[1])
    if kind == "i":
        return Instance(encoded[1])
    if kind == "s":
        return StrConst(encoded[1])
    if kind == "m":
        return RepoModule(encoded[1])
    if kind == "n":
        return RepoName(encoded[1], encoded[2])
    if kind == "f":
        returns = decode(encoded[1], key, "")
        return UserFunction(FunctionInfo(returns=returns, origin=(key, qualname)))
    if kind == "c":
        return UserClass(_decode_class(encoded, key, qualname))
    if kind == "o":
        return SelfRef(_decode_class(encoded[1], key, ""))
    return None


def _decode_class(encoded: Encoded, key: str, qualname: str) -> ClassInfo:
    _, attrs, methods, properties, extends = encoded
    info = ClassInfo(extends=extends, origin=(key, qualname) if qualname else None)
    for name, value in attrs.items():
        if (decoded := decode(value, key, "")) is not None:
            info.attrs[name] = decoded
    for name, value in methods.items():
        origin = (key, f"{qualname}.{name}") if qualname else None
        info.methods[name] = FunctionInfo(returns=decode(value, key, ""), origin=origin)
    for name, value in properties.items():
        info.properties[name] = FunctionInfo(returns=decode(value, key, ""))
    return info
