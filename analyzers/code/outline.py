"""A file's imports, read from its bytes without parsing: what the repository pass needs to
order the files of a checkout before any is resolved.

The outline over-approximates: every `import a.b` and `from .x import y` line it finds,
anywhere (in functions, in notebook JSON strings), as import specs (`a.b`, `.x`, `.x.y`: the
last, in case `y` is a submodule). A spec that names no module of the repository is dropped
later; a missed one would only cost a cross-file flow. No libcst: a warm rerun reads outlines
from the cache without loading the parser.
"""

from __future__ import annotations

import re

_FROM = re.compile(
    rb"""(?:^|["'\n])[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;"]*)""",
    re.MULTILINE,
)
_IMPORT = re.compile(rb"""(?:^|["'\n])[ \t]*import[ \t]+([^\n#;"]+)""", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def import_specs(data: bytes) -> tuple[str, ...]:
    """Every module an import line of `data` may name, as written (relative ones with their
    leading dots), in first-seen order."""
    specs: dict[str, None] = {}
    for match in _FROM.finditer(data):
        module = match.group(1).decode("ascii", "ignore")
        specs[module] = None  # `from . import x`: the package (`.`), then `.x`
        for name in _names(match.group(2)):
            if "." not in name:
                joined = f"{module}{name}" if module.endswith(".") else f"{module}.{name}"
                specs[joined] = None
    for match in _IMPORT.finditer(data):
        for name in _names(match.group(1)):
            specs[name] = None
    return tuple(spec for spec in specs if spec)


def _names(clause: bytes) -> list[str]:
    """`a, b as c, (d,\n e)` -> a, b, d, e: the imported names, not their aliases."""
    text = clause.decode("utf-8", "ignore").replace("\\n", "\n")  # notebook JSON: `\\n`
    text = text.strip().strip("()").replace("\\\n", " ")
    names = []
    for part in text.replace("\n", ",").split(","):
        words = part.split()
        if words and words[0] != "*" and _NAME.fullmatch(words[0]):
            names.append(words[0])
    return names
