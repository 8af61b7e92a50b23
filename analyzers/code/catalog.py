"""The catalog of known MLflow APIs: data in `catalog.toml`, loaded into immutable lookups.

Adding an API means adding one line (with its example) to `catalog.toml`; tests are generated
from those examples, and nothing else changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzers.code.groups import ApiGroup, parse_groups
from analyzers.code.integrations import Integration, parse_integrations

if TYPE_CHECKING:
    import libcst as cst

OTHER = "other"
ROOT_MODULE = "mlflow"
CATALOG_PATH = Path(__file__).with_name("catalog.toml")
_MEMO_LIMIT = 1 << 16  # names kept by `Catalog.canonical`


@dataclass(frozen=True, slots=True)
class KeysRule:
    """Where a call names the parameters, metrics or tags it logs.

    Written in the catalog as `NAME@POS` (a string literal passed as keyword NAME or positional
    POS) or `{NAME}@POS` (the literal keys of a dict passed there).
    """

    keyword: str
    position: int
    from_dict: bool

    @classmethod
    def parse(cls, text: str) -> KeysRule:
        name, _, position = text.partition("@")
        from_dict = name.startswith("{") and name.endswith("}")
        return cls(keyword=name.strip("{}"), position=int(position), from_dict=from_dict)

    def extract(self, call: cst.Call) -> tuple[str, ...]:
        argument = _argument(call, self.keyword, self.position)
        if argument is None:
            return ()
        if self.from_dict:
            return tuple(sorted(set(literal_dict_keys(argument))))
        key = literal_string(argument)
        return (key,) if key is not None else ()


def _argument(call: cst.Call, keyword: str, position: int) -> cst.BaseExpression | None:
    positional = 0
    for arg in call.args:
        if arg.star:
            return None  # *args or **kwargs: positions after it are unknowable
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if positional == position:
            return arg.value
        positional += 1
    return None


def literal_string(node: cst.BaseExpression) -> str | None:
    """The value of a string literal (plain or implicitly concatenated), else None."""
    import libcst as cst  # the catalog itself loads without the parser

    if isinstance(node, cst.SimpleString):
        return simple_string_value(node)
    if isinstance(node, cst.ConcatenatedString):
        left, right = literal_string(node.left), literal_string(node.right)
        return None if left is None or right is None else left + right
    return None


def simple_string_value(node: cst.SimpleString) -> str | None:
    """A string literal's value (None for bytes). Without a backslash or a carriage return
    between its quotes, the value is the text between them; only other literals go through
    libcst's `evaluated_value` (`ast.literal_eval`, a compilation per string)."""
    raw = node.value
    prefix = len(node.prefix)
    quote = 3 if raw[prefix : prefix + 3] in ('"""', "'''") else 1
    body = raw[prefix + quote : len(raw) - quote]
    if "b" not in raw[:prefix].lower() and "\\" not in body and "\r" not in body:
        return body
    value = node.evaluated_value
    return value if isinstance(value, str) else None


def literal_dict_keys(node: cst.BaseExpression) -> Iterator[str]:
    """String keys of a `{...}` literal or a `dict(k=...)` call; other keys are skipped."""
    import libcst as cst

    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = literal_string(element.key)
                if key is not None:
                    yield key
    elif (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict"
    ):
        for arg in node.args:
            if arg.keyword is not None:
                yield arg.keyword.value
            elif not arg.star:
                yield from literal_dict_keys(arg.value)


@dataclass(frozen=True, slots=True)
class FactRule:
    """A fact read from a call's argument, written in the catalog as `fact = "RULE"`.

    `NAME@POS` is the literal value of keyword NAME or positional POS (`NAME@-`: keyword
    only); `NAME?` is the keyword's presence (the value is NAME). Alternatives are joined by
    `|`, each present one giving a fact.
    """

    fact: str
    keyword: str
    position: int | None  # None: keyword only
    presence: bool

    @classmethod
    def parse(cls, fact: str, text: str) -> tuple[FactRule, ...]:
        rules = []
        for part in text.split("|"):
            if part.endswith("?"):
                rules.append(cls(fact, part[:-1], None, True))
            else:
                name, _, position = part.partition("@")
                rules.append(cls(fact, name, None if position == "-" else int(position), False))
        return tuple(rules)

    def argument(self, call: cst.Call) -> cst.BaseExpression | None:
        if self.position is None:
            return next(
                (
                    arg.value
                    for arg in call.args
                    if arg.keyword is not None and arg.keyword.value == self.keyword
                ),
                None,
            )
        return _argument(call, self.keyword, self.position)


@dataclass(frozen=True, slots=True)
class ApiEntry:
    """One known API: its canonical name, dimension and the example its tests are made from."""

    name: str
    dimension: str
    keys: KeysRule | None
    example: str
    expect: tuple[str, ...]
    facts: tuple[FactRule, ...] = ()
    removed: str = ""  # the MLflow version it is gone from, if it is


@dataclass(frozen=True, slots=True)
class ReturnedObject:
    """A `[returns]` row: a factory, constructor or context manager, the kind of object it
    gives (`object`, e.g. "span"), that object's class under its canonical name (`prefix`), and
    the dimension of the methods called on it that have no entry of their own."""

    factory: str
    object: str
    prefix: str
    dimension: str | None
    example: str
    expect: str


@dataclass(frozen=True)
class Catalog:
    version: str
    dimensions: dict[str, str]
    entries: dict[str, ApiEntry]
    normalise: tuple[tuple[str, str], ...]
    instance_classes: frozenset[str]
    flavors: frozenset[str]
    flavor_functions: dict[str, str]
    flavor_facts: dict[str, tuple[FactRule, ...]] = field(default_factory=dict)
    groups: dict[str, ApiGroup] = field(default_factory=dict)
    modules: frozenset[str] = frozenset()  # module paths: prefixes of entries, flavors
    returns: dict[str, ReturnedObject] = field(default_factory=dict)  # factory -> object
    removed_flavors: dict[str, str] = field(default_factory=dict)  # flavor -> version
    # Libraries that log to MLflow for the user (`[integrations]`): every name -> its row.
    integrations: dict[str, Integration] = field(default_factory=dict)

    @cached_property
    def integration_roots(self) -> frozenset[str]:
        """The top-level modules of the integrations, bound by the resolver like `mlflow`."""
        return frozenset(name.split(".", 1)[0] for name in self.integrations)

    @cached_property
    def integration_markers(self) -> tuple[bytes, ...]:
        """What the byte pre-filter looks for besides `mlflow`."""
        found = (marker for row in self.integrations.values() for marker in row.markers)
        return tuple(dict.fromkeys(found))

    def integration(self, qualified_name: str) -> Integration | None:
        return self.integrations.get(qualified_name)

    def group(self, name: str) -> ApiGroup:
        """The named group of `[groups]` (see `analyzers.code.groups`)."""
        try:
            return self.groups[name]
        except KeyError:
            raise KeyError(f"catalog: no group {name!r} in [groups]") from None

    def returned(self, canonical_factory: str) -> str | None:
        """The class of the object a call of this factory gives, if it is followed."""
        row = self.returns.get(canonical_factory)
        return row.prefix if row is not None else None

    def is_module(self, canonical_name: str) -> bool:
        return canonical_name in self.modules

    def canonical(self, qualified_name: str) -> str:
        """Rewrite internal paths (`mlflow.tracking.fluent.X`) to the public name (`mlflow.X`):
        the longest dotted prefix that has a `[normalise]` rule, found by dict lookups from the
        whole name down (a name has a few prefixes; the table has dozens of rules)."""
        known = self._canonical.get(qualified_name)
        if known is not None:
            return known
        rewritten, prefix = qualified_name, qualified_name
        while True:
            replacement = self._rewrites.get(prefix)
            if replacement is not None:
                rewritten = replacement + qualified_name[len(prefix) :]
                break
            cut = prefix.rfind(".")
            if cut < 0:
                break
            prefix = prefix[:cut]
        if len(self._canonical) >= _MEMO_LIMIT:
            self._canonical.clear()
        self._canonical[qualified_name] = rewritten
        return rewritten

    @cached_property
    def _rewrites(self) -> dict[str, str]:
        return dict(self.normalise)

    @cached_property
    def _canonical(self) -> dict[str, str]:
        """Names already rewritten: a file asks for the same few names again and again."""
        return {}

    def lookup(self, canonical_name: str) -> ApiEntry | None:
        entry = self.entries.get(canonical_name)
        if entry is not None:
            return entry
        module, _, function = canonical_name.rpartition(".")
        flavor = module.removeprefix(ROOT_MODULE + ".")
        if module.startswith(ROOT_MODULE + ".") and flavor in self.flavors:
            dimension = self.flavor_functions.get(function)
            if dimension is not None:
                return ApiEntry(
                    canonical_name,
                    dimension,
                    None,
                    f"mlflow.{flavor}.{function}()",
                    (),
                    self.flavor_facts.get(function, ()),
                )
        return self._object_method(canonical_name)

    def _object_method(self, canonical_name: str) -> ApiEntry | None:
        """`mlflow.entities.Span.set_inputs`: a method of a followed object takes the dimension
        its `[returns]` rows give the object."""
        prefix, _, method = canonical_name.rpartition(".")
        dimension = self.object_dimensions.get(prefix)
        if dimension is None or not method.isidentifier():
            return None
        return ApiEntry(canonical_name, dimension, None, "", ())

    @cached_property
    def object_dimensions(self) -> dict[str, str]:
        return {row.prefix: row.dimension for row in self.returns.values() if row.dimension}

    def dimension(self, canonical_name: str) -> str:
        entry = self.lookup(canonical_name)
        return entry.dimension if entry else OTHER

    def flavor_entries(self) -> Iterator[ApiEntry]:
        for flavor in sorted(self.flavors):
            for function in sorted(self.flavor_functions):
                entry = self.lookup(f"{ROOT_MODULE}.{flavor}.{function}")
                assert entry is not None
                yield entry


def _load(data: bytes) -> Catalog:
    import tomllib  # here: a scan answered from the cache needs the version, not the table

    table = tomllib.loads(data.decode("utf-8"))
    dimensions: dict[str, str] = table["dimensions"]
    entries: dict[str, ApiEntry] = {}
    for dimension, apis in table["api"].items():
        if dimension not in dimensions:
            raise ValueError(f"catalog: dimension {dimension!r} is not declared in [dimensions]")
        for name, spec in apis.items():
            if name in entries:
                raise ValueError(f"catalog: {name} is listed twice")
            keys = KeysRule.parse(spec["keys"]) if "keys" in spec else None
            entries[name] = ApiEntry(
                name,
                dimension,
                keys,
                spec["example"],
                tuple(spec.get("expect", ())),
                _fact_rules(spec),
                spec.get("removed", ""),
            )
    flavors = table["flavors"]
    for dimension in flavors["functions"].values():
        if dimension not in dimensions:
            raise ValueError(f"catalog: flavor dimension {dimension!r} is not declared")
    normalise = sorted(table["normalise"].items(), key=lambda item: -len(item[0]))
    flavor_modules = frozenset(flavors["modules"])
    returns = _returns(table["returns"], dimensions)
    catalog = Catalog(
        version=_version(data),
        dimensions=dimensions,
        entries=entries,
        normalise=tuple(normalise),
        instance_classes=frozenset(row.prefix for row in returns.values()),
        flavors=flavor_modules,
        flavor_functions=dict(flavors["functions"]),
        flavor_facts={
            function: _fact_rules({"facts": facts})
            for function, facts in flavors.get("facts", {}).items()
        },
        modules=_modules(entries, flavor_modules),
        returns=returns,
        removed_flavors=dict(flavors.get("removed", {})),
        integrations=parse_integrations(table.get("integrations", {})),
    )
    return replace(catalog, groups=_groups(data, table, catalog))


# The [groups] table names API sets for the study's statistics and changes no file's analysis,
# so it comes last and stays out of the version that keys the analysis cache: editing a group
# must not send every cached file back to the parser.
GROUPS_HEADER = b"\n[groups]\n"


def _groups(data: bytes, table: dict[str, Any], catalog: Catalog) -> dict[str, ApiGroup]:
    if "groups" not in table:
        return {}
    import tomllib

    _analysed, found, rest = data.partition(GROUPS_HEADER)
    if not found or set(tomllib.loads((GROUPS_HEADER + rest).decode("utf-8"))) != {"groups"}:
        raise ValueError("catalog: [groups] must be the last table, opened by a [groups] line")
    api_names = [*catalog.entries, *(entry.name for entry in catalog.flavor_entries())]
    return parse_groups(table["groups"], lambda name: catalog.lookup(name) is not None, api_names)


def _returns(
    rows: dict[str, dict[str, str]], dimensions: dict[str, str]
) -> dict[str, ReturnedObject]:
    """The `[returns]` table; every object class has one dimension, wherever it is made."""
    returns: dict[str, ReturnedObject] = {}
    dimension_of: dict[str, str | None] = {}
    for factory, row in rows.items():
        dimension = row.get("dimension")
        if dimension is not None and dimension not in dimensions:
            raise ValueError(
                f"catalog: [returns] {factory}: dimension {dimension!r} is not declared"
            )
        if dimension_of.setdefault(row["prefix"], dimension) != dimension:
            raise ValueError(f"catalog: [returns] {row['prefix']} is given two dimensions")
        returns[factory] = ReturnedObject(
            factory, row["object"], row["prefix"], dimension, row["example"], row["expect"]
        )
    return returns


def _modules(entries: dict[str, ApiEntry], flavors: frozenset[str]) -> frozenset[str]:
    """Every package path above a catalogued name, up to its first class (`mlflow.genai`,
    `mlflow.genai.judges`, not `mlflow.MlflowClient`), and every flavor module."""
    modules = {ROOT_MODULE} | {f"{ROOT_MODULE}.{flavor}" for flavor in flavors}
    for name in entries:
        parts = name.split(".")
        for end in range(2, len(parts)):
            if not parts[end - 1][:1].islower():
                break
            modules.add(".".join(parts[:end]))
    return frozenset(modules)


def _fact_rules(spec: dict[str, Any]) -> tuple[FactRule, ...]:
    return tuple(
        rule for fact, text in spec.get("facts", {}).items() for rule in FactRule.parse(fact, text)
    )


def _version(data: bytes) -> str:
    analysed, _found, _groups_table = data.partition(GROUPS_HEADER)
    return hashlib.sha256(analysed).hexdigest()[:16]


@cache
def catalog_version() -> str:
    """`load_catalog().version` without parsing the catalog: what a scan answered wholly from
    the cache needs."""
    return _version(CATALOG_PATH.read_bytes())


@cache
def load_catalog() -> Catalog:
    """The catalog shipped with the package (parsed once per process)."""
    return _load(CATALOG_PATH.read_bytes())
