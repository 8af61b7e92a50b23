"""What an expression means to MLflow, given the bindings in scope: the resolver's state and
its read-only questions (`lookup`, `evaluate`, `literal_text`, type hints).

`Evaluator` holds everything one resolution knows (scopes, classes, function summaries, what
was found) and answers questions about expressions without changing any of it; the classes
that extend it (`resolver_binding`, `resolver_scopes`, `resolver_calls`) walk the tree and
bind. Calls of factories listed in the catalog's `[returns]` evaluate to the object they give.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from analyzers.code.catalog import ROOT_MODULE, Catalog, literal_string, simple_string_value
from analyzers.code.positions import Chain
from analyzers.code.resolver_nodes import dotted
from analyzers.code.resolver_summaries import CallOut, RepoContext
from analyzers.code.resolver_values import (
    UNKNOWN,
    Binding,
    ClassInfo,
    FunctionInfo,
    Instance,
    QName,
    Ref,
    RepoModule,
    Scope,
    SelfRef,
    StrConst,
    UserClass,
    UserFunction,
    Value,
    identifier,
)
from analyzers.code.walk import Walker

NOT_LITERAL = "{…}"  # stands for the parts of a string that are computed
ENVIRON = frozenset({"os.environ", "environ"})
_ENV_READERS = frozenset({"os.getenv", "getenv", "os.environ.get", "environ.get"})
# Calls that import a module named by a string at run time: `importlib.import_module`,
# `pytest.importorskip`, `__import__`, and lazy loaders (`LazyLoader("mlflow", ...)`,
# `lazy_module("mlflow")`, `lazy_import("mlflow")`).
_DYNAMIC_IMPORTER = re.compile(r"(?i)import|lazy")
_STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))
_PATH_METHODS = frozenset({"resolve", "absolute", "as_posix", "expanduser", "as_uri"})


@dataclass(frozen=True, slots=True)
class FoundFact:
    node: cst.CSTNode
    cell: int | None
    statements: Chain
    fact: str
    value: str
    source: str
    reference: str = ""


@dataclass(frozen=True, slots=True)
class FoundCall:
    node: cst.CSTNode
    cell: int | None
    statements: Chain
    api: str
    keys: tuple[str, ...]


class Evaluator(Walker):
    def __init__(
        self,
        catalog: Catalog,
        known_attrs: Mapping[cst.ClassDef, dict[str, Value]] | None = None,
        functions: dict[cst.FunctionDef, FunctionInfo] | None = None,
        context: RepoContext | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.context = context  # what the rest of the repository means, when it is known
        self.calls_out: list[CallOut] = []  # calls into other modules, with MLflow arguments
        self.star_from: list[str] = []  # mlflow modules star-imported at the top level
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
        self.found: list[FoundCall] = []
        self.facts: list[FoundFact] = []
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
            binding = self.lookup(identifier(node))
            if binding is None or binding is UNKNOWN or isinstance(binding, Ref):
                return None  # a Ref is only a fact's reference, never a meaning
            return binding  # type: ignore[return-value]
        if isinstance(node, cst.Attribute):
            return self.attribute(self.evaluate(node.value), identifier(node.attr))
        if isinstance(node, cst.Call):
            return self._evaluate_call(node)
        if isinstance(node, cst.IfExp):
            return self.evaluate(node.body) or self.evaluate(node.orelse)
        if isinstance(node, cst.BooleanOperation):
            return self.evaluate(node.left) or self.evaluate(node.right)
        if isinstance(node, cst.NamedExpr):
            return self.evaluate(node.value)
        if isinstance(
            node,
            cst.SimpleString
            | cst.ConcatenatedString
            | cst.FormattedString
            | cst.Subscript
            | cst.BinaryOperation,
        ):
            text = self.literal_text(node)
            return StrConst(text) if text is not None else None
        return None

    def attribute(self, base: Value | None, attr: str) -> Value | None:
        """What `<base>.<attr>` holds, given what `<base>` holds."""
        if isinstance(base, QName):
            if (
                _is_plain_value(base.name, attr)
                or self._is_function(base.name)
                or _is_class_attribute(base.name)
            ):
                return None
            return QName(f"{base.name}.{attr}")
        if isinstance(base, Instance):
            return QName(f"{base.cls}.{attr}")
        if isinstance(base, RepoModule):
            return self.context.member(base.key, attr) if self.context is not None else None
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

    def callee(
        self, func: cst.BaseExpression
    ) -> tuple[Value | None, tuple[FunctionInfo, int] | None]:
        """What a call's `func` holds, and the analysed method it calls, if any, with how many
        leading parameters Python fills in; the receiver of `a.b().c()` is evaluated once, not
        once per question asked of it (which doubles with every link of a chain)."""
        if not isinstance(func, cst.Attribute):
            return self.evaluate(func), None
        owner = self.evaluate(func.value)
        attr = identifier(func.attr)
        return self.attribute(owner, attr), _method(owner, attr)

    def literal_text(self, node: cst.BaseExpression) -> str | None:
        """The text of a string expression, following names bound to literals; computed parts
        of f-strings and concatenations become `{…}`, environment reads `env:NAME`."""
        if isinstance(node, cst.SimpleString):
            return simple_string_value(node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            right = self._part(node.right)  # `project_root / "mlruns"`: a path
            return None if right is None else (self._part(node.left) or NOT_LITERAL) + "/" + right
        if isinstance(node, cst.ConcatenatedString | cst.BinaryOperation):
            if isinstance(node, cst.BinaryOperation) and not isinstance(node.operator, cst.Add):
                return None
            left, right = self._part(node.left), self._part(node.right)
            if left is None and right is None:
                return None
            return (left or NOT_LITERAL) + (right or NOT_LITERAL)
        if isinstance(node, cst.Call):
            # a path built by a call, an environment read, or a function of the repository
            # returning a string (`def tracking_uri(db): return f"sqlite:///{db}"`)
            bound = self.evaluate(node)
            return bound.value if isinstance(bound, StrConst) else None
        if isinstance(node, cst.FormattedString):
            return "".join(self._formatted_part(part) for part in node.parts)
        if isinstance(node, cst.Name | cst.Attribute):
            # a constant, or a class attribute's default (`settings.tracking_uri` of a
            # pydantic/dataclass settings class whose field is `tracking_uri: str = "..."`)
            bound = self.evaluate(node)
            return bound.value if isinstance(bound, StrConst) else None
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            # `os.getenv("URI") or "./mlruns"`: the default when the first part is unset
            left, right = self.literal_text(node.left), self.literal_text(node.right)
            if left is None or left.startswith("env:"):
                return right or left
            return left
        variable = environment_read(node)  # os.environ["NAME"]
        return f"env:{variable}" if variable else None

    def reference(self, node: cst.BaseExpression) -> Ref | None:
        """What a non-literal value is read from, when it is read by name or key from some
        object (`self.cfg.mlflow.tracking_uri`, `cfg["mlflow"]["uri"]`, `cfg.get("uri",
        "./mlruns")`, `getattr(cfg, "uri", "")`, a parameter `tracking_uri`), with the literal
        default it falls back to, if any; None for anything else."""
        if isinstance(node, cst.Name):
            binding = self.lookup(identifier(node))
            if isinstance(binding, Ref):
                return binding
            if isinstance(binding, SelfRef) and binding.path:
                return Ref(f"self.{binding.path}")
            if node.value in ("None", "True", "False"):
                return None
            return Ref(identifier(node)) if binding is None or binding is UNKNOWN else None
        if isinstance(node, cst.Attribute):
            owner = self.evaluate(node.value)
            if isinstance(owner, SelfRef):
                value = self.attribute(owner, identifier(node.attr))
                if isinstance(value, SelfRef) and value.path:
                    return Ref(f"self.{value.path}")
                return None
            base = self.reference(node.value)
            return Ref(f"{base.path}.{identifier(node.attr)}") if base is not None else None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            element = node.slice[0].slice
            key = literal_string(element.value) if isinstance(element, cst.Index) else None
            base = self.reference(node.value)
            return Ref(f"{base.path}.{key}") if base is not None and key else None
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            base = self.reference(node.left)
            default = self.literal_text(node.right)
            return Ref(base.path, default or base.default) if base is not None else None
        if isinstance(node, cst.Call):
            return self._reference_call(node)
        return None

    def _reference_call(self, node: cst.Call) -> Ref | None:
        """`x.get("key", default)` and `getattr(x, "key", default)`."""
        args = [arg.value for arg in node.args if not arg.star and arg.keyword is None]
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and args:
            base, key, rest = self.reference(node.func.value), literal_string(args[0]), args[1:]
        elif isinstance(node.func, cst.Name) and node.func.value == "getattr" and len(args) >= 2:
            base, key, rest = self.reference(args[0]), literal_string(args[1]), args[2:]
        else:
            # `get_config().mlflow_tracking_uri`: what the call returns is read by key
            called = dotted(node.func).rpartition(".")[2]
            return Ref(f"{called}()") if called else None
        if base is None or not key:
            return None
        default = self.literal_text(rest[0]) if rest else None
        return Ref(f"{base.path}.{key}", default or None)

    def _path_text(self, node: cst.Call) -> str | None:
        """A path built by a call: `os.path.join(root, "mlruns")`, `Path("mlruns")`,
        `str(p)`, `p.resolve()`, `p.absolute()`, `p.as_uri()` (a file: URI)."""
        called = dotted(node.func)
        args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if called in ("os.path.join", "path.join", "join") and len(args) >= 2:
            parts = [self._part(arg) for arg in args]
            if all(part is None for part in parts):
                return None
            return "/".join(part or NOT_LITERAL for part in parts)
        if called in ("Path", "pathlib.Path", "str", "os.path.abspath", "abspath") and args:
            return self._part(args[0]) if len(args) == 1 else None
        if isinstance(node.func, cst.Attribute) and not args:
            method = node.func.attr.value
            inner = self._part(node.func.value) if method in _PATH_METHODS else None
            if inner is not None:
                return f"file://{inner}" if method == "as_uri" else inner
        return None

    def _formatted_part(self, part: cst.BaseFormattedStringContent) -> str:
        if isinstance(part, cst.FormattedStringText):
            return part.value
        if isinstance(part, cst.FormattedStringExpression):
            return self._part(part.expression) or NOT_LITERAL
        return NOT_LITERAL

    def _part(self, node: cst.BaseExpression) -> str | None:
        """A piece of a larger string: an environment read is computed, not literal."""
        text = self.literal_text(node)
        return None if text is None or text.startswith("env:") else text

    def _evaluate_call(self, node: cst.Call) -> Value | None:
        variable = environment_read(node)
        if variable is not None:
            default = environment_default(node)  # what runs when the variable is unset
            text = self.literal_text(default) if default is not None else None
            return StrConst(text or f"env:{variable}")
        path = self._path_text(node)
        if path is not None:  # `Path(ROOT) / "mlruns"`, `os.path.join(ROOT, "mlruns")`
            return StrConst(path)
        func, method = self.callee(node.func)
        if isinstance(func, QName):
            returned = self.catalog.returned(self.catalog.canonical(func.name))
            return Instance(returned) if returned is not None else None
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
        return self._dynamic_import(node)

    def _dynamic_import(self, node: cst.Call) -> QName | None:
        """`importlib.import_module("mlflow.sklearn")` (or a name bound to that string) is
        the module; `__import__("mlflow.sklearn")` is `mlflow` unless given a `fromlist`."""
        called = node.func.attr if isinstance(node.func, cst.Attribute) else node.func
        if not (isinstance(called, cst.Name) and _DYNAMIC_IMPORTER.search(called.value)):
            return None
        module = self.literal_text(node.args[0].value) if node.args else None
        if module is None or not is_mlflow(module) or NOT_LITERAL in module:
            return None
        if called.value == "__import__" and not any(
            (arg.keyword is not None and arg.keyword.value == "fromlist") or index >= 3
            for index, arg in enumerate(node.args)
        ):
            module = ROOT_MODULE
        return QName(module)

    def annotation_value(self, annotation: cst.Annotation | None) -> Instance | None:
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


def environment_read(node: cst.BaseExpression) -> str | None:
    """NAME for `os.environ["NAME"]`, `os.getenv("NAME")` or `os.environ.get("NAME", ...)`."""
    if (
        isinstance(node, cst.Subscript)
        and dotted(node.value) in ENVIRON
        and len(node.slice) == 1
        and isinstance(node.slice[0].slice, cst.Index)
    ):
        return literal_string(node.slice[0].slice.value)
    if isinstance(node, cst.Call) and dotted(node.func) in _ENV_READERS and node.args:
        return literal_string(node.args[0].value)
    return None


def environment_default(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The default of `os.getenv("NAME", default)` or `os.environ.get("NAME", default)`."""
    if not (isinstance(node, cst.Call) and dotted(node.func) in _ENV_READERS):
        return None
    for index, arg in enumerate(node.args):
        if (arg.keyword is not None and arg.keyword.value in ("default", "value")) or (
            arg.keyword is None and index == 1
        ):
            return arg.value
    return None


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


def _is_class_attribute(qualified: str) -> bool:
    """`mlflow.store.dbmodels.models.SqlMetric.value`: an attribute of a class attribute, whose
    own attributes (`.asc()`) are not MLflow's API, unlike a class's methods."""
    parts = qualified.split(".")
    first_class = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts))
    return len(parts) - first_class >= 2


def is_mlflow(name: str) -> bool:
    return name == ROOT_MODULE or name.startswith(ROOT_MODULE + ".")
