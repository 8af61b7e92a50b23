"""How statements bind names: imports, assignments, `del`, `global`, and the control flow
that joins alternative bindings (if/else, loops, try/except, match, with).

`Binder` extends the evaluator with Python's binding rules, as far as MLflow needs them: a
rebinding to anything else hides an MLflow meaning (`UNKNOWN`), and where branches join a
name keeps the meaning any branch gave it (`try: import mlflow / except: mlflow = None`).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from analyzers.code.catalog import ROOT_MODULE
from analyzers.code.resolver_evaluate import ENVIRON, Evaluator, is_mlflow
from analyzers.code.resolver_nodes import dotted
from analyzers.code.resolver_values import (
    UNKNOWN,
    Instance,
    QName,
    Ref,
    RepoModule,
    Scope,
    SelfRef,
    Value,
    identifier,
    join,
)


class Binder(Evaluator):
    integration_imported = False  # a library that logs to MLflow for the user was imported

    @property
    def cli_defaults(self) -> dict[str, str]:
        """Command-line options' literal defaults, by destination name (`tracking_uri`)."""
        found: dict[str, str] | None = self.__dict__.get("_cli_defaults")
        if found is None:
            found = self.__dict__["_cli_defaults"] = {}
        return found

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
            self.bind(identifier(target), value)
        elif isinstance(target, cst.Attribute):
            self.walk(target.value)
            owner = self.evaluate(target.value)
            if isinstance(owner, SelfRef) and value is not None:
                attr = identifier(target.attr)
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
            name = dotted(alias.name)
            if alias.asname is not None:
                bound = _as_name(alias)
                self.bind(bound, QName(name) if is_mlflow(name) else self._other_module(name))
            else:
                top = name.split(".", 1)[0]
                self.bind(top, QName(top) if top == ROOT_MODULE else self._other_module(top))
        return False

    def _other_module(self, spec: str) -> RepoModule | QName | None:
        """A module of the repository, else one of a library that logs to MLflow for the
        user (the catalog's `[integrations]`), whose names are then followed like mlflow's."""
        repo = self._repo_module(spec)
        if repo is None and spec.split(".", 1)[0] in self.catalog.integration_roots:
            self.integration_imported = True
            return QName(spec)
        return repo

    def _repo_module(self, spec: str) -> RepoModule | None:
        """The repository's own module an import names (`utils`, `.config`), if known."""
        key = self.context.module(spec) if self.context is not None else None
        return RepoModule(key) if key is not None else None

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = dotted(node.module) if node.module is not None else ""
        from_mlflow = not node.relative and is_mlflow(module)
        repo = None if from_mlflow else self._repo_module("." * len(node.relative) + module)
        integration = (
            not node.relative
            and repo is None
            and module.split(".", 1)[0] in self.catalog.integration_roots
        )
        self.integration_imported |= integration
        if isinstance(node.names, cst.ImportStar):
            self._import_star(module if from_mlflow else None, repo)
            if integration:  # `from pycaret.classification import *` gives its `setup`
                for name in self.catalog.integrations:
                    owner, _, last = name.rpartition(".")
                    if owner == module:
                        self.bind(last, QName(name))
            return False
        for alias in node.names:
            name = dotted(alias.name)
            bound = _as_name(alias) if alias.asname is not None else name
            if from_mlflow or integration:
                self.bind(bound, QName(f"{module}.{name}"))
            elif repo is not None and self.context is not None:
                self.bind(bound, self.context.member(repo.key, name))
            else:
                self.bind(bound, None)
        return False

    def _import_star(self, mlflow_module: str | None, repo: RepoModule | None) -> None:
        """`from mlflow import *`, or `from utils import *` of a repository module (which may
        itself have star-imported mlflow)."""
        modules = [mlflow_module] if mlflow_module else []
        if repo is not None and self.context is not None:
            for name, value in self.context.star_names(repo.key).items():
                self.bind(name, value)
            modules += self.context.star_modules(repo.key)
        for module in modules:
            for name in self._star_exports(module):
                self.bind(name, QName(f"{module}.{name}"))
            if self.scope is self.module_scope and module not in self.star_from:
                self.star_from.append(module)

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

    # ------------------------------------------------------------------ assignments and flow
    def visit_Assign(self, node: cst.Assign) -> bool:
        self.walk(node.value)
        value = self.evaluate(node.value)
        for target in node.targets:  # os.environ["MLFLOW_TRACKING_URI"] = uri
            subscript = target.target
            if (
                isinstance(subscript, cst.Subscript)
                and dotted(subscript.value) in ENVIRON
                and len(subscript.slice) == 1
                and isinstance(subscript.slice[0].slice, cst.Index)
            ):
                self.environment_fact(node, subscript.slice[0].slice.value, node.value)
        for target in node.targets:
            if (
                isinstance(target.target, cst.Tuple | cst.List)
                and isinstance(node.value, cst.Tuple | cst.List)
                and len(target.target.elements) == len(node.value.elements)
            ):
                for element, item in zip(target.target.elements, node.value.elements, strict=True):
                    self.bind_target(element.value, self.evaluate(item.value))
            else:
                self.bind_target(target.target, value or self._reference_of(target.target, node))
        return False

    def _reference_of(self, target: cst.BaseExpression, node: cst.Assign) -> Ref | None:
        """`uri = cfg.mlflow.tracking_uri`: the name keeps what it was read from, for a fact's
        value later (never in a class body, whose names are attributes)."""
        if isinstance(target, cst.Name) and self.scope.kind != "class":
            return self.reference(node.value)
        return None

    def environment_fact(
        self, node: cst.CSTNode, key: cst.BaseExpression, value: cst.BaseExpression
    ) -> None:
        """Overridden by the call recorder: `os.environ[KEY] = value` may set a fact."""

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self.walk(node.annotation)
        value = None
        if node.value is not None:
            self.walk(node.value)
            value = self.evaluate(node.value)
        value = value or self.annotation_value(node.annotation)
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
            self.bind(identifier(original_node.target), self.evaluate(original_node.value), scope)

    def visit_Global(self, node: cst.Global) -> bool:
        self.scope.globals.update(identifier(item.name) for item in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self.scope.nonlocals.update(identifier(item.name) for item in node.names)
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
        self.scope.names = join(states)

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
        self.scope.names = join([start, self.scope.names])
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
        handler_start = join([start, after_body])
        states = [after_body]
        for handler in node.handlers:
            self.scope.names = dict(handler_start)
            self.walk(handler)
            states.append(self.scope.names)
        self.scope.names = join(states)
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
        self._branches([*node.cases, None])
        return False

    def visit_MatchAs(self, node: cst.MatchAs) -> bool:
        if node.name is not None:
            self.bind(identifier(node.name), None)
        return True

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        self.walk(node.item)
        if node.asname is not None:
            # The objects MLflow's context managers give are the ones `__enter__` returns.
            value = self.evaluate(node.item)
            self.bind_target(node.asname.name, value if isinstance(value, Instance) else None)
        return False


def _as_name(alias: cst.ImportAlias) -> str:
    assert alias.asname is not None
    return dotted(alias.asname.name)
