"""Functions, classes, lambdas and comprehensions: the scopes Python opens, and when their
bodies run.

Function bodies are deferred until the module has been read (as when a script's functions are
called from its `__main__` block), then resolved with what their callers pass and what their
defaults and annotations say; `self.<attr>` bindings are collected over every method of a
class, and function summaries (what a function returns, what its callers pass) are iterated
until they stop changing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from analyzers.code.catalog import Catalog, literal_string
from analyzers.code.positions import Chain
from analyzers.code.resolver_binding import Binder
from analyzers.code.resolver_nodes import all_params, dotted
from analyzers.code.resolver_summaries import RepoContext, decode
from analyzers.code.resolver_values import (
    ClassInfo,
    FunctionInfo,
    Instance,
    QName,
    Scope,
    SelfRef,
    StrConst,
    UserClass,
    UserFunction,
    Value,
    identifier,
)

FIXTURES = frozenset({"pytest.fixture", "fixture", "pytest_asyncio.fixture"})
_PROPERTIES = frozenset({"property", "cached_property", "functools.cached_property"})
MAX_PASSES = 3


@dataclass(slots=True)
class Deferred:
    function: cst.FunctionDef
    scope: Scope  # the scope the function was defined in
    self_owner: ClassInfo | None  # set for methods: their first parameter is `self`
    info: FunctionInfo
    cell: int | None
    statements: Chain  # the statements around the def, itself included
    defaults: dict[str, Value]  # `client=MlflowClient()`: evaluated where the def runs


class ScopeWalker(Binder):
    def __init__(
        self,
        catalog: Catalog,
        known_attrs: Mapping[cst.ClassDef, dict[str, Value]] | None = None,
        functions: dict[cst.FunctionDef, FunctionInfo] | None = None,
        context: RepoContext | None = None,
    ) -> None:
        super().__init__(catalog, known_attrs, functions, context)
        self.deferred: list[Deferred] = []
        self.class_path: list[str] = []  # names of the classes being read, outermost first

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        self.walk(node.params)  # defaults and annotations run at definition time
        if node.returns is not None:
            self.walk(node.returns)
        name = identifier(node.name)
        owner = self.scope.owner if self.scope.kind == "class" else None
        decorators = [
            dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            for d in node.decorators
        ]
        kind = next((d for d in decorators if d in ("staticmethod", "classmethod")), "")
        defaults = {}
        for param in all_params(node.params):
            value = self.evaluate(param.default) if param.default is not None else None
            if value is not None:
                defaults[identifier(param.name)] = value
        info = self.functions.setdefault(node, _function_info(node.params))
        info.returns = info.returns or self.annotation_value(node.returns)
        info.decorator = kind if owner is not None else ""
        info.fixture = any(d in FIXTURES for d in decorators)
        if owner is not None:
            owner.methods[name] = info
        self._replay_incoming(name, info)
        if owner is not None and any(d in _PROPERTIES for d in decorators):
            owner.properties[name] = info  # `self.client` is what it returns
            self.bind(name, None)
        else:
            self.bind(name, UserFunction(info))
        self_owner = owner if info.decorator != "staticmethod" else None
        self.deferred.append(
            Deferred(
                node, self.scope, self_owner, info, self.cell, tuple(self.statements), defaults
            )
        )
        return False

    def _replay_incoming(self, name: str, info: FunctionInfo) -> None:
        """What other modules of the repository pass to this function (a top-level function,
        or a method of a top-level class; `__init__` also gets the class's calls)."""
        # Asked per function, not "any calls at all?" first: a later round then analyses the
        # file again only when a function it has gets calls (RepoContext.view).
        if self.context is None:
            return
        if self.scope.kind not in ("module", "class") or len(self.class_path) > 1:
            return
        qualname = ".".join([*self.class_path, name])
        asked = [(qualname, 0)]
        if name == "__init__" and self.class_path:  # Trainer(mlflow): `self` comes first
            asked.append((self.class_path[0], 1))
        for callee, offset in asked:
            arguments = self.context.incoming_arguments(
                callee, offset, info.positional, info.keywords
            )
            for target, encoded, known_object in arguments:
                value = decode(encoded, self.context.key, "") if encoded else None
                info.note_argument(target, value, known_object, self.is_module)

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
            elif isinstance(value, StrConst):
                # `def tracking_uri(db): return f"sqlite:///{db}"`: a location built by the
                # repository (no second pass: only callers resolved after it see the value)
                function.returns = value

    def visit_Param(self, node: cst.Param) -> bool:
        # Only defaults and annotations belong to the defining scope; names are bound later.
        if node.annotation is not None:
            self.walk(node.annotation)
        if node.default is not None:
            self.walk(node.default)
        return False

    def _resolve_function(self, item: Deferred) -> None:
        outer, outer_cell, outer_statements = self.scope, self.cell, self.statements
        outer_function = self.function
        self.scope = Scope("function", item.scope)
        self.cell, self.statements = item.cell, list(item.statements)
        self.function = item.info
        params = item.function.params
        positional = [*params.posonly_params, *params.params]
        for index, param in enumerate(all_params(params)):
            name = identifier(param.name)
            if index == 0 and item.self_owner is not None and param in positional:
                self.bind(name, SelfRef(item.self_owner))
            else:
                self.bind(name, self.parameter_value(item, param, name))
        self.walk(item.function.body)
        self.scope, self.cell, self.statements = outer, outer_cell, outer_statements
        self.function = outer_function

    def parameter_value(self, item: Deferred, param: cst.Param, name: str) -> Value | None:
        """What a parameter holds when the body runs: its default, its type hint, what the
        callers pass, or what a pytest fixture of its name gives."""
        value = (
            item.defaults.get(name)
            or self.annotation_value(param.annotation)
            or item.info.passed(name)
            or self._module_kept(param, name)
        )
        if value is None:  # def test_x(mlflow_client): a fixture of this file
            fixture = self.module_scope.names.get(name)
            if isinstance(fixture, UserFunction) and fixture.info.fixture:
                value = fixture.info.returns
        if value is None and self.context is not None:
            encoded = self.context.fixture(name)  # a conftest's
            value = None if encoded is None else decode(encoded, self.context.key, "")
        return value

    def _module_kept(self, param: cst.Param, name: str) -> Value | None:
        """`def step(mlflow: ModuleType)`: a parameter hinted as a module keeps the meaning
        its name has where the function is defined, when that is an MLflow module."""
        if param.annotation is None:
            return None
        hint = self.evaluate(param.annotation.annotation)  # `mlflow: mlflow`: the module itself
        if isinstance(hint, QName) and self.is_module(hint):
            return hint
        if not _is_module_hint(param.annotation.annotation):
            return None
        outer = self.lookup(name)  # the parameter itself is not bound yet
        return outer if isinstance(outer, QName) and self.is_module(outer) else None

    def is_module(self, value: QName) -> bool:
        """`mlflow`, `mlflow.sklearn`: a module, which a parameter keeps only when every call
        site passes it."""
        return self.catalog.is_module(self.catalog.canonical(value.name))

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.walk(node.params)
        outer, outer_function = self.scope, self.function
        self.scope, self.function = Scope("function", outer), None
        for param in all_params(node.params):
            self.bind(identifier(param.name), None)
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
        self.class_path.append(identifier(node.name))
        self.walk(node.body)
        self.class_path.pop()
        self.scope = outer
        self.bind(identifier(node.name), UserClass(info))
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

    def resolve_deferred(self) -> None:
        """Resolve all function bodies, iterating while methods reveal new `self` attributes."""
        pending, found_before, facts_before = self.deferred, self.found, self.facts
        self.deferred = []
        self.in_function = True
        module_state = dict(self.module_scope.names)
        for _ in range(MAX_PASSES):
            attrs_before = _class_attrs(pending)
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
            if _class_attrs(pending) == attrs_before and self.summaries() == summaries_before:
                break
        self.deferred = []

    def summaries(self) -> list[tuple[object, ...]]:
        return [info.summary() for info in self.functions.values()]


_MODULE_HINTS = frozenset({"ModuleType", "types.ModuleType"})


def _is_module_hint(node: cst.BaseExpression) -> bool:
    """`ModuleType`, `types.ModuleType`, `"ModuleType"`, `ModuleType | None`,
    `Optional[ModuleType]`."""
    if isinstance(node, cst.SimpleString):
        return (literal_string(node) or "").replace(" ", "").removesuffix("|None") in _MODULE_HINTS
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _is_module_hint(node.left) or _is_module_hint(node.right)
    if isinstance(node, cst.Subscript) and dotted(node.value) in ("Optional", "typing.Optional"):
        element = node.slice[0].slice if node.slice else None
        return isinstance(element, cst.Index) and _is_module_hint(element.value)
    return dotted(node) in _MODULE_HINTS


def _function_info(params: cst.Parameters) -> FunctionInfo:
    return FunctionInfo(
        tuple(identifier(p.name) for p in (*params.posonly_params, *params.params)),
        frozenset(identifier(p.name) for p in (*params.params, *params.kwonly_params)),
    )


def _class_attrs(items: Iterable[Deferred]) -> list[tuple[int, list[tuple[str, Value]]]]:
    owners = {id(item.self_owner): item.self_owner for item in items if item.self_owner}
    return sorted(
        ((key, sorted(owner.attrs.items(), key=lambda kv: kv[0])) for key, owner in owners.items()),
        key=lambda pair: pair[0],
    )
