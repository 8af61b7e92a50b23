"""CSV output: formula cells neutralised, files replaced atomically."""

from __future__ import annotations

import ast
import csv
import os
from pathlib import Path

import pytest

from analyzers.tables import csv_table, neutralise, read_csv_rows, restore

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("lr", "lr"),
        ("", ""),
        (None, ""),
        (-1, "-1"),
        (0.5, "0.5"),
        (True, "true"),
        ("'=1", "''=1"),
        ("'plain", "'plain"),
        ("==2.16.2", "'==2.16.2"),
    ],
)
def test_neutralise(value: object, cell: str) -> None:
    assert neutralise(value) == cell


@pytest.mark.parametrize("text", ["=1", "'=1", "''=1", "'x", "x", "-", "'", "+'-", "@"])
def test_restore_inverts_neutralise(text: str) -> None:
    assert restore(neutralise(text)) == text


def test_table_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old\n")

    def killed_while_writing() -> None:
        with csv_table(target, ["a"]) as table:
            table.write({"a": 1})
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        killed_while_writing()
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target], "no temporary file is left behind"
    with csv_table(target, ["a", "b"]) as table:
        table.write({"a": "=1", "b": "x,y"})
    assert target.read_text() == 'a,b\n\'=1,"x,y"\n'
    assert list(read_csv_rows(target)) == [{"a": "=1", "b": "x,y"}]


def test_unknown_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError), csv_table(tmp_path / "t.csv", ["a"]) as table:
        table.write({"zzz": 1})


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_table_is_created_with_the_users_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        with csv_table(tmp_path / "t.csv", ["a"]) as table:
            table.write({"a": 1})
    finally:
        os.umask(previous)
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == mode


MULTI_LINE = [
    # value, cell: every line start is guarded, not only the first character
    ("key\r=HYPERLINK(1)", "key\r'=HYPERLINK(1)"),
    ("a\n+1\n-2", "a\n'+1\n'-2"),
    ("a\r\n@x", "a\r\n'@x"),
    ("=a\n=b", "'=a\n'=b"),
    ("a\n'=b", "a\n''=b"),
    ("a\n\nb", "a\n'\nb"),  # an empty line starts with a line break, as a first line would
    ("plain\nlines", "plain\nlines"),
    ("\r", "'\r"),
]


@pytest.mark.parametrize(("value", "cell"), MULTI_LINE, ids=[repr(v) for v, _ in MULTI_LINE])
def test_every_line_of_a_cell_is_neutralised(value: str, cell: str) -> None:
    assert neutralise(value) == cell
    assert restore(cell) == value


ROUND_TRIP = [
    "a\rb",
    "a\r\rb",
    "\r\n",
    "\n\r",
    "x\r\n=1\r-2\n@3",
    "'\r'\n'",
    "''''=",
    "'" * 5000 + "=",  # deep runs of quotes: no recursion
    'say "hi", then\rleave',
    "nul\x00byte",
    "tab\tinside",
    "",
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=[repr(v)[:20] for v in ROUND_TRIP])
def test_any_text_survives_a_write_and_a_read(tmp_path: Path, value: str) -> None:
    with csv_table(tmp_path / "t.csv", ["repo", "keys", "line"]) as table:
        table.write({"repo": "r", "keys": value, "line": 3})
        table.write({"repo": value, "keys": "", "line": None})
    assert list(read_csv_rows(tmp_path / "t.csv")) == [
        {"repo": "r", "keys": value, "line": "3"},
        {"repo": value, "keys": "", "line": ""},
    ]
    with open(tmp_path / "t.csv", encoding="utf-8", newline="") as handle:
        assert len(list(csv.reader(handle))) == 3, "no value splits or starts a row"


def test_a_bare_carriage_return_is_quoted(tmp_path: Path) -> None:
    """The csv module quotes only its line terminator's characters: `a\\rb` went out bare, and
    a merged calls.csv read it as two rows."""
    with csv_table(tmp_path / "t.csv", ["a", "b"]) as table:
        table.write({"a": "k\r=CR", "b": 1})
    assert (tmp_path / "t.csv").read_bytes() == b'a,b\n"k\r\'=CR",1\n'


def test_a_one_column_row_with_an_empty_cell_is_still_a_row(tmp_path: Path) -> None:
    with csv_table(tmp_path / "t.csv", ["a"]) as table:
        table.write({"a": ""})
    assert list(read_csv_rows(tmp_path / "t.csv")) == [{"a": ""}]


def test_a_lone_surrogate_is_written_as_its_escape(tmp_path: Path) -> None:
    with csv_table(tmp_path / "t.csv", ["a"]) as table:
        table.write({"a": "key\udc80"})
    assert list(read_csv_rows(tmp_path / "t.csv")) == [{"a": "key\\udc80"}]


_WRITERS = ("writer", "DictWriter", "to_csv", "writerow", "writerows")


def test_every_table_is_written_by_the_shared_writer() -> None:
    """No module but analyzers/tables.py writes CSV itself: every table gets the same quoting
    and formula guard."""
    offenders = []
    for package in ("analyzers", "mining"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "analyzers" / "tables.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in _WRITERS:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_the_study_loader_restores_a_guard_on_any_line(tmp_path: Path) -> None:
    from analyzers.study.load import read_table

    values = ["k\r=CR", "x\n-1", "'=q", "plain 'quote'", "=a\n=b"]
    with csv_table(tmp_path / "t.csv", ["a"]) as table:
        table.write_all({"a": value} for value in values)
    assert list(read_table(tmp_path / "t.csv", ["a"])["a"]) == values
