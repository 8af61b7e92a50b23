"""The Walker visits what libcst's own visitor visits, in the same order, minus trivia."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
import pytest

from analyzers.code.walk import Walker
from tests.paths import FIXTURES

EVERY_SYNTAX = '''\
"""Docstring."""
from __future__ import annotations
import os.path as osp, sys
from . import sibling
from .pkg import (a as b, c)
x: int = 1; y = x if x else -x
z = [i for i in range(3) if i] + [*x, *y]
w = {k: v for k, v in {}.items()} | {1, 2} | {**{}}
v = (lambda p, /, q=1, *r, s, t=2, **u: p)(1, s=2)
gen = (a for a in b for b in a)
f"{x!r:>{y}} {z=}" "concat" 'more'
@decorator
@decorator.attr(1, key="v")
async def coroutine(a: int, *, b: "Fwd" = None) -> list[int]:
    global x
    async with lock() as (l1, l2), other:
        async for item in stream():
            await item
    nonlocal_ = [n async for n in aiter()]
    return [y := 1, y]
class K(Base, metaclass=Meta):
    attr: ClassVar = 1
    def method(self):
        def inner():
            nonlocal self
        try:
            pass
        except (ValueError, TypeError) as error:
            raise RuntimeError() from error
        else:
            del self.x, self.y[0]
        finally:
            assert self, "message"
        while True:
            break
        else:
            continue
        for i, (j, k) in enumerate(x):
            pass
        else:
            pass
        if a: b()
        elif c: d()
        else: e()
        return x[1:2:3, ...]
match command:
    case [Point(x=0, y=0), *rest] if rest:
        pass
    case {"key": value, **others} | str() as s:
        pass
    case _:
        pass
try:
    pass
except* ValueError:
    pass
print(not a and b or c < d <= e is not f in g, -a ** ~b, a @ b)
x += 1
'''

# Grammar newer than this interpreter's, which libcst parses.
NEWER_SYNTAX = """\
type Alias[T: int = str] = list[T]
def generic[T, *Ts, **P](x: T) -> T:
    return f"{x:{'nested' if x else f'{x}'}}"
class Box[T](Base[T]):
    pass
"""

# What no analysis looks at: the Walker skips these (and what they hold).
TRIVIA = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Semicolon,
    cst.LeftParen,
    cst.RightParen,
    cst.Colon,
    cst.AssignEqual,
    cst.Dot,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.Asynchronous,
    cst.ImportStar,
    cst.ParamStar,
    cst.ParamSlash,
)


class _LibcstOrder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.seen: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.seen.append(node)
        return True


class _WalkerOrder(Walker):
    """Records every node it is handed, through a `visit_<Class>` for every node class (the
    Walker does not enter nodes that no handler of the walker's class can see)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[cst.CSTNode] = []

    def _record(self, node: cst.CSTNode) -> bool:
        self.seen.append(node)
        return True


def visit_every_node(walker: type[Walker], handler: Callable[..., object]) -> None:
    """Give `walker` a `visit_<Class>` for every libcst node class, so that it is handed
    every node (the Walker passes over nodes no handler of the walker can see)."""
    for name in dir(cst):
        node_class = getattr(cst, name)
        if isinstance(node_class, type) and issubclass(node_class, cst.CSTNode):
            setattr(walker, f"visit_{name}", handler)


visit_every_node(_WalkerOrder, _WalkerOrder._record)


def fixture_scripts() -> dict[str, str]:
    """Every fixture script that is a regular UTF-8 file, by its path under FIXTURES.

    Symlinks are left out: the corpus has one that points out of the repository on
    purpose, and its target differs from machine to machine or does not exist.
    """
    scripts = {}
    for path in sorted(FIXTURES.rglob("*.py")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            scripts[str(path.relative_to(FIXTURES))] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
    return scripts


def _sources() -> list:
    """The syntax samples above and every fixture script that libcst parses."""
    sources = [
        pytest.param(EVERY_SYNTAX, id="every-syntax"),
        pytest.param(NEWER_SYNTAX, id="newer-syntax"),
    ]
    for name, source in fixture_scripts().items():
        try:
            cst.parse_module(source)
        except (cst.ParserSyntaxError, RecursionError):
            continue
        sources.append(pytest.param(source, id=name))
    return sources


@pytest.mark.parametrize("source", _sources())
def test_walker_visits_every_non_trivia_node_in_libcst_order(source: str) -> None:
    module = cst.parse_module(source)
    expected = _LibcstOrder()
    module.visit(expected)
    walked = _WalkerOrder()
    for statement in module.body:
        walked.walk(statement)
    walked_ids = {id(node) for node in walked.seen}
    assert len(walked_ids) == len(walked.seen), "a node was walked twice"
    # Same relative order as libcst's visitor...
    assert [node for node in expected.seen if id(node) in walked_ids] == walked.seen
    # ...and nothing but trivia (or what trivia hold) left out.
    missed = [
        node
        for node in expected.seen
        if id(node) not in walked_ids and not isinstance(node, (*TRIVIA, cst.Module))
    ]
    assert all(_inside_trivia(node, module) for node in missed), missed[:3]


def _inside_trivia(target: cst.CSTNode, module: cst.Module) -> bool:
    """Whether `target` sits under a trivia node (e.g. a Comment inside whitespace)."""

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: list[cst.CSTNode] = []
            self.result = False

        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is target:
                self.result = any(isinstance(n, TRIVIA) for n in self.stack)
            self.stack.append(node)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.stack.pop()

    finder = Finder()
    module.visit(finder)
    return finder.result


def test_statements_hold_the_chain_around_each_node() -> None:
    module = cst.parse_module("class A:\n    def f(self):\n        if x:\n            g()\n")
    chains: dict[str, list[str]] = {}

    class Chains(Walker):
        def visit_Call(self, node: cst.Call) -> None:
            chains["g"] = [type(statement).__name__ for statement in self.statements]

    walker = Chains()
    walker.walk(module.body[0])
    assert chains["g"] == ["ClassDef", "FunctionDef", "If", "SimpleStatementLine"]
    assert walker.statements == []


def test_returning_false_skips_children_but_still_leaves() -> None:
    module = cst.parse_module("f(g(h()))\n")
    events: list[str] = []

    class Skipper(Walker):
        def visit_Call(self, node: cst.Call) -> bool:
            events.append(f"visit {cst.Module([]).code_for_node(node.func)}")
            return cst.Module([]).code_for_node(node.func) != "g"

        def leave_Call(self, node: cst.Call) -> None:
            events.append(f"leave {cst.Module([]).code_for_node(node.func)}")

    Skipper().walk(module.body[0])
    assert events == ["visit f", "visit g", "leave g", "leave f"]


def test_nodes_without_handlers_or_children_are_not_entered() -> None:
    """A `Name` or an `Integer` is passed over unless the walker handles it: a third of a
    typical tree, and the bulk of the walk's calls before the dispatch table."""
    module = cst.parse_module("f(a, 1, b.c)\n")
    entered: list[str] = []

    class Plain(Walker):
        def _walk(self, node: cst.CSTNode, plan: object) -> None:
            entered.append(type(node).__name__)
            super()._walk(node, plan)  # type: ignore[arg-type]

    class Names(Plain):
        def visit_Name(self, node: cst.Name) -> None:
            pass

    Plain().walk(module.body[0])
    assert "Name" not in entered
    assert "Integer" not in entered
    assert entered == ["SimpleStatementLine", "Expr", "Call", "Arg", "Arg", "Arg", "Attribute"]
    entered.clear()
    Names().walk(module.body[0])
    assert entered.count("Name") == 4  # f, a, b, c
