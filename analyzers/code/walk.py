"""A read-only, pre-order walk over libcst trees that does not rebuild them.

`CSTNode.visit` rebuilds (and re-validates) every node it passes, even for a `CSTVisitor`
that changes nothing: in profiles of real repositories that was most of the resolver's time.
`Walker` calls the same `visit_<Class>`/`leave_<Class>` methods on the same node objects, in
the same lexical order, but reads children straight from the nodes' fields and skips the
trivia no analysis looks at (whitespace, comments, parentheses, commas, operators).

Each node class is looked up once per walker class in a dispatch table (its handlers and the
fields that can hold nodes, read from the class's type hints); a node that has no handler and
no such field (a `Name`, an `Integer`: a third of a typical tree) is not even entered.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable
from functools import cache

import libcst as cst

# Fields that hold only trivia: whitespace, comments, punctuation, operator tokens.
_TRIVIA_FIELD = re.compile(
    r"whitespace|colon|comma|^(?:lpar|rpar|semicolon|leading_lines|lines_after_decorators"
    r"|header|footer|equal|dot|lbracket|rbracket|lbrace|rbrace|newline|operator|asynchronous"
    r"|indent|separator|posonly_ind|relative|star|empty_lines|first_line|last_line|comment)$"
)
# Where a class declares its fields in another order than they appear in source (and so
# than `CSTNode.visit` takes them), the source order.
_LEXICAL_ORDER: dict[str, tuple[str, ...]] = {
    "Arg": ("keyword", "value"),
    "ClassDef": ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "FunctionDef": ("decorators", "name", "type_parameters", "params", "returns", "body"),
    "IfExp": ("body", "test", "orelse"),
    "ImportFrom": ("relative", "module", "names"),
    "LazyImportFrom": ("relative", "module", "names"),
    "MatchCase": ("pattern", "guard", "body"),
    "Parameters": (
        "posonly_params",
        "posonly_ind",
        "params",
        "star_arg",
        "kwonly_params",
        "star_kwarg",
    ),
    "TypeAlias": ("name", "type_parameters", "value"),
}
_Handler = Callable[["Walker", cst.CSTNode], object]
# What walking a node of one class takes: its visit and leave methods, the fields to descend
# into, and whether it is a statement. The empty tuple: nothing to do (no handler, no child
# that can hold a node, not a statement; or not a node at all).
_Plan = tuple[()] | tuple[_Handler | None, _Handler | None, tuple[str, ...], bool]
_NOTHING: tuple[()] = ()


@cache
def child_fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of `cls` that may hold nodes worth walking, in source order."""
    names = _LEXICAL_ORDER.get(cls.__name__) or tuple(
        field.name for field in dataclasses.fields(cls)
    )
    hints = typing.get_type_hints(cls)
    return tuple(
        name
        for name in names
        if not _TRIVIA_FIELD.search(name) and _may_hold_node(hints.get(name, cst.CSTNode))
    )


def _may_hold_node(hint: object) -> bool:
    """Whether a field's type hint admits a node (`str`, `bool`, `Literal[...]` do not)."""
    if isinstance(hint, type):
        return issubclass(hint, cst.CSTNode)
    return any(_may_hold_node(argument) for argument in typing.get_args(hint))


class Walker:
    """Base for read-only analyses: `walk(node)` calls `visit_<Class>(node)` (children are
    walked unless it returns False), then `leave_<Class>(node)`. While they run, `statements`
    holds the statements around the node, outermost first, the node itself included."""

    _plans: dict[type, _Plan]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._plans = {}

    def __init__(self) -> None:
        self.statements: list[cst.BaseStatement] = []

    def walk(self, node: cst.CSTNode) -> None:
        plan = self._plans.get(node.__class__)
        if plan is None:
            plan = self._plan(node.__class__)
        if plan:
            self._walk(node, plan)

    def _walk(self, node: cst.CSTNode, plan: _Plan) -> None:
        visit, leave, fields, is_statement = plan  # type: ignore[misc]
        if is_statement:
            self.statements.append(node)  # type: ignore[arg-type]
        if visit is None or visit(self, node) is not False:
            plans = self._plans
            for name in fields:
                value = getattr(node, name)
                kind = value.__class__
                if kind is tuple or kind is list:
                    for item in value:
                        child = plans.get(item.__class__)
                        if child is None:
                            child = self._plan(item.__class__)
                        if child:
                            self._walk(item, child)
                else:
                    child = plans.get(kind)
                    if child is None:
                        child = self._plan(kind)
                    if child:
                        self._walk(value, child)
        if leave is not None:
            leave(self, node)
        if is_statement:
            self.statements.pop()

    @classmethod
    def _plan(cls, node_type: type) -> _Plan:
        plan: _Plan = _NOTHING
        if issubclass(node_type, cst.CSTNode):
            name = node_type.__name__
            visit = getattr(cls, f"visit_{name}", None)
            leave = getattr(cls, f"leave_{name}", None)
            fields = child_fields(node_type)
            is_statement = issubclass(node_type, cst.BaseStatement)
            if visit or leave or fields or is_statement:
                plan = (visit, leave, fields, is_statement)
        cls._plans[node_type] = plan
        return plan
