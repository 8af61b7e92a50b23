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
import bisect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from analyzers.code.walk import Walker

Chain = tuple[cst.BaseStatement, ...]
# Ranges, what to add to their lines, the statement's first line, what to add to its columns.
_Generated = tuple[Mapping[cst.CSTNode, CodeRange], int, int, int]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Python's tokenizer counts lines
_SEARCH_WINDOW = 4096


@dataclass(frozen=True, slots=True)
class ParsedModule:
    """A module (a script, or one notebook cell) as the resolver receives it."""

    cell: int | None
    module: cst.Module
    tree: ast.Module | None = None  # `ast.parse` of the same text; None when it failed
    # Columns to add to every position: a notebook cell parsed without the leading indent
    # IPython strips.
    column_offset: int = 0
    text: str = ""  # what both parsers read; "" when not known


class Positions:
    """Start positions (1-based line, 0-based column) of nodes of one parsed module."""

    def __init__(self, parsed: ParsedModule) -> None:
        self._module = parsed.module
        self._tree = parsed.tree
        self._column_offset = parsed.column_offset
        self._located: dict[int, tuple[cst.BaseStatement, ast.stmt, list[str]] | None] = {}
        self._generated: dict[int, _Generated] = {}
        self._whole: Mapping[cst.CSTNode, CodeRange] | None = None
        # id of a libcst block's statement sequence -> id of each of its statements -> ast's
        # statement for it (empty when the block does not line up).
        self._alignments: dict[int, dict[int, ast.stmt]] = {}
        self.statements_aligned = 0  # work done aligning, for tests of the complexity
        self._text = parsed.text
        self._line_starts: list[int] | None = None
        self._calls: dict[int, dict[int, ast.Call]] = {}  # statement -> its calls' pairs

    def start(self, chain: Chain, node: cst.CSTNode) -> tuple[int, int]:
        """Where `node` starts; `chain` holds the statements around it, outermost first."""
        located = None
        if self._tree is not None and chain:
            if id(chain[-1]) not in self._located:
                self._located[id(chain[-1])] = self._locate(chain)
            located = self._located[id(chain[-1])]
        if located is not None:
            statement, ast_node, indents = located
            if statement is chain[-1]:
                if isinstance(node, cst.Call):
                    found = self._call_from_ast(statement, ast_node, node)
                    if found is not None:
                        return found
                # No statement nested in this one holds the node: its blocks are not needed.
                statement = _without_body(statement)
            if id(statement) not in self._generated:
                self._generated[id(statement)] = self._generate(statement, ast_node, indents)
            ranges, shift, first_line, first_line_shift = self._generated[id(statement)]
            if node in ranges:
                position = ranges[node].start
                column = position.column + (first_line_shift if position.line == first_line else 0)
                line, column = self._in_text(node, CodePosition(position.line + shift, column))
                return line, column + self._column_offset
        if self._whole is None:
            self._whole = MetadataWrapper(self._module, unsafe_skip_copy=True).resolve(
                PositionProvider
            )
        line, column = self._in_text(node, self._whole[node].start)
        return line, column + self._column_offset

    def _call_from_ast(
        self, statement: cst.BaseStatement, ast_node: ast.stmt, node: cst.Call
    ) -> tuple[int, int] | None:
        """Where ast says the call starts: the calls of a one-statement line or a header, in
        source order in both trees, paired (None where they might not pair up: f-strings, whose inner
        positions ast 3.11 gets wrong, or counts that differ)."""
        pairs = self._calls.get(id(statement))
        if pairs is None:
            pairs = self._calls[id(statement)] = _paired_calls(statement, ast_node)
        call = pairs.get(id(node))
        if call is None or not self._text:
            return None
        line = self._line(call.lineno).encode("utf-8", "surrogatepass")
        column = len(line[: call.col_offset].decode("utf-8", "surrogatepass"))
        line_number, column = self._in_text(node, CodePosition(call.lineno, column))
        return line_number, column + self._column_offset

    def _generate(
        self, statement: cst.BaseStatement, ast_node: ast.stmt, indents: list[str]
    ) -> _Generated:
        """Ranges of every node of `statement`, what to add to their lines, and to the columns
        of its first line: ast's column where libcst lost a character before the statement
        (a form feed at the start of a line, which libcst drops)."""
        ranges, shift, anchor = _generate(self._module, statement, ast_node.lineno, indents)
        first_line = ranges[anchor].start.line
        if not self._text:
            return ranges, shift, first_line, 0
        line = self._line(ast_node.lineno).encode("utf-8", "surrogatepass")
        column = len(line[: ast_node.col_offset].decode("utf-8", "surrogatepass"))
        return ranges, shift, first_line, column - ranges[anchor].start.column

    def _in_text(self, node: cst.CSTNode, start: CodePosition) -> tuple[int, int]:
        """`start`, if the text there starts the way `node` does; else where `node`'s code is
        in the text, nearest to `start`. libcst's positions are off where its tree does not
        give the text back: a backslash line after a block is parsed into the block, one
        between a decorator and its `def` is dropped."""
        if not self._text:
            return start.line, start.column
        starts = self._starts()
        if start.line > len(starts):
            return start.line, start.column
        estimate = starts[start.line - 1] + start.column
        leading = _leading_text(node)
        if leading is None or self._text.startswith(leading, estimate):
            return start.line, start.column
        if getattr(node, "lpar", None):  # a position excludes the node's own parentheses
            node = node.with_changes(lpar=[], rpar=[])
        code = self._module.code_for_node(node)
        low = max(0, estimate - _SEARCH_WINDOW)
        window = self._text[low : estimate + _SEARCH_WINDOW + len(code)]
        found = [low + m.start() for m in re.finditer(re.escape(code), window)] if code else []
        if not found or estimate in found:
            return start.line, start.column
        offset = min(found, key=lambda candidate: abs(candidate - estimate))
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1]

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self._text))]
        return self._line_starts

    def _line(self, number: int) -> str:
        starts = self._starts()
        end = starts[number] if number < len(starts) else len(self._text)
        return self._text[starts[number - 1] : end]

    def _locate(self, chain: Chain) -> tuple[cst.BaseStatement, ast.stmt, list[str]] | None:
        """The innermost statement of `chain` that both trees reach, ast's statement for it,
        and the indentation of the blocks around it."""
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
            located = (statement, ast_node, indents)
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


def _leading_text(node: cst.CSTNode) -> str | None:
    """What the code of `node` starts with (a name, a parenthesis, a quote), for a cheap check
    of a position; None when not known. A position excludes the node's own parentheses, not
    those of the nodes it starts with."""
    top = node
    while True:
        if node is not top and getattr(node, "lpar", None):
            return "("
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute | cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Name):
            return node.value
        elif isinstance(node, cst.SimpleString):
            return node.value[:1]
        else:
            return None


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
) -> tuple[Mapping[cst.CSTNode, CodeRange], int, cst.CSTNode]:
    """Ranges of every node of `statement`, what to add to their lines, and the node whose
    start is the statement's."""
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
    return ranges, line - ranges[anchor].start.line, anchor


class _Calls(Walker):
    """The calls of a statement in source order (of a compound statement, its header's), and
    whether it holds an f-string."""

    def __init__(self, statement: cst.BaseStatement) -> None:
        super().__init__()
        self.statement = statement
        self.calls: list[cst.Call] = []
        self.formatted = False

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self.formatted = True
        return False

    def visit_If(self, node: cst.If) -> bool:
        return node is self.statement  # not an `elif`

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        return False

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> bool:
        return False

    def visit_Else(self, node: cst.Else) -> bool:
        return False


# ast's fields that hold a compound statement's blocks rather than its header.
_BLOCK_FIELDS = frozenset(("body", "orelse", "handlers", "finalbody", "cases"))


def _header_calls(node: ast.AST) -> list[ast.Call]:
    """The calls of an ast statement outside its blocks."""
    calls: list[ast.Call] = []
    for name, value in ast.iter_fields(node):
        if name in _BLOCK_FIELDS and isinstance(node, ast.stmt):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST):
                calls.extend(n for n in ast.walk(item) if isinstance(n, ast.Call))
    return calls


def _paired_calls(statement: cst.BaseStatement, ast_node: ast.stmt) -> dict[int, ast.Call]:
    """id of each call of a one-statement line or a compound statement's header -> ast's
    node for it; empty where the two might not pair up. Sorted by start, the outer of two
    calls that start together first (`f(x)(y)`), ast's calls are in the order libcst's
    pre-order walk meets them."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) != 1:
        return {}
    found = _Calls(statement)
    found.walk(statement)
    if found.formatted:
        return {}
    ast_calls = sorted(
        _header_calls(ast_node),
        key=lambda call: (
            call.lineno,
            call.col_offset,
            -(call.end_lineno or 0),
            -(call.end_col_offset or 0),
        ),
    )
    if len(ast_calls) != len(found.calls):
        return {}
    return {id(call): ast_call for call, ast_call in zip(found.calls, ast_calls, strict=True)}
