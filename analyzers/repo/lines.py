"""One line of a checkout, read as text: what a person judging a finding looks at.

Nothing is run and no link is followed: a path that is a symbolic link, or that leads out of
the checkout, is refused. A notebook's line is the line of a cell (0-based among all cells,
markdown included, as `calls.csv` counts them).
"""

from __future__ import annotations

import os
from pathlib import Path

from analyzers.repo.textsearch import MAX_BYTES, notebook_cells

MAX_CHARS = 500  # a minified line is cut here: enough to judge it


class LineUnavailable(LookupError):
    """The line cannot be read; the message says why, in a few words."""


def source_line(root: Path, path: str, cell: int | None, line: int | None) -> str:
    """The text of `line` (1-based) of `path` (in `cell` for a notebook) under `root`."""
    if line is None or line < 1:
        raise LineUnavailable("no line number")
    top = os.path.realpath(root)
    full = os.path.join(top, path)
    if os.path.realpath(full) != os.path.normpath(full) or not full.startswith(top + os.sep):
        raise LineUnavailable("the path leads through a symbolic link or out of the checkout")
    try:
        if os.path.getsize(full) > MAX_BYTES:
            raise LineUnavailable("the file is over the size cap")
        data = Path(full).read_bytes()
    except FileNotFoundError:
        raise LineUnavailable("the file is not in the checkout (left out or sparse)") from None
    except OSError as error:
        raise LineUnavailable(f"the file cannot be read: {error.strerror}") from None
    if cell is not None:
        cells = dict(notebook_cells(data))
        if cell not in cells:
            raise LineUnavailable(f"the notebook has no code or markdown cell {cell}")
        text = cells[cell]
    else:
        text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if line > len(lines):
        raise LineUnavailable(f"the file has {len(lines)} lines, not {line}")
    found = lines[line - 1].rstrip()
    return found if len(found) <= MAX_CHARS else found[: MAX_CHARS - 1] + "\u2026"
