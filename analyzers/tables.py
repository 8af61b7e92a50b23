"""Tidy CSV output: fixed columns, atomic writes, and cells a spreadsheet cannot run.

Every table of the project is written by `CsvTable` (through `csv_table`) and read back by
`read_csv_rows` (or `restore` on each cell): rows are RFC 4180 with `\n` line ends, a cell
holding a comma, a quote, a CR or an LF is quoted, so that a bare CR in a value can neither
split a row nor start one in a spreadsheet.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# A cell starting with one of these is evaluated as a formula by Excel, LibreOffice and Sheets;
# so is every line of a cell, since a spreadsheet may split a cell at its line breaks.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_QUOTABLE_FIRST = frozenset("".join(FORMULA_PREFIXES) + "'")
# Line starts inside a cell: after an LF, or after a CR that is not the first half of a CRLF.
_LINE_START = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def neutralise(value: object) -> str:
    """The cell text for `value`, with `'` before its first character and before the start of
    any of its lines that a spreadsheet would run as a formula.

    Numbers are written as they are: `-1` is data, not a formula.
    """
    if isinstance(value, str):
        # The common cases first: most cells are plain one-line text or line numbers.
        if "\n" in value or "\r" in value:
            return "".join(_neutralise_line(line) for line in _LINE_START.split(value))
        return _neutralise_line(value)
    if type(value) is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return neutralise(str(value))


def _neutralise_line(text: str) -> str:
    return "'" + text if text[:1] in _QUOTABLE_FIRST and _needs_quote(text) else text


def plain(value: object) -> str:
    """The cell text for `value` as `neutralise` writes it, but never altered: for the export's
    unaltered copies, read by programs rather than opened in a spreadsheet."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if type(value) is not int else str(value)
    return str(value)


def _needs_quote(text: str) -> bool:
    # A text that already looks neutralised ('=1, ''=1...) is quoted again, so that `restore`
    # is exact.
    return text.lstrip("'").startswith(FORMULA_PREFIXES)


def restore(cell: str) -> str:
    """The value `neutralise` was given: the inverse, for reading our own tables back."""
    if "\n" in cell or "\r" in cell:
        return "".join(_restore_line(line) for line in _LINE_START.split(cell))
    return _restore_line(cell)


def _restore_line(text: str) -> str:
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


_MUST_QUOTE = re.compile(r'[,"\r\n]')


def csv_line(cells: Sequence[str]) -> str:
    """One CSV row: cells with a comma, a quote, a CR or an LF quoted. (The csv module quotes
    only the characters of its line terminator, so it left a bare CR unquoted.)"""
    if len(cells) == 1 and not cells[0]:
        return '""\n'  # an empty line would be no row at all
    return (
        ",".join(
            '"' + cell.replace('"', '""') + '"' if _MUST_QUOTE.search(cell) else cell
            for cell in cells
        )
        + "\n"
    )


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; it replaces `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    # O_EXCL: never write through a file or link someone else put there; 0o666 less the
    # umask, like any file the user creates.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{12}\.tmp")


def sweep_temporary(
    folder: str | os.PathLike[str],
    *,
    recursive: bool = True,
    target: str | None = None,
    dead: Callable[[int], bool] | None = None,
) -> list[Path]:
    """Delete the temporary files `atomic_path` left in `folder` (and below, if `recursive`)
    when its writer was killed; returns them. Only files named as `atomic_path` names them, of
    writers that no longer run (`dead(pid)`; by default: no such process, or a zombie), are
    touched; with `target`, only those that were to become `folder/target`."""
    dead = dead or _not_running
    root = Path(folder)
    if not root.is_dir() or root.is_symlink():
        return []
    removed = []
    walker = os.walk(root) if recursive else [(str(root), [], os.listdir(root))]
    for directory, _dirs, names in walker:
        for name in names:
            match = _TEMPORARY.fullmatch(name)
            if not match or (target is not None and match["name"] != target):
                continue
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file() or not dead(int(match["pid"])):
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _not_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[:1] == [b"Z"]
    except OSError:
        return False


@contextmanager
def atomic_text(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text file that appears at `path` whole, or not at all."""
    # A lone surrogate (from an escape in a string literal, "\\udc80") cannot be UTF-8: it is
    # written as that escape rather than stop the run. Paths never hold one (see files.py).
    with (
        atomic_path(path) as tmp,
        open(tmp, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle,
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


class CsvTable:
    """Writes rows with a fixed header to a CSV file atomically, neutralising formula cells
    (unless `guard` is False: the export's unaltered copies)."""

    def __init__(self, handle: IO[str], columns: Sequence[str], guard: bool = True) -> None:
        self._cell = neutralise if guard else plain
        self.columns = tuple(columns)
        self._known = frozenset(self.columns)
        self._handle = handle
        handle.write(csv_line(self.columns))
        self.rows_written = 0

    def write(self, row: Mapping[str, Any]) -> None:
        if not self._known.issuperset(row):
            raise KeyError(f"columns not in table: {sorted(set(row) - self._known)}")
        self._handle.write(csv_line([self._cell(row.get(column)) for column in self.columns]))
        self.rows_written += 1

    def write_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.write(row)


@contextmanager
def csv_table(
    path: str | os.PathLike[str], columns: Sequence[str], guard: bool = True
) -> Iterator[CsvTable]:
    """Open a CSV table for writing; the file is replaced only when the block completes."""
    with atomic_text(path) as handle:
        yield CsvTable(handle, columns, guard)


def read_csv_rows(path: str | os.PathLike[str]) -> Iterator[dict[str, str]]:
    """Rows of a CSV file as dicts of strings, neutralised cells restored: the inverse of
    `csv_table`."""
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {key: restore(value) if value else value for key, value in row.items()}
