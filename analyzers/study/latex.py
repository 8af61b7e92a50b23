"""LaTeX text: escaping what a study's values may hold, for tables, macros and methods."""

from __future__ import annotations

import re

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_CODE = re.compile(r"`([^`]*)`")


def latex_escape(text: object) -> str:
    """`text` with LaTeX's special characters escaped, for use in a tabular cell."""
    return "".join(_LATEX_SPECIALS.get(char, char) for char in str(text))


def latex_prose(text: str) -> str:
    """Markdown-ish prose as LaTeX: `code` in \\texttt, everything else escaped."""
    parts = _CODE.split(text)
    return "".join(
        rf"\texttt{{{latex_escape(part)}}}" if index % 2 else latex_escape(part)
        for index, part in enumerate(parts)
    )
