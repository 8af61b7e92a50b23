"""Name resolution for MLflow calls: which call sites, after Python's own binding rules, call
into the `mlflow` package.

The resolver tracks only what it needs (imports, aliases, MlflowClient instances, `self`
attributes) instead of a full scope analysis, which is about 5x slower in libcst:

* straight-line code rebinds names (`def log_param` after `from mlflow import log_param`
  shadows the import);
* where control flow joins (if/else, try/except, loops) a name keeps an MLflow meaning if any
  branch gave it one, so `try: import mlflow / except ImportError: mlflow = None` still resolves;
* function bodies run after the module has been read, as they do when a script's functions are
  called from its `__main__` block, so they see the module's final bindings;
* `self.<attr>` bindings are collected over all methods of a class before its methods are
  resolved, so `self.client = MlflowClient()` in `__init__` resolves `self.client.log_metric`
  in any other method.

A notebook is resolved as one module whose statements come cell after cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from analyzers.code.catalog import ROOT_MODULE, Catalog, literal_string
from analyzers.code.positions import Chain, ParsedModule, Positions
from analyzers.code.uris import redact_uri
from analyzers.code.walk import Walker
from analyzers.records import CallSite, Fact

# Environment variables that set where runs are stored, and the fact each one gives.
ENV_FACTS = {"MLFLOW_TRACKING_URI": "tracking-uri", "MLFLOW_REGISTRY_URI": "registry-uri"}
MODEL_URI_PREFIXES = ("models:/", "runs:/")
NOT_LITERAL = "{…}"  # stands for the parts of a string that are computed
_ENVIRON = frozenset({"os.environ", "environ"})
_ENV_READERS = frozenset({"os.getenv", "getenv", "os.environ.get", "environ.get"})
_ENV_SETTERS = frozenset({"os.environ.setdefault", "environ.setdefault", "os.putenv", "putenv"})
_ENV_UPDATERS = frozenset({"os.environ.update", "environ.update"})
# Calls that import a module named by a string at run time: `importlib.import_module`,
# `pytest.importorskip`, `__import__`, and lazy loaders (`LazyLoader("mlflow", ...)`,
# `lazy_module("mlflow")`, `lazy_import("mlflow")`).
_DYNAMIC_IMPORTER = re.compile(r"(?i)import|lazy")
_FIXTURES = frozenset({"pytest.fixture", "fixture", "pytest_asyncio.fixture"})
_PROPERTIES = frozenset({"property", "cached_property", "functools.cached_property"})
_MAX_CLASS_PASSES = 3


@dataclass(frozen=True, slots=True)
class QName:
    """A module, function or class reached from `mlflow` (a raw, not yet canonical, path)."""

    name: str


@dataclass(frozen=True, slots=True)
class Instance:
    """An object of one of the catalog's followed classes, such as `mlflow.MlflowClient`."""

    cls: str


@dataclass(frozen=True, slots=True)
class StrConst:
    """A name bound to a string literal, so `set_tracking_uri(URI)` can be read."""

    value: str


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

    def _lineage(self) -> Iterator[ClassInfo]:
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
        lineage = list(self._lineage())
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
        return next((info.methods[name] for info in self._lineage() if name in info.methods), None)


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


@dataclass(eq=False, slots=True)
class FunctionInfo:
    """A function of the analysed code: what it returns (from its annotation, `-> MlflowClient`,
    or from a `return` of something of MLflow's) and what its callers in the file pass to its
    parameters (`log_results(client, ...)`). Both are "may" facts: one path is enough."""

    positional: tuple[str, ...] = ()  # parameter names that take positional arguments
    keywords: frozenset[str] = frozenset()  # parameter names that take keyword arguments
    returns: Value | None = None
    params: dict[str, Value] = field(default_factory=dict)
    decorator: str = ""  # "staticmethod" or "classmethod" for such methods
    fixture: bool = False  # a pytest fixture: a parameter of its name gets what it gives

    def bind_arguments(
        self,
        args: Sequence[cst.Arg],
        evaluate: Callable[[cst.BaseExpression], Value | None],
        implicit: int = 0,
    ) -> None:
        """Note what a call passes for each parameter, when it is something of MLflow's.
        `implicit` leading parameters are passed by Python (`self` of `obj.method(...)`)."""
        for index, arg in enumerate(args, start=implicit):
            if arg.star:
                break
            if arg.keyword is not None:
                name = _id(arg.keyword)
                name = name if name in self.keywords else None
            else:
                name = self.positional[index] if index < len(self.positional) else None
            value = evaluate(arg.value) if name is not None else None
            if name is not None and isinstance(value, QName | Instance):
                self.params.setdefault(name, value)

    def summary(self) -> tuple:
        return self.returns, tuple(sorted(self.params.items(), key=lambda kv: kv[0]))


@dataclass(frozen=True, slots=True)
class UserFunction:
    """A function of the analysed code: calling it gives what it returns."""

    info: FunctionInfo


class _Unknown:
    """Bound to something that is not MLflow: it shadows any MLflow meaning from outer scopes."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Value = QName | Instance | SelfRef | StrConst | UserClass | UserFunction
Binding = Value | _Unknown


def _join(states: Sequence[dict[str, Binding]]) -> dict[str, Binding]:
    """Bindings after control flow joins: a name keeps an MLflow meaning if any path gave one."""
    joined: dict[str, Binding] = {}
    for name in {name for state in states for name in state}:
        values = [state.get(name) for state in states]
        chosen: Binding | None = next(
            (v for v in values if v is not None and v is not UNKNOWN), None
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


@dataclass(slots=True)
class _Deferred:
    function: cst.FunctionDef
    scope: Scope  # the scope the function was defined in
    self_owner: ClassInfo | None  # set for methods: their first parameter is `self`
    info: FunctionInfo
    cell: int | None
    statements: Chain  # the statements around the def, itself included
    defaults: dict[str, Value]  # `client=MlflowClient()`: evaluated where the def runs


@dataclass(frozen=True, slots=True)
class _FoundFact:
    node: cst.CSTNode
    cell: int | None
    statements: Chain
    fact: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class _Found:
    node: cst.CSTNode
    cell: int | None
    statements: Chain
    api: str
    keys: tuple[str, ...]


class _Resolver(Walker):
    def __init__(
        self,
        catalog: Catalog,
        known_attrs: Mapping[cst.ClassDef, dict[str, Value]] | None = None,
        functions: dict[cst.FunctionDef, FunctionInfo] | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        # `self` attributes found by an earlier pass, for module-level code that used an
        # instance before its methods (which run later) were resolved.
        self.known_attrs = known_attrs or {}
        # Function summaries, kept from one pass to the next.
        self.functions = functions if functions is not None else {}
        self.function: FunctionInfo | None = None  # the function whose body is being resolved
        self.inferred_returns = False  # a `return` revealed what a function gives
        self.classes: dict[cst.ClassDef, ClassInfo] = {}
        self.in_function = False
        self.missed_attribute = False
        self.module_scope = Scope("module", None)
        self.scope = self.module_scope
        self.cell: int | None = None
        self.found: list[_Found] = []
        self.facts: list[_FoundFact] = []
        self._concatenation_depth = 0
        self.deferred: list[_Deferred] = []
        self._functions: dict[str, bool] = {}

    # ----------------------------------------------------------------- lookups and evaluation
    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self.scope
        first = True
        while scope is not None:
            if name in scope.globals:
                scope = self.module_scope
            # A class body's names are invisible to the functions nested in it.
            if first or scope.kind != "class":
                binding = scope.names.get(name)
                if binding is not None:
                    return binding
            first = False
            scope = scope.parent
        return None

    def evaluate(self, node: cst.BaseExpression) -> Value | None:
        if isinstance(node, cst.Name):
            binding = self.lookup(_id(node))
            return None if binding is None or binding is UNKNOWN else binding  # type: ignore[return-value]
        if isinstance(node, cst.Attribute):
            return self._attribute(self.evaluate(node.value), _id(node.attr))
        if isinstance(node, cst.Call):
            return self._evaluate_call(node)
        if isinstance(node, cst.IfExp):
            return self.evaluate(node.body) or self.evaluate(node.orelse)
        if isinstance(node, cst.BooleanOperation):
            return self.evaluate(node.left) or self.evaluate(node.right)
        if isinstance(node, cst.NamedExpr):
            return self.evaluate(node.value)
        if isinstance(
            node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString | cst.Subscript
        ):
            text = self.literal_text(node)
            return StrConst(text) if text is not None else None
        return None

    def _attribute(self, base: Value | None, attr: str) -> Value | None:
        """What `<base>.<attr>` holds, given what `<base>` holds."""
        if isinstance(base, QName):
            if _is_plain_value(base.name, attr) or self._is_function(base.name):
                return None
            return QName(f"{base.name}.{attr}")
        if isinstance(base, Instance):
            return QName(f"{base.cls}.{attr}")
        if isinstance(base, UserClass):
            base = SelfRef(base.info)
        if isinstance(base, SelfRef):
            value = base.attribute(attr)
            if isinstance(value, SelfRef) and not self.in_function:
                self.missed_attribute = True
            return value
        return None

    def _is_function(self, qualified: str) -> bool:
        """A catalogued function (`mlflow.register_model`): its attributes are not APIs
        (`mlflow.register_model.assert_called_with` of a mock), unlike a class's."""
        known = self._functions.get(qualified)
        if known is None:
            canonical = self.catalog.canonical(qualified)
            known = canonical.rpartition(".")[2][:1].islower() and (
                self.catalog.lookup(canonical) is not None
            )
            self._functions[qualified] = known
        return known

    def _callee(
        self, func: cst.BaseExpression
    ) -> tuple[Value | None, tuple[FunctionInfo, int] | None]:
        """What a call's `func` holds, and the analysed method it calls, if any, with how many
        leading parameters Python fills in; the receiver of `a.b().c()` is evaluated once, not
        once per question asked of it (which doubles with every link of a chain)."""
        if not isinstance(func, cst.Attribute):
            return self.evaluate(func), None
        owner = self.evaluate(func.value)
        attr = _id(func.attr)
        return self._attribute(owner, attr), _method(owner, attr)

    def literal_text(self, node: cst.BaseExpression) -> str | None:
        """The text of a string expression, following names bound to literals; computed parts
        of f-strings and concatenations become `{…}`, environment reads `env:NAME`."""
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(node, cst.ConcatenatedString | cst.BinaryOperation):
            if isinstance(node, cst.BinaryOperation) and not isinstance(node.operator, cst.Add):
                return None
            left, right = self._part(node.left), self._part(node.right)
            if left is None and right is None:
                return None
            return (left or NOT_LITERAL) + (right or NOT_LITERAL)
        if isinstance(node, cst.FormattedString):
            return "".join(
                part.value
                if isinstance(part, cst.FormattedStringText)
                else self._part(part.expression) or NOT_LITERAL
                for part in node.parts
            )
        if isinstance(node, cst.Name):
            value = self.evaluate(node)
            return value.value if isinstance(value, StrConst) else None
        variable = _environment_read(node)
        return f"env:{variable}" if variable else None

    def _part(self, node: cst.BaseExpression) -> str | None:
        """A piece of a larger string: an environment read is computed, not literal."""
        text = self.literal_text(node)
        return None if text is None or text.startswith("env:") else text

    def _evaluate_call(self, node: cst.Call) -> Value | None:
        variable = _environment_read(node)
        if variable is not None:
            return StrConst(f"env:{variable}")
        func, method = self._callee(node.func)
        if isinstance(func, QName):
            canonical = self.catalog.canonical(func.name)
            if canonical in self.catalog.instance_classes:
                return Instance(canonical)
            return None
        if isinstance(func, UserFunction):
            return func.info.returns
        if isinstance(func, UserClass):
            return SelfRef(func.info)
        if method is not None:
            return method[0].returns
        if (
            isinstance(node.func, cst.Name)
            and node.func.value == "getattr"
            and len(node.args) >= 2
            and self.lookup("getattr") is None
        ):
            attr = self.literal_text(node.args[1].value)  # getattr(mlflow, "log_metric")
            if attr is not None and attr.isidentifier():
                return self.evaluate(cst.Attribute(node.args[0].value, cst.Name(attr)))
        called = node.func.attr if isinstance(node.func, cst.Attribute) else node.func
        if isinstance(called, cst.Name) and _DYNAMIC_IMPORTER.search(called.value) and node.args:
            module = literal_string(node.args[0].value)
            if module is not None and _is_mlflow(module):
                return QName(module)
        return None

    def _annotation_value(self, annotation: cst.Annotation | None) -> Instance | None:
        """`client: MlflowClient` (or `"MlflowClient"`, `MlflowClient | None`,
        `Optional[MlflowClient]`) makes `client` an MlflowClient instance."""
        return None if annotation is None else self._hinted(annotation.annotation)

    def _hinted(self, node: cst.BaseExpression) -> Instance | None:
        if isinstance(node, cst.SimpleString):  # a forward reference
            text = literal_string(node)
            try:
                node = cst.parse_expression(text) if text else node
            except cst.ParserSyntaxError:
                return None
            if isinstance(node, cst.SimpleString):
                return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return self._hinted(node.left) or self._hinted(node.right)
        if isinstance(node, cst.Subscript):  # Optional[...], Union[...]
            return next(
                (
                    hint
                    for element in node.slice
                    if isinstance(element.slice, cst.Index)
                    for hint in [self._hinted(element.slice.value)]
                    if hint
                ),
                None,
            )
        hinted = self.evaluate(node)
        if isinstance(hinted, QName):
            canonical = self.catalog.canonical(hinted.name)
            if canonical in self.catalog.instance_classes:
                return Instance(canonical)
        return None

    # ------------------------------------------------------------------------------ binding
    def bind(self, name: str, value: Value | None, scope: Scope | None = None) -> None:
        scope = scope or self.scope
        if name in scope.globals and scope is not self.module_scope:
            # Assigned from inside a function: may or may not have run, so never erase.
            if value is not None:
                self.module_scope.names[name] = value
            return
        if name in scope.nonlocals:
            return
        if value is not None:
            scope.names[name] = value
        elif name in scope.names or self.lookup(name) is not None:
            scope.names[name] = UNKNOWN
        if scope.kind == "class" and scope.owner is not None and value is not None:
            scope.owner.attrs[name] = value

    def bind_target(self, target: cst.BaseExpression, value: Value | None) -> None:
        """Bind an assignment target; anything but a plain name or `self.x` gets no value."""
        if isinstance(target, cst.Name):
            self.bind(_id(target), value)
        elif isinstance(target, cst.Attribute):
            self.walk(target.value)
            owner = self.evaluate(target.value)
            if isinstance(owner, SelfRef) and value is not None:
                attr = _id(target.attr)
                owner.owner.attrs[f"{owner.path}.{attr}" if owner.path else attr] = value
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self.bind_target(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, None)
        else:
            self.walk(target)

    # ------------------------------------------------------------------------------ imports
    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None:
                bound = _as_name(alias)
                self.bind(bound, QName(dotted) if _is_mlflow(dotted) else None)
            else:
                top = dotted.split(".", 1)[0]
                self.bind(top, QName(top) if top == ROOT_MODULE else None)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = _dotted(node.module) if node.module is not None else ""
        from_mlflow = not node.relative and _is_mlflow(module)
        if isinstance(node.names, cst.ImportStar):
            if from_mlflow:
                for name in self._star_exports(module):
                    self.bind(name, QName(f"{module}.{name}"))
            return False
        for alias in node.names:
            name = _dotted(alias.name)
            bound = _as_name(alias) if alias.asname is not None else name
            self.bind(bound, QName(f"{module}.{name}") if from_mlflow else None)
        return False

    def _star_exports(self, module: str) -> list[str]:
        canonical = self.catalog.canonical(module)
        prefix = canonical + "."
        names = {
            name[len(prefix) :].split(".", 1)[0]
            for name in self.catalog.entries
            if name.startswith(prefix)
        }
        names |= {
            cls[len(prefix) :]
            for cls in self.catalog.instance_classes
            if cls.startswith(prefix) and "." not in cls[len(prefix) :]
        }
        if canonical.removeprefix(ROOT_MODULE + ".") in self.catalog.flavors:
            names |= set(self.catalog.flavor_functions)
        return sorted(name for name in names if not name.startswith("_"))

    # -------------------------------------------------------------------------------- calls
    def visit_Call(self, node: cst.Call) -> bool:
        value, method = self._callee(node.func)
        if isinstance(value, QName) and value.name.startswith(ROOT_MODULE + "."):
            self._record(node, value.name, node)
        elif isinstance(value, UserFunction) and isinstance(node.func, cst.Name):
            value.info.bind_arguments(node.args, self.evaluate)
        elif isinstance(value, UserClass) and (init := value.info.method("__init__")):
            init.bind_arguments(node.args, self.evaluate, implicit=1)
        elif method is not None:
            method[0].bind_arguments(node.args, self.evaluate, implicit=method[1])
        elif isinstance(node.func, cst.Name | cst.Attribute):
            self._environment_call(node, _dotted(node.func))
        return True

    def _environment_call(self, node: cst.Call, called: str) -> None:
        """`os.environ.setdefault("MLFLOW_TRACKING_URI", uri)`, `os.putenv(...)`,
        `os.environ.update({...})`."""
        if called in _ENV_SETTERS and len(node.args) >= 2:
            self._environment_fact(node, node.args[0].value, node.args[1].value)
        elif called in _ENV_UPDATERS:
            for arg in node.args:
                if arg.keyword is not None:
                    self._environment_fact(
                        node, cst.SimpleString(repr(arg.keyword.value)), arg.value
                    )
                elif isinstance(arg.value, cst.Dict):
                    for element in arg.value.elements:
                        if isinstance(element, cst.DictElement):
                            self._environment_fact(node, element.key, element.value)

    def _environment_fact(
        self, node: cst.CSTNode, key: cst.BaseExpression, value: cst.BaseExpression
    ) -> None:
        fact = ENV_FACTS.get(literal_string(key) or "")
        if fact is not None:
            self._fact(node, fact, self.literal_text(value), "os.environ")

    def _fact(self, node: cst.CSTNode, fact: str, value: str | None, source: str) -> None:
        self.facts.append(
            _FoundFact(
                node, self.cell, tuple(self.statements), fact, redact_uri(value or ""), source
            )
        )

    def visit_SimpleString(self, node: cst.SimpleString) -> bool:
        if not self._concatenation_depth:
            self._model_uri(node)
        return False

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        if not self._concatenation_depth:
            self._model_uri(node)
        return True

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        if not self._concatenation_depth:
            self._model_uri(node)
        self._concatenation_depth += 1
        return True

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString) -> None:
        self._concatenation_depth -= 1

    def _model_uri(self, node: cst.BaseExpression) -> None:
        if not _may_start_model_uri(node):
            return
        text = self.literal_text(node)
        if text is not None and text.startswith(MODEL_URI_PREFIXES):
            self._fact(node, "model-uri", text, "string-literal")

    def visit_Decorator(self, node: cst.Decorator) -> bool:
        # A bare `@mlflow.trace` is a call too: Python calls it with the function.
        if not isinstance(node.decorator, cst.Call):
            value = self.evaluate(node.decorator)
            if isinstance(value, QName) and value.name.startswith(ROOT_MODULE + "."):
                self._record(node.decorator, value.name, None)
        return True

    def _record(self, node: cst.CSTNode, qualified: str, call: cst.Call | None) -> None:
        api = self.catalog.canonical(qualified)
        entry = self.catalog.lookup(api)
        keys = entry.keys.extract(call) if entry and entry.keys and call is not None else ()
        self.found.append(_Found(node, self.cell, tuple(self.statements), api, keys))
        if entry is None or call is None:
            return
        for rule in entry.facts:
            argument = rule.argument(call)
            if argument is not None:
                self._fact(
                    node,
                    rule.fact,
                    rule.keyword if rule.presence else self.literal_text(argument),
                    api,
                )

    # ------------------------------------------------------------------ assignments and flow
    def visit_Assign(self, node: cst.Assign) -> bool:
        self.walk(node.value)
        value = self.evaluate(node.value)
        for target in node.targets:  # os.environ["MLFLOW_TRACKING_URI"] = uri
            subscript = target.target
            if (
                isinstance(subscript, cst.Subscript)
                and _dotted(subscript.value) in _ENVIRON
                and len(subscript.slice) == 1
                and isinstance(subscript.slice[0].slice, cst.Index)
            ):
                self._environment_fact(node, subscript.slice[0].slice.value, node.value)
        for target in node.targets:
            if (
                isinstance(target.target, cst.Tuple | cst.List)
                and isinstance(node.value, cst.Tuple | cst.List)
                and len(target.target.elements) == len(node.value.elements)
            ):
                for element, item in zip(target.target.elements, node.value.elements, strict=True):
                    self.bind_target(element.value, self.evaluate(item.value))
            else:
                self.bind_target(target.target, value)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self.walk(node.annotation)
        value = None
        if node.value is not None:
            self.walk(node.value)
            value = self.evaluate(node.value)
        value = value or self._annotation_value(node.annotation)
        if value is not None or node.value is not None:
            self.bind_target(node.target, value)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self.walk(node.value)
        self.bind_target(node.target, None)
        return False

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent  # := binds in the enclosing function, not the comprehension
        if isinstance(original_node.target, cst.Name):
            self.bind(_id(original_node.target), self.evaluate(original_node.value), scope)

    def visit_Global(self, node: cst.Global) -> bool:
        self.scope.globals.update(_id(item.name) for item in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self.scope.nonlocals.update(_id(item.name) for item in node.names)
        return False

    def visit_Del(self, node: cst.Del) -> bool:
        self.bind_target(node.target, None)
        return False

    def _branches(self, blocks: Iterable[cst.CSTNode | None]) -> None:
        """Visit alternative blocks from the same starting state, then join their states."""
        start = dict(self.scope.names)
        states = []
        for block in blocks:
            self.scope.names = dict(start)
            if block is not None:
                self.walk(block)
            states.append(self.scope.names)
        self.scope.names = _join(states)

    def visit_If(self, node: cst.If) -> bool:
        self.walk(node.test)
        self._branches([node.body, node.orelse])
        return False

    def visit_While(self, node: cst.While) -> bool:
        self.walk(node.test)
        self._branches([node.body, None])
        if node.orelse is not None:
            self.walk(node.orelse)
        return False

    def visit_For(self, node: cst.For) -> bool:
        self.walk(node.iter)
        start = dict(self.scope.names)
        self.bind_target(node.target, None)
        self.walk(node.body)
        self.scope.names = _join([start, self.scope.names])
        if node.orelse is not None:
            self.walk(node.orelse)
        return False

    def visit_Try(self, node: cst.Try | cst.TryStar) -> bool:
        start = dict(self.scope.names)
        self.walk(node.body)
        if node.orelse is not None:
            self.walk(node.orelse)
        after_body = self.scope.names
        # A handler may start anywhere in the body: from what was bound before or after it.
        handler_start = _join([start, after_body])
        states = [after_body]
        for handler in node.handlers:
            self.scope.names = dict(handler_start)
            self.walk(handler)
            states.append(self.scope.names)
        self.scope.names = _join(states)
        if node.finalbody is not None:
            self.walk(node.finalbody)
        return False

    def visit_TryStar(self, node: cst.TryStar) -> bool:
        return self.visit_Try(node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> bool:
        if node.type is not None:
            self.walk(node.type)
        if node.name is not None:
            self.bind_target(node.name.name, None)
        self.walk(node.body)
        return False

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> bool:
        self.walk(node.type)
        if node.name is not None:
            self.bind_target(node.name.name, None)
        self.walk(node.body)
        return False

    def visit_Match(self, node: cst.Match) -> bool:
        self.walk(node.subject)
        self._branches([case for case in node.cases] + [None])
        return False

    def visit_MatchAs(self, node: cst.MatchAs) -> bool:
        if node.name is not None:
            self.bind(_id(node.name), None)
        return True

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        self.walk(node.item)
        if node.asname is not None:
            self.bind_target(node.asname.name, None)
        return False

    # ------------------------------------------------------------------------------ scopes
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        self.walk(node.params)  # defaults and annotations run at definition time
        if node.returns is not None:
            self.walk(node.returns)
        self_owner = None
        name = _id(node.name)
        in_class = self.scope.kind == "class" and self.scope.owner is not None
        decorator = (
            next(
                (
                    _dotted(d.decorator)
                    for d in node.decorators
                    if _dotted(d.decorator) in ("staticmethod", "classmethod")
                ),
                "",
            )
            if in_class
            else ""
        )
        if in_class and decorator != "staticmethod":
            self_owner = self.scope.owner
        defaults = {}
        for param in _params(node.params):
            value = self.evaluate(param.default) if param.default is not None else None
            if value is not None:
                defaults[_id(param.name)] = value
        params = node.params
        info = self.functions.setdefault(
            node,
            FunctionInfo(
                tuple(_id(p.name) for p in (*params.posonly_params, *params.params)),
                frozenset(_id(p.name) for p in (*params.params, *params.kwonly_params)),
            ),
        )
        info.returns = info.returns or self._annotation_value(node.returns)
        info.decorator = decorator
        info.fixture = any(
            _dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            in _FIXTURES
            for d in node.decorators
        )
        if in_class:
            assert self.scope.owner is not None
            self.scope.owner.methods[name] = info
        if in_class and any(_dotted(d.decorator) in _PROPERTIES for d in node.decorators):
            assert self.scope.owner is not None
            self.scope.owner.properties[name] = info  # `self.client` is what it returns
            self.bind(name, None)
        else:
            self.bind(name, UserFunction(info))
        self.deferred.append(
            _Deferred(
                node, self.scope, self_owner, info, self.cell, tuple(self.statements), defaults
            )
        )
        return False

    def visit_Return(self, node: cst.Return) -> bool:
        if node.value is not None:
            self._returned(node.value)
        return True

    def visit_Yield(self, node: cst.Yield) -> bool:
        # What a fixture yields is what the tests that ask for it get.
        if (
            self.function is not None
            and self.function.fixture
            and isinstance(node.value, cst.BaseExpression)
        ):
            self._returned(node.value)
        return True

    def _returned(self, value_node: cst.BaseExpression) -> None:
        function = self.function
        if function is not None and function.returns is None:
            value = self.evaluate(value_node)
            if isinstance(value, QName | Instance):
                function.returns = value
                self.inferred_returns = True

    def visit_Param(self, node: cst.Param) -> bool:
        # Only defaults and annotations belong to the defining scope; names are bound later.
        if node.annotation is not None:
            self.walk(node.annotation)
        if node.default is not None:
            self.walk(node.default)
        return False

    def _resolve_function(self, item: _Deferred) -> None:
        outer, outer_cell, outer_statements = self.scope, self.cell, self.statements
        outer_function = self.function
        self.scope = Scope("function", item.scope)
        self.cell, self.statements = item.cell, list(item.statements)
        self.function = item.info
        params = item.function.params
        positional = [*params.posonly_params, *params.params]
        for index, param in enumerate(_params(params)):
            name = _id(param.name)
            value = (
                item.defaults.get(name)
                or self._annotation_value(param.annotation)
                or item.info.params.get(name)
            )
            if index == 0 and item.self_owner is not None and param in positional:
                value = SelfRef(item.self_owner)
            if value is None:  # def test_x(mlflow_client): a fixture of this file
                fixture = self.module_scope.names.get(name)
                if isinstance(fixture, UserFunction) and fixture.info.fixture:
                    value = fixture.info.returns
            self.bind(name, value)
        self.walk(item.function.body)
        self.scope, self.cell, self.statements = outer, outer_cell, outer_statements
        self.function = outer_function

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.walk(node.params)
        outer, outer_function = self.scope, self.function
        self.scope, self.function = Scope("function", outer), None
        for param in _params(node.params):
            self.bind(_id(param.name), None)
        self.walk(node.body)
        self.scope, self.function = outer, outer_function
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        info = ClassInfo(attrs=dict(self.known_attrs.get(node, {})))
        self.classes[node] = info
        for base in node.bases:
            self.walk(base)
            value = self.evaluate(base.value)
            if isinstance(value, UserClass):
                info.bases.append(value.info)
            elif isinstance(value, QName):
                canonical = self.catalog.canonical(value.name)
                if canonical in self.catalog.instance_classes:
                    info.extends = canonical
        for keyword in node.keywords:
            self.walk(keyword)
        outer = self.scope
        self.scope = Scope("class", outer, owner=info)
        self.walk(node.body)
        self.scope = outer
        self.bind(_id(node.name), UserClass(info))
        return False

    def _comprehension(
        self, node: cst.BaseComp | cst.DictComp, results: Sequence[cst.BaseExpression]
    ) -> bool:
        outer = self.scope
        self.walk(node.for_in.iter)  # the first iterable is evaluated in the enclosing scope
        self.scope = Scope("comprehension", outer)
        comp_for: cst.CompFor | None = node.for_in
        first = True
        while comp_for is not None:
            if not first:
                self.walk(comp_for.iter)
            first = False
            self.bind_target(comp_for.target, None)
            for condition in comp_for.ifs:
                self.walk(condition)
            comp_for = comp_for.inner_for_in
        for result in results:
            self.walk(result)
        self.scope = outer
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node, [node.elt])

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node, [node.elt])

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node, [node.elt])

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node, [node.key, node.value])

    # ------------------------------------------------------------------------ entry points
    def resolve_deferred(self) -> None:
        """Resolve all function bodies, iterating while methods reveal new `self` attributes."""
        pending, found_before, facts_before = self.deferred, self.found, self.facts
        self.deferred = []
        self.in_function = True
        module_state = dict(self.module_scope.names)
        for _ in range(_MAX_CLASS_PASSES):
            attrs_before = self._class_attrs_snapshot(pending)
            summaries_before = self.summaries()
            self.found = list(found_before)
            self.facts = list(facts_before)
            self.module_scope.names = dict(module_state)
            queue = list(pending)
            while queue:
                item = queue.pop(0)
                self.deferred = []
                self._resolve_function(item)
                queue[0:0] = self.deferred  # nested functions next, in source order
            if (
                self._class_attrs_snapshot(pending) == attrs_before
                and self.summaries() == summaries_before
            ):
                break
        self.deferred = []

    def summaries(self) -> list[tuple]:
        return [info.summary() for info in self.functions.values()]

    @staticmethod
    def _class_attrs_snapshot(items: Iterable[_Deferred]) -> list[tuple[int, tuple]]:
        owners = {id(item.self_owner): item.self_owner for item in items if item.self_owner}
        return sorted(
            (key, tuple(sorted(owner.attrs.items(), key=lambda kv: kv[0])))
            for key, owner in owners.items()
        )


def _may_start_model_uri(node: cst.BaseExpression) -> bool:
    """False when a string literal certainly does not start with `models:/` or `runs:/`: a
    look at its first character, which spares evaluating every string of a file."""
    while isinstance(node, cst.ConcatenatedString):
        node = node.left
    if isinstance(node, cst.SimpleString):
        first = node.value[len(node.prefix) + len(node.quote) :][:1]
    elif isinstance(node, cst.FormattedString) and isinstance(
        node.parts[:1] and node.parts[0], cst.FormattedStringText
    ):
        first = node.parts[0].value[:1]  # type: ignore[union-attr]
    else:
        return True  # starts with a computed part, which may be a name bound to "models:/"
    return first in ("m", "r", "\\")


def _environment_read(node: cst.BaseExpression) -> str | None:
    """NAME for `os.environ["NAME"]`, `os.getenv("NAME")` or `os.environ.get("NAME", ...)`."""
    if (
        isinstance(node, cst.Subscript)
        and _dotted(node.value) in _ENVIRON
        and len(node.slice) == 1
        and isinstance(node.slice[0].slice, cst.Index)
    ):
        return literal_string(node.slice[0].slice.value)
    if isinstance(node, cst.Call) and _dotted(node.func) in _ENV_READERS and node.args:
        return literal_string(node.args[0].value)
    return None


def _id(name: cst.Name) -> str:
    """An identifier as Python sees it: NFKC-normalised, so fullwidth `mlflow` is `mlflow`."""
    value = name.value
    return value if value.isascii() else unicodedata.normalize("NFKC", value)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return _id(node)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{_id(node.attr)}"
    return ""


def _as_name(alias: cst.ImportAlias) -> str:
    assert alias.asname is not None
    return _dotted(alias.asname.name)  # type: ignore[arg-type]


def _method(owner: Value | None, name: str) -> tuple[FunctionInfo, int] | None:
    """The analysed method `owner.name` calls (`self.m`, `instance.m`, `Class.m`), and how many
    leading parameters Python fills in (`self` or `cls`)."""
    if isinstance(owner, SelfRef) and not owner.path:  # self.m(...), instance.m(...)
        method = owner.owner.method(name)
        if method is not None:
            return method, 0 if method.decorator == "staticmethod" else 1
    elif isinstance(owner, UserClass):  # Class.m(...): a plain method gets `self` passed
        method = owner.info.method(name)
        if method is not None:
            return method, 1 if method.decorator == "classmethod" else 0
    return None


_STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))


def _is_plain_value(qualified: str, attr: str) -> bool:
    """`mlflow.__version__.split`, `mlflow.version.VERSION.startswith`, `_logger.debug`: an
    attribute of a plain value kept in a module (a dunder, a module's logger, or a string
    method of a CONSTANT), not an API. `MLFLOW_TRACKING_URI.get()` of
    `mlflow.environment_variables` stays an API."""
    last = qualified.rpartition(".")[2]
    return (
        last.startswith("__")
        or last.lower().endswith("logger")
        or (last.isupper() and attr in _STR_METHODS)
    )


def _is_mlflow(dotted: str) -> bool:
    return dotted == ROOT_MODULE or dotted.startswith(ROOT_MODULE + ".")


def _params(params: cst.Parameters) -> list[cst.Param]:
    """Every parameter, in order: positional-only, positional, *args, keyword-only, **kwargs."""
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwargs = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwargs]


def _resolve_modules(
    modules: Sequence[ParsedModule],
    catalog: Catalog,
    preimported: Iterable[str],
    known_attrs: Mapping[cst.ClassDef, dict[str, Value]],
    functions: dict[cst.FunctionDef, FunctionInfo],
) -> _Resolver:
    resolver = _Resolver(catalog, known_attrs, functions)
    for module_name in preimported:
        resolver.bind(module_name.split(".", 1)[0], QName(module_name.split(".", 1)[0]))
    for parsed in modules:
        resolver.cell = parsed.cell
        for statement in parsed.module.body:
            resolver.walk(statement)
    resolver.cell = None
    resolver.resolve_deferred()
    return resolver


def resolve_calls(
    modules: Sequence[ParsedModule], catalog: Catalog, preimported: Iterable[str] = ()
) -> tuple[list[CallSite], list[Fact]]:
    """All MLflow call sites in `modules`, resolved as one module in the order given, and the
    facts read beside them (tracking URIs, model names, model URI literals...).

    Each module's `cell` is a notebook cell's index, or None for a script. `preimported`
    modules are bound before the first statement, as when a notebook's `%run` of another
    notebook imported them. Both lists are ordered by cell, line and column; positions are
    1-based lines, 0-based columns.
    """
    resolver = _resolve_modules(modules, catalog, preimported, {}, {})
    for _ in range(_MAX_CLASS_PASSES - 1):
        # Module-level code ran before the function bodies that told what `self` attributes
        # hold or what a function returns: run again, knowing both from the start.
        missed = resolver.missed_attribute and any(info.attrs for info in resolver.classes.values())
        if not (missed or resolver.inferred_returns):
            break
        resolver = _resolve_modules(
            modules,
            catalog,
            preimported,
            {node: info.attrs for node, info in resolver.classes.items()},
            resolver.functions,
        )
    positions = {parsed.cell: Positions(parsed) for parsed in modules}
    sites = []
    for found in resolver.found:
        line, column = positions[found.cell].start(found.statements, found.node)
        sites.append(
            CallSite(
                line=line,
                column=column,
                api=found.api,
                dimension=catalog.dimension(found.api),
                keys=found.keys,
                cell=found.cell,
            )
        )
    facts = []
    for fact in resolver.facts:
        line, column = positions[fact.cell].start(fact.statements, fact.node)
        facts.append(
            Fact(
                line=line,
                column=column,
                fact=fact.fact,
                value=fact.value,
                source=fact.source,
                cell=fact.cell,
            )
        )
    sites.sort(key=lambda s: (-1 if s.cell is None else s.cell, s.line, s.column, s.api))
    facts.sort(key=lambda f: (-1 if f.cell is None else f.cell, f.line, f.column, f.fact, f.value))
    return sites, facts
