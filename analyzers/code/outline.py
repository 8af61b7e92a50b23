"""A file's imports, read from its bytes without parsing: what the repository pass needs to
order the files of a checkout before any is resolved.

The outline over-approximates: every `import a.b` and `from .x import y` line it finds,
anywhere (in functions, in a notebook's code cells). A module that is not the repository's is
dropped later; a missed import would only cost a cross-file flow. No libcst: a warm rerun reads outlines
from the cache without loading the parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from analyzers.code.notebooks import NotebookError, code_cells

# An import at the start of a line (anywhere: in functions, in `try:` blocks).
_IMPORT_LINE = re.compile(
    rb"""^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;"]*)"""
    rb"""|import[ \t]+([^\n#;"]+))""",
    re.MULTILINE,
)
_JSON_LINE_START = re.compile(rb'^[ \t]*"', re.MULTILINE)  # `    "from x import y`
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True, slots=True)
class Imports:
    """`import a.b.c` (which runs and binds `a`, so every prefix matters) and `from m import
    x, y` (which needs `m`, and `m.x` if `x` is a submodule)."""

    plain: tuple[str, ...]
    from_: tuple[tuple[str, tuple[str, ...]], ...]


def import_specs(data: bytes, notebook: bool = False) -> Imports:
    """Every import line of `data`, as written (relative modules with their leading dots)."""
    plain: dict[str, None] = {}
    from_: dict[str, dict[str, None]] = {}
    if notebook:
        data = _notebook_lines(data)
    for match in _import_lines(data):
        module, names, modules = match.groups()
        if modules is not None:
            plain.update(dict.fromkeys(_names(modules)))
        else:
            found = from_.setdefault(module.decode("ascii", "ignore"), {})
            found.update(dict.fromkeys(name for name in _names(names) if "." not in name))
    return Imports(
        tuple(plain), tuple((module, tuple(names)) for module, names in from_.items() if module)
    )


def _import_lines(data: bytes) -> Iterator[re.Match[bytes]]:
    """The import statements of `data`: found from the word `import` (a few per file) rather
    than by trying every line, which is most of the cost in large files."""
    position = data.find(b"import")
    while position != -1:
        line_start = data.rfind(b"\n", 0, position) + 1
        match = _IMPORT_LINE.match(data, line_start)
        if match is not None and match.end() > position:
            yield match
            position = data.find(b"import", match.end())
        else:
            position = data.find(b"import", position + 6)


def _notebook_lines(data: bytes) -> bytes:
    """A notebook's source lines, one per line: as Jupyter writes them (one JSON string per
    line) the raw bytes with `\\n` escapes undone do; a minified notebook is decoded."""
    if b"\n" in data[:2000]:
        return _JSON_LINE_START.sub(b"", data.replace(b"\\n", b"\n"))
    return _cells_text(data)


def _cells_text(data: bytes) -> bytes:
    try:
        cells, _ = code_cells(data)
    except NotebookError:
        return b""
    return "\n".join(cell.source for cell in cells).encode("utf-8", "surrogatepass")


def _names(clause: bytes) -> list[str]:
    """`a, b as c, (d,\n e)` -> a, b, d, e: the imported names, not their aliases."""
    text = clause.decode("utf-8", "ignore").strip().strip("()").replace("\\\n", " ")
    names = []
    for part in text.replace("\n", ",").split(","):
        words = part.split()
        if words and words[0] != "*" and _NAME.fullmatch(words[0]):
            names.append(words[0])
    return names
