"""What the resolver binds a name to, and the scopes that hold those bindings.

A name is bound to a `Value` when it means something to MLflow (a module, function or class
reached from `mlflow`, an object MLflow returned, a string that may be a tracking URI, a class
or function of the analysed code that carries such values), or to `UNKNOWN` when it was
rebound to anything else, which hides the meaning it had in outer scopes. Everything here is
plain data plus the small rules that combine it (`join` where control flow meets, a class's
lineage for `self.<attr>`); the walk that fills it in lives in the other `resolver_*` modules.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser loads only where files are parsed
    import libcst as cst


@dataclass(frozen=True, slots=True)
class QName:
    """A module, function or class reached from `mlflow` (a raw, not yet canonical, path)."""

    name: str


@dataclass(frozen=True, slots=True)
class Instance:
    """An object MLflow made, of a class the catalog follows (`[returns]`), such as
    `mlflow.MlflowClient` or the `mlflow.entities.Span` of `mlflow.start_span`."""

    cls: str


@dataclass(frozen=True, slots=True)
class StrConst:
    """A name bound to a string literal, so `set_tracking_uri(URI)` can be read."""

    value: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A name bound to something read from a configuration object (`cfg.mlflow.tracking_uri`,
    `config.get("uri", "./mlruns")`): not MLflow's, so it means nothing to evaluation, but the
    reference (and the literal default, if any) is kept for the value of a fact."""

    path: str
    default: str | None = None


@dataclass(frozen=True, slots=True)
class RepoModule:
    """A module of the analysed repository (`import utils`, `from . import config`): its
    attributes are what the repository pass summarised for it."""

    key: str


@dataclass(frozen=True, slots=True)
class RepoName:
    """A name in a module of the repository whose meaning is not known here (`from steps
    import train`): calling it still tells that module what was passed."""

    key: str
    name: str


@dataclass(eq=False, slots=True)
class ClassInfo:
    """A class of the analysed code: what `self.<attr>` (or `self.<a>.<b>`) holds in its
    methods, the methods it defines, and the followed class it extends, if any
    (`class Tracker(MlflowClient)`)."""

    attrs: dict[str, Value] = field(default_factory=dict)
    bases: list[ClassInfo] = field(default_factory=list)
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    properties: dict[str, FunctionInfo] = field(default_factory=dict)
    extends: str | None = None
    origin: tuple[str, str] | None = None  # (module key, name) of a class of another module

    def lineage(self) -> Iterator[ClassInfo]:
        seen: set[int] = set()
        pending = [self]
        while pending:
            info = pending.pop(0)
            if id(info) not in seen:
                seen.add(id(info))
                yield info
                pending.extend(info.bases)

    def lookup(self, path: str) -> Value | None:
        """What `self.<path>` holds; for a method the class only inherits from a followed
        class, that class's method; None when unknown or the class's own method."""
        lineage = list(self.lineage())
        for info in lineage:
            if path in info.attrs:
                return info.attrs[path]
        for info in lineage:
            if path in info.properties:  # `self.client` where `client` is a property
                return info.properties[path].returns
        if any(path in info.methods for info in lineage):
            return None
        extends = next((info.extends for info in lineage if info.extends), None)
        if extends and "." not in path:
            return QName(f"{extends}.{path}")
        return None

    def method(self, name: str) -> FunctionInfo | None:
        """The class's own (or inherited analysed) method `name`."""
        return next((info.methods[name] for info in self.lineage() if name in info.methods), None)


@dataclass(frozen=True, slots=True)
class SelfRef:
    """`self` in a method, an instance of an analysed class, or an attribute path on one
    (`self.server`): attributes on it are looked up in its class by their dotted path."""

    owner: ClassInfo
    path: str = ""

    def attribute(self, attr: str) -> Value:
        path = f"{self.path}.{attr}" if self.path else attr
        return self.owner.lookup(path) or SelfRef(self.owner, path)


@dataclass(frozen=True, slots=True)
class UserClass:
    """A class of the analysed code: calling it makes an instance, which behaves as `self`."""

    info: ClassInfo


# What a call passed for a parameter that takes modules: the module, or CONFLICT once some
# call site passed something known to be another object (`train(mlflow=FakeTracker())`).
CONFLICT = "conflict"


@dataclass(eq=False, slots=True)
class FunctionInfo:
    """A function of the analysed code: what it returns (from its annotation, `-> MlflowClient`,
    or from a `return` of something of MLflow's) and what its callers pass to its parameters
    (`log_results(client, ...)`). Objects and functions are "may" facts, one call is enough; a
    module (`train(mlflow, ...)`) must be what every call site that passes the parameter gives.
    """

    positional: tuple[str, ...] = ()  # parameter names that take positional arguments
    keywords: frozenset[str] = frozenset()  # parameter names that take keyword arguments
    returns: Value | None = None
    params: dict[str, Value] = field(default_factory=dict)
    module_params: dict[str, QName | str] = field(default_factory=dict)  # QName or CONFLICT
    decorator: str = ""  # "staticmethod" or "classmethod" for such methods
    fixture: bool = False  # a pytest fixture: a parameter of its name gets what it gives
    origin: tuple[str, str] | None = None  # (module key, qualified name) in another module

    def note_argument(
        self, name: str, value: Value | None, known_object: bool, is_module: Callable[[QName], bool]
    ) -> None:
        """One call site passed `value` (or, if `known_object`, a literal or display) for the
        parameter `name`."""
        if isinstance(value, QName) and is_module(value):
            known = self.module_params.get(name)
            self.module_params[name] = value if known is None or known == value else CONFLICT
            return
        if value is not None or known_object:
            self.module_params[name] = CONFLICT  # matters only where another call passes one
        if isinstance(value, QName | Instance | StrConst):  # a string: a location passed in
            self.params.setdefault(name, value)

    def passed(self, name: str) -> Value | None:
        """What the callers pass for parameter `name`, if MLflow's."""
        module = self.module_params.get(name)
        return module if isinstance(module, QName) else self.params.get(name)

    def summary(self) -> tuple[object, ...]:
        return (
            self.returns,
            tuple(sorted(self.params.items(), key=lambda kv: kv[0])),
            tuple(sorted(self.module_params.items(), key=lambda kv: kv[0])),
        )


@dataclass(frozen=True, slots=True)
class UserFunction:
    """A function of the analysed code: calling it gives what it returns."""

    info: FunctionInfo


class _Unknown:
    """Bound to something that is not MLflow: it shadows any MLflow meaning from outer scopes."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Value = (
    QName | Instance | SelfRef | StrConst | UserClass | UserFunction | RepoModule | RepoName | Ref
)
Binding = Value | _Unknown


def join(states: Sequence[dict[str, Binding]]) -> dict[str, Binding]:
    """Bindings after control flow joins: a name keeps an MLflow meaning if any path gave one."""
    joined: dict[str, Binding] = {}
    for name in {name for state in states for name in state}:
        values = [state.get(name) for state in states]
        meaningful = [v for v in values if v is not None and v is not UNKNOWN]
        # An MLflow meaning wins over a mere reference (`except ImportError: mlflow = None`).
        chosen: Binding | None = next(
            (v for v in meaningful if not isinstance(v, Ref)), next(iter(meaningful), None)
        )
        if chosen is None and all(v is UNKNOWN for v in values):
            chosen = UNKNOWN
        if chosen is not None:
            joined[name] = chosen
    return joined


@dataclass(eq=False, slots=True)
class Scope:
    kind: str  # "module", "function", "class" or "comprehension"
    parent: Scope | None
    names: dict[str, Binding] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    owner: ClassInfo | None = None  # for class scopes


def identifier(name: cst.Name) -> str:
    """An identifier as Python sees it: NFKC-normalised, so fullwidth `mlflow` is `mlflow`."""
    value = name.value
    return value if value.isascii() else unicodedata.normalize("NFKC", value)
