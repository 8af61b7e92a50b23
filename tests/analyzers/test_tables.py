"""CSV output: formula cells neutralised, files replaced atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzers.tables import csv_table, neutralise, read_csv_rows, restore


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
    with pytest.raises(RuntimeError), csv_table(target, ["a"]) as table:
        table.write({"a": 1})
        raise RuntimeError("killed")
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
