"""Property-based tests of the scan's tables: any file names and contents give exactly one
files.csv row per file, and every row of every table reads back to the values written."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.repo import cache as cache_module
from analyzers.repo.files import escape_path, unescape_path
from analyzers.repo.outputs import call_rows, fact_rows, file_row, write_scan
from analyzers.repo.scanner import ScanSettings, scan
from analyzers.tables import csv_table, read_csv_rows
from tests.fuzz.profiles import examples
from tests.fuzz.strategies import file_names

CONTENTS = [
    b"import mlflow\nmlflow.log_param('=cmd', 1)\nmlflow.log_metric('a\\rb', 2)\n",
    b"import mlflow\nmlflow.set_tracking_uri('http://u:p@host/\\n+x')\n",
    b'{"cells": [{"cell_type": "code", "source": "import mlflow\\nmlflow.autolog()"}]}',
    b"print('no tracking')\n",
    b"import mlflow\ndef f(:\n",
    b"# -*- coding: rot13 -*-\nimport mlflow\n",
    b"\x00\x01binary import mlflow",
    b"",
]


def _as_read(row: dict[str, Any]) -> dict[str, str]:
    """A row as read_csv_rows gives it back: every value text."""
    text = {True: "true", False: "false", None: ""}
    return {
        key: text[value] if value is None or isinstance(value, bool) else str(value)
        for key, value in row.items()
    }


def _csv_rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle))


@settings(max_examples=examples(30))
@given(st.dictionaries(file_names(), st.sampled_from(CONTENTS), min_size=1, max_size=6))
def test_every_file_gets_one_row_that_reads_back(files: dict[bytes, bytes]) -> None:
    racy = cache_module.RACY_NS
    cache_module.RACY_NS = 0  # the warm run answers from the file index
    try:
        with tempfile.TemporaryDirectory() as work:
            _scan_twice(Path(work), files)
    finally:
        cache_module.RACY_NS = racy


def _scan_twice(work: Path, files: dict[bytes, bytes]) -> None:
    repo = os.path.join(os.fsencode(work), b"repo")
    os.makedirs(repo)
    made = []
    for name, content in files.items():
        path = os.path.join(repo, name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "xb") as handle:
                handle.write(content)
        except OSError:  # a part already a file, a name too long...
            continue
        made.append(name)
    expected = sorted(
        escape_path(os.fsdecode(name)) for name in made if name.endswith((b".py", b".ipynb"))
    )
    for path in expected:
        assert os.path.isfile(os.path.join(repo, os.fsencode(unescape_path(path))))
    settings = ScanSettings(jobs=0, cache_path=work / "cache.sqlite")
    for run in ("cold", "warm"):
        results = list(scan(os.fsdecode(repo), settings=settings))
        write_scan(results, work / run)
        rows = list(read_csv_rows(work / run / "files.csv"))
        if expected:
            assert sorted(row["path"] for row in rows) == expected
        else:
            assert [row["status"] for row in rows] == ["empty"]
        assert rows == [_as_read(file_row(result)) for result in results]
        calls = [_as_read(row) for result in results for row in call_rows(result)]
        facts = [_as_read(row) for result in results for row in fact_rows(result)]
        assert list(read_csv_rows(work / run / "calls.csv")) == calls
        assert list(read_csv_rows(work / run / "facts.csv")) == facts
        for table, count in (("files", len(rows)), ("calls", len(calls)), ("facts", len(facts))):
            assert _csv_rows(work / run / f"{table}.csv") == count + 1, table


_TRICKY = ["=1+1", "a\r=b", "\r", "\n", "'=x", "x\n\n-y", '"q",', "a\x00b", "\t@", "\u2028=x"]
_cell = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_TRICKY),
    st.text(st.characters(blacklist_categories=["Cs"])),
    st.lists(st.sampled_from([*_TRICKY, "a", "'", "\r\n"]), max_size=6).map("".join),
)


@settings(max_examples=examples(150))
@given(st.lists(st.fixed_dictionaries({"a": _cell, "b": _cell}), max_size=5))
def test_any_cells_read_back_exactly(rows: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "t.csv"
        with csv_table(path, ["a", "b"]) as table:
            table.write_all(rows)
        assert list(read_csv_rows(path)) == [_as_read(row) for row in rows]
        assert _csv_rows(path) == len(rows) + 1
