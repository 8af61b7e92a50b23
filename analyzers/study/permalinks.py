"""Permalinks: a line of a repository at its pinned commit, as a GitHub URL a reader can open.

`https://github.com/OWNER/NAME/blob/COMMIT/PATH#LLINE`. GitHub cannot point into a notebook's
cell, so a notebook's link opens the file and the location names the cell and the line in it
(0-based cell among all cells, markdown included, as `calls.csv` counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

GITHUB = "https://github.com"


def permalink(repo: str, commit: str, path: str = "", line: int | None = None) -> str:
    """The URL of `path` (a file, or the repository when empty) at `commit`, at `line`."""
    if not commit:
        return f"{GITHUB}/{quote(repo)}"
    url = (
        f"{GITHUB}/{quote(repo)}/blob/{commit}/{quote(path)}"
        if path
        else (f"{GITHUB}/{quote(repo)}/tree/{commit}")
    )
    return url + (f"#L{line}" if line is not None and path else "")


@dataclass(frozen=True, slots=True)
class Location:
    """A line of a file of a repository at a commit; `cell` is None outside notebooks."""

    repo: str
    commit: str
    path: str
    cell: int | None
    line: int | None

    @property
    def url(self) -> str:
        return permalink(
            self.repo, self.commit, self.path, self.line if self.cell is None else None
        )

    @property
    def where(self) -> str:
        """`train.py:12`, or `nb.ipynb, cell 3, line 2`."""
        if self.cell is not None:
            return f"{self.path}, cell {self.cell}, line {self.line}"
        return f"{self.path}:{self.line}" if self.line is not None else self.path


def _number(text: object) -> int | None:
    value = str(text).strip()
    return int(value) if value.isdigit() else None


def location_from(repo: str, commit: str, path: str, cell: object, line: object) -> Location:
    """A location from table cells (text, empty for no cell or line)."""
    return Location(repo, commit, path, _number(cell), _number(line))
