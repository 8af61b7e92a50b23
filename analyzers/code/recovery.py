"""Error recovery: the parts of a file (or notebook cell) that parse, when the whole does not.

A syntax error costs only the top-level statement it is in. The text is split at top-level
statement boundaries, found from tokens (a statement at column 0 that is not an `else:`,
`except:` ... clause nor the function a decorator decorates) and, past the point where the
tokenizer gives up (an unclosed bracket or string), from indentation alone. The statement the
parser's error points into is blanked, keeping every line in place so positions stay true,
and the rest is parsed again, until it parses or nothing is left. Semgrep's parser recovers
the same way; one broken line no longer hides the calls in the rest of the file.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

_T = TypeVar("_T")
_CLAUSES = frozenset({"else", "elif", "except", "finally"})
_SKIP_TOKENS = frozenset(
    {
        tokenize.NL,
        tokenize.COMMENT,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.NEWLINE,
        tokenize.ENDMARKER,
    }
)
# "expected an indented block after 'with' statement on line 7": the statement that broke.
_CULPRIT = re.compile(r"\bon line (\d+)")
_MAX_ROUNDS = 25  # each round blanks one more statement; past that, the file is not Python


class Unparsable(Exception):
    """The text does not parse; `line` (1-based) is where the parser says the error is."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Recovered(Generic[_T]):
    parsed: _T
    first_error: str  # the parser's first message, "line 12: invalid syntax"
    skipped: tuple[tuple[int, int], ...]  # blanked line ranges, 1-based and inclusive

    def describe(self) -> str:
        ranges = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in self.skipped)
        plural = "s" if len(self.skipped) > 1 or self.skipped[0][0] != self.skipped[0][1] else ""
        return f"{self.first_error}; line{plural} {ranges} skipped, the rest analysed"


def statement_starts(text: str) -> list[int]:
    """0-based indices of the lines that start a top-level statement."""
    starts: list[int] = []
    at_statement = True
    after_decorator = False
    current = 0  # where the statement being read starts
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NEWLINE:
                at_statement = True
            elif token.type not in _SKIP_TOKENS and at_statement:
                at_statement = False
                current = token.start[0] - 1
                top = token.start[1] == 0 and token.string not in _CLAUSES
                if top and not after_decorator:
                    starts.append(current)
                if token.start[1] == 0:
                    after_decorator = token.string == "@"
    except (tokenize.TokenError, SyntaxError):
        # An unclosed bracket or string swallowed the rest: read it by indentation.
        starts.extend(_indentation_starts(text, after=current + 1))
    return sorted(set(starts)) or [0]


def _indentation_starts(text: str, after: int) -> list[int]:
    """Lines at column 0 that may start a statement, from line `after` on: where tokens give
    out, indentation is all there is."""
    found = []
    for index, line in enumerate(text.splitlines()[after:], start=after):
        first = line[:1]
        word = line.split(None, 1)[0].rstrip(":") if line.strip() else ""
        if first and not first.isspace() and first not in "#)]}" and word not in _CLAUSES:
            found.append(index)
    return found


def recover(text: str, parse: Callable[[str], _T]) -> Recovered[_T] | None:
    """`parse(text)` after blanking the statements that do not parse, or None when nothing
    would be left; `parse` raises `Unparsable` with the error's line."""
    lines = text.splitlines(keepends=True)
    starts = statement_starts(text)
    blanked: list[tuple[int, int]] = []
    first_error = ""
    current = text
    for _ in range(_MAX_ROUNDS):
        try:
            parsed = parse(current)
        except Unparsable as error:
            first_error = first_error or str(error)
            culprit = _CULPRIT.search(str(error))
            line = int(culprit.group(1)) if culprit else error.line
            region = _region(starts, line, len(lines), blanked)
            if region is None:
                return None
            blanked.append(region)
            current = "".join(
                _ending(line) if _inside(index, blanked) else line
                for index, line in enumerate(lines)
            )
            if not current.strip():
                return None
            continue
        if not blanked:
            return None  # it parsed as a whole: not a case for recovery
        skipped = tuple((start + 1, end) for start, end in _merged(blanked))
        return Recovered(parsed, first_error, skipped)
    return None


def _region(
    starts: list[int], line: int | None, count: int, blanked: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The statement holding 0-based line `line - 1`, as [start, end); if it is blanked
    already (the parser points past what broke it), the statement before it."""
    index = min(max((line or 1) - 1, 0), max(count - 1, 0))
    position = max((i for i, start in enumerate(starts) if start <= index), default=0)
    while position >= 0:
        start = starts[position]
        end = starts[position + 1] if position + 1 < len(starts) else count
        if (start, end) not in blanked:
            return start, end
        position -= 1
    return None


def _inside(index: int, regions: list[tuple[int, int]]) -> bool:
    return any(start <= index < end for start, end in regions)


def _merged(regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(regions):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]
