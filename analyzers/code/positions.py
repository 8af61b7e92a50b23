"""Where found nodes start, computed only for the innermost statements that hold them.

libcst's `PositionProvider` generates the code of a whole module and records a range for every
node; profiled on real repositories it cost more than parsing. The resolver needs the start of
a few nodes, and knows the chain of statements that holds each (a method in a class, an
assignment in the method...). So only the innermost statement of the chain whose line is known
is generated, at its block's indentation and counting lines from 1, then shifted to the line on
which `ast` (which parsed the same text first, to bound its depth) says that statement starts.

The two trees are walked down together, block by block: ast splits `a = 1; b = 2` into two
statements where libcst has one line of two, which the alignment follows. Where a chain cannot
be followed (an `elif`, a one-line suite) the last statement it could reach is generated; where
the trees do not line up at all, or ast could not parse the text, the whole-module provider
answers.

Each block is aligned once and remembered, so the work is linear in the statements of the
module plus, per finding, the depth of its chain: re-aligning the module's body for every call
made a file of 8,000 top-level calls take minutes (`benchmarks/bench_big_file.py`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

Chain = tuple[cst.BaseStatement, ...]
_Ranges = tuple[Mapping[cst.CSTNode, CodeRange], int]


@dataclass(frozen=True, slots=True)
class ParsedModule:
    """A module (a script, or one notebook cell) as the resolver receives it."""

    cell: int | None
    module: cst.Module
    tree: ast.Module | None = None  # `ast.parse` of the same text; None when it failed
    # Columns to add to every position: a notebook cell parsed without the leading indent
    # IPython strips.
    column_offset: int = 0


class Positions:
    """Start positions (1-based line, 0-based column) of nodes of one parsed module."""

    def __init__(self, parsed: ParsedModule) -> None:
        self._module = parsed.module
        self._tree = parsed.tree
        self._column_offset = parsed.column_offset
        self._located: dict[int, tuple[cst.BaseStatement, int, list[str]] | None] = {}
        self._generated: dict[int, _Ranges] = {}
        self._whole: Mapping[cst.CSTNode, CodeRange] | None = None
        # id of a libcst block's statement sequence -> id of each of its statements -> ast's
        # statement for it (empty when the block does not line up).
        self._alignments: dict[int, dict[int, ast.stmt]] = {}
        self.statements_aligned = 0  # work done aligning, for tests of the complexity

    def start(self, chain: Chain, node: cst.CSTNode) -> tuple[int, int]:
        """Where `node` starts; `chain` holds the statements around it, outermost first."""
        located = None
        if self._tree is not None and chain:
            if id(chain[-1]) not in self._located:
                self._located[id(chain[-1])] = self._locate(chain)
            located = self._located[id(chain[-1])]
        if located is not None:
            statement, line, indents = located
            if statement is chain[-1]:
                # No statement nested in this one holds the node: its blocks are not needed.
                statement = _without_body(statement)
            if id(statement) not in self._generated:
                self._generated[id(statement)] = _generate(self._module, statement, line, indents)
            ranges, shift = self._generated[id(statement)]
            if node in ranges:
                position = ranges[node].start
                return position.line + shift, position.column + self._column_offset
        if self._whole is None:
            self._whole = MetadataWrapper(self._module, unsafe_skip_copy=True).resolve(
                PositionProvider
            )
        position = self._whole[node].start
        return position.line, position.column + self._column_offset

    def _locate(self, chain: Chain) -> tuple[cst.BaseStatement, int, list[str]] | None:
        """The innermost statement of `chain` that both trees reach, ast's line for it, and
        the indentation of the blocks around it."""
        assert self._tree is not None
        blocks: list[tuple[Sequence[cst.BaseStatement], list[ast.stmt], str | None]] = [
            (self._module.body, self._tree.body, None)
        ]
        located = None
        indents: list[str] = []
        for statement in chain:
            step = next(
                (
                    (ast_node, indent)
                    for cst_body, ast_body, indent in blocks
                    if (ast_node := self._alignment(cst_body, ast_body).get(id(statement)))
                    is not None
                ),
                None,
            )
            if step is None:
                break
            ast_node, indent = step
            if indent is not None:
                indents = [*indents, indent]
            located = (statement, ast_node.lineno, indents)
            blocks = list(_blocks(statement, ast_node, self._module.default_indent))
        return located

    def _alignment(
        self, cst_body: Sequence[cst.BaseStatement], ast_body: list[ast.stmt]
    ) -> dict[int, ast.stmt]:
        """The block's statements paired, computed on the first visit only."""
        known = self._alignments.get(id(cst_body))
        if known is None:
            self.statements_aligned += len(cst_body)
            known = self._alignments[id(cst_body)] = {
                id(statement): node for statement, node in _aligned(cst_body, ast_body)
            }
        return known


def _aligned(
    cst_body: Sequence[cst.BaseStatement], ast_body: list[ast.stmt]
) -> list[tuple[cst.BaseStatement, ast.stmt]]:
    """Pairs each libcst statement with ast's (first) statement for it; none if the two
    bodies do not line up."""
    pairs, index = [], 0
    for statement in cst_body:
        if index >= len(ast_body) or not _same_kind(statement, ast_body[index]):
            return []
        pairs.append((statement, ast_body[index]))
        index += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return pairs if index == len(ast_body) else []


_COMPOUND = {
    "FunctionDef": ("FunctionDef", "AsyncFunctionDef"),
    "For": ("For", "AsyncFor"),
    "With": ("With", "AsyncWith"),
}


def _same_kind(statement: cst.BaseStatement, node: ast.stmt) -> bool:
    name = type(statement).__name__
    if name == "SimpleStatementLine":
        return not hasattr(node, "body")
    return type(node).__name__ in _COMPOUND.get(name, (name,))


def _blocks(
    statement: cst.BaseStatement, node: ast.stmt, default_indent: str
) -> Iterator[tuple[Sequence[cst.BaseStatement], list[ast.stmt], str]]:
    """The indented blocks of a compound statement beside ast's statement lists for them."""

    def block(
        suite: cst.BaseSuite, body: list[ast.stmt]
    ) -> Iterator[tuple[Sequence[cst.BaseStatement], list[ast.stmt], str]]:
        if isinstance(suite, cst.IndentedBlock):
            yield suite.body, body, default_indent if suite.indent is None else suite.indent

    if not isinstance(statement, cst.BaseCompoundStatement) or not hasattr(node, "body"):
        return
    yield from block(statement.body, node.body)
    if isinstance(statement, cst.Try | cst.TryStar) and isinstance(node, ast.Try | ast.TryStar):
        handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = statement.handlers
        for handler, ast_handler in zip(handlers, node.handlers, strict=False):
            yield from block(handler.body, ast_handler.body)
        if statement.finalbody is not None:
            yield from block(statement.finalbody.body, node.finalbody)
    if isinstance(statement, cst.Match) and isinstance(node, ast.Match):
        for case, ast_case in zip(statement.cases, node.cases, strict=False):
            yield from block(case.body, ast_case.body)
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.Else):  # not an `elif`, whose code starts with `elif`
        yield from block(orelse.body, getattr(node, "orelse", []))


_STUB = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
_BODY_LAST = (cst.FunctionDef, cst.ClassDef, cst.With, cst.For, cst.While, cst.If)


def _without_body(statement: cst.BaseStatement) -> cst.BaseStatement:
    """The statement with its indented body replaced by `pass`, where nothing but statements
    and further blocks follows that body (not an `elif`, an `except` or a `case`), so the
    positions of its header's nodes are unchanged and cost no more than the header."""
    if (
        isinstance(statement, _BODY_LAST)
        and isinstance(statement.body, cst.IndentedBlock)
        and not isinstance(getattr(statement, "orelse", None), cst.If)
    ):
        return statement.with_changes(body=_STUB)
    return statement


def _generate(
    module: cst.Module, statement: cst.BaseStatement, line: int, indents: list[str]
) -> _Ranges:
    """Ranges of every node of `statement`, and what to add to their lines."""
    provider = PositionProvider()
    state = PositionProvidingCodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=provider,
        indent_tokens=list(indents),
    )
    statement._codegen(state)
    ranges = cast(Mapping[cst.CSTNode, CodeRange], provider._computed)  # CodeRange values only
    anchor = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else statement
    return ranges, line - ranges[anchor].start.line
