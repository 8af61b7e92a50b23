"""Positions computed statement by statement equal libcst's whole-module positions."""

from __future__ import annotations

import ast

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzers.code.positions import ParsedModule, Positions
from analyzers.code.walk import Walker
from tests.analyzers.code.test_walk import EVERY_SYNTAX, fixture_scripts, visit_every_node

LAYOUTS = {
    "tabs-and-crlf": "if x:\r\n\tdef f():\r\n\t\treturn g(1)\r\n\r\n\tclass C:\r\n\t  y = h()\r\n",
    "mixed-indent": "class A:\n  def f(self):\n        if a:\n         b()\n  x = c()\n",
    "decorators-and-comments": (
        "# header\n\n@d1(a())\n# between\n@d2\n\n# after\ndef f():\n    # inside\n    g()\n"
    ),
    "continuations": "x = \\\n    f(\n  1)\ny = 2; z = g(); w = h(\n)\n",
    "one-line-suites": "if a: b(); c()\nelif d(): e()\nelse: f()\nwhile g(): h()\n",
    "elif-chain": "if a():\n    b()\nelif c():\n    d()\nelif e():\n    f()\nelse:\n    g()\n",
    "try-handlers": (
        "try:\n    a()\nexcept b() as e:\n    c()\nexcept (d(), e()):\n    pass\nelse:\n"
        "    f()\nfinally:\n    g()\n"
    ),
    "match-guards": (
        "match a():\n    case [x] if b(x):\n        c()\n    case {'k': v}:\n        d(v)\n"
    ),
    "non-ascii": "é = '日本語'; f(é)\nclass Ω:\n    def m(self): return g('ü', h())\n",
    "multiline-strings": 'x = """\nf()\n"""\ng(\'\'\'\n\'\'\', h())\nclass K:\n    """Doc\n    """\n    y = i()\n',
    "with-and-for-headers": (
        "with a() as b, c(d()):\n    for e in f(g()):\n        h()\n    else:\n        i()\n"
    ),
    "nested-defs": (
        "def outer():\n    @deco(a())\n    class Inner(b()):\n        def m(self, x=c()):\n"
        "            async def n():\n                async with d() as e:\n"
        "                    await f()\n            return n\n    return Inner\n"
    ),
    "call-chains": (
        "a.b(c)(d).e(f(g))\n(h)(i)\nx = [j(k) for k in l(m) if n(k)]\np = lambda: q(r)\n"
        "s = {t(): u() for v in w()}; y(*aa(), k=bb(), **z())\n"
    ),
    "f-strings": "f'{a(b)}' + c(d)\nwith e(f'{g()}'):\n    h()\n",
    "every-syntax": EVERY_SYNTAX,
}


def _fixture_sources() -> dict[str, str]:
    sources = {}
    for name, text in fixture_scripts().items():
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        sources[name] = text
    return sources


class _Chains(Walker):
    """Every node worth a position, with the statements around it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[cst.CSTNode, tuple[cst.BaseStatement, ...]]] = []

    def _record(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseExpression | cst.BaseSmallStatement | cst.Decorator):
            self.found.append((node, tuple(self.statements)))
        return True


visit_every_node(_Chains, _Chains._record)


@pytest.mark.parametrize(
    "source", [*LAYOUTS.values(), *_fixture_sources().values()], ids=[*LAYOUTS, *_fixture_sources()]
)
def test_every_node_starts_where_libcst_says(source: str) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(ParsedModule(None, module, ast.parse(source)))
    chains = _Chains()
    for statement in module.body:
        chains.walk(statement)
    assert chains.found
    for node, chain in chains.found:
        start = expected[node].start
        assert positions.start(chain, node) == (start.line, start.column), cst.Module(
            []
        ).code_for_node(node)[:60]
    assert positions._whole is None, "answered by the slow whole-module fallback"


class _CallChains(Walker):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[cst.Call, tuple[cst.BaseStatement, ...]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append((node, tuple(self.statements)))


@pytest.mark.parametrize(
    "source", [*LAYOUTS.values(), *_fixture_sources().values()], ids=[*LAYOUTS, *_fixture_sources()]
)
def test_calls_read_from_ast_start_where_libcst_says(source: str) -> None:
    """With the text known, a call in a one-statement line or a compound statement's
    header is placed by ast's node for it, paired in source order, without code generation;
    elsewhere (f-strings, two statements on a line) by the generated statement."""
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(ParsedModule(None, module, ast.parse(source), text=source))
    chains = _CallChains()
    for statement in module.body:
        chains.walk(statement)
    for node, chain in chains.found:
        start = expected[node].start
        assert positions.start(chain, node) == (start.line, start.column), cst.Module(
            []
        ).code_for_node(node)[:60]
    assert positions._whole is None, "answered by the slow whole-module fallback"
    if "a.b(c)" in source:
        assert len(positions._generated) == 1  # only the line of two statements


def test_without_ast_the_whole_module_answers() -> None:
    source = "def f():\n    g()\n"
    module = cst.parse_module(source)
    call = module.body[0].body.body[0].body[0].value  # type: ignore[attr-defined]
    chain = (module.body[0], module.body[0].body.body[0])  # type: ignore[attr-defined]
    assert Positions(ParsedModule(None, module, None)).start(chain, call) == (2, 4)


def test_trees_that_do_not_line_up_fall_back_to_the_whole_module() -> None:
    # ast of a different text: two statements where libcst has three lines.
    module = cst.parse_module("a = 1\nb = 2\nf()\n")
    call = module.body[2].body[0].value  # type: ignore[attr-defined]
    other_tree = ast.parse("a = 1\nf()\n")
    positions = Positions(ParsedModule(None, module, other_tree))
    assert positions.start((module.body[2],), call) == (3, 0)


def _calls_module(calls: int, nested: bool) -> str:
    if not nested:
        return "import mlflow\n" + "".join(
            f"mlflow.log_metric('m{i}', {i})\n" for i in range(calls)
        )
    methods = "".join(
        f"    def step{i}(self):\n        for e in range(3):\n            mlflow.log_metric('m{i}', e)\n"
        for i in range(calls)
    )
    return "import mlflow\nclass Trainer:\n" + methods


@pytest.mark.parametrize("nested", [False, True], ids=["top-level-calls", "calls-in-methods"])
def test_each_block_is_aligned_once_however_many_calls_it_holds(nested: bool) -> None:
    """Counted work, not time: re-aligning the module for every call made the analysis
    quadratic (8,000 calls took minutes)."""
    for calls in (50, 400):
        source = _calls_module(calls, nested)
        module = cst.parse_module(source)
        positions = Positions(ParsedModule(None, module, ast.parse(source)))
        chains = _Chains()
        for statement in module.body:
            chains.walk(statement)
        found = [(node, chain) for node, chain in chains.found if isinstance(node, cst.Call)]
        assert len(found) >= calls
        for node, chain in found:
            positions.start(chain, node)
        assert positions.statements_aligned <= _statements(module)


def _statements(module: cst.Module) -> int:
    count, stack = 0, [module]
    while stack:
        node = stack.pop()
        count += isinstance(node, cst.BaseStatement)
        stack.extend(node.children)
    return count
