"""Python 2 syntax, told from tokens: the evidence behind a `python2` status.

A file that does not parse as Python 3 is called Python 2 only when it shows syntax that only
Python 2 has (a print statement, a backtick, `<>`, `0777`, `10L`, `ur""`, `except E, e`), read
from tokens so that comments, strings and docstrings never count.
"""

from __future__ import annotations

import io
import keyword
import tokenize


def python2_syntax(text: str) -> str | None:
    """Where `text` first uses syntax that only Python 2 has ("print statement at line 3"), or
    None. Read from tokens, so comments, strings and docstrings never count (an `ada-002` or
    a `<>` in a comment is no evidence)."""
    previous: tokenize.TokenInfo | None = None
    statement_start = True  # the next token starts a statement
    head = ""  # the keyword that started this statement, if it is one Python 2 used
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, string = token.type, token.string
            if kind in (tokenize.COMMENT, tokenize.NL):
                continue
            found = _python2_token(token, previous, head, depth)
            if found is not None:
                return f"{found} at line {token.start[0]}"
            if statement_start:
                head = string if kind == tokenize.NAME else ""
            if kind == tokenize.OP:
                depth = _depth_after(string, depth)
            statement_start = kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT) or (
                kind == tokenize.OP and string in (";", ":") and depth == 0
            )
            previous = token
    except (tokenize.TokenError, SyntaxError):
        pass
    return None


def _depth_after(operator: str, depth: int) -> int:
    if operator in "([{":
        return depth + 1
    if operator in ")]}":
        return max(0, depth - 1)
    return depth


def _python2_token(
    token: tokenize.TokenInfo, previous: tokenize.TokenInfo | None, head: str, depth: int
) -> str | None:
    """The Python 2 syntax `token` shows after `previous` in a statement started by `head`
    at bracket depth `depth`, or None."""
    kind, string = token.type, token.string
    adjacent = previous is not None and previous.end == token.start
    before = previous.string if previous is not None else ""
    before_kind = previous.type if previous is not None else None
    if (
        kind == tokenize.NUMBER
        and adjacent
        and before_kind == tokenize.NUMBER
        and not before.strip("0")
    ):
        return "octal literal without 0o"
    if (
        kind == tokenize.NAME
        and string in ("l", "L")
        and adjacent
        and before_kind == tokenize.NUMBER
    ):
        return "long integer literal"
    if (
        kind == tokenize.STRING
        and adjacent
        and before_kind == tokenize.NAME
        and before.lower() == "ur"
    ):
        return "ur string prefix"
    if kind == tokenize.ERRORTOKEN and string == "`":
        return "backtick repr"
    if kind == tokenize.OP and string == ">" and adjacent and before == "<":
        return "<> operator"
    words = (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
    if (
        head in ("print", "exec")
        and previous is not None
        and before == head
        and kind in words
        and not keyword.iskeyword(string)
    ):
        return f"{head} statement"
    if head in ("except", "raise") and string == "," and depth == 0:
        return f"{head} with a comma"
    return None
