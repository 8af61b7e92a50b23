"""Files that used to stop a scan: each now ends as a row and the scan goes on."""

from __future__ import annotations

import csv
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from analyzers.records import FileKind, FileStatus, RepoRef
from analyzers.repo import cache as cache_module
from analyzers.repo.cache import blob_sha
from analyzers.repo.content import blob_rows
from analyzers.repo.files import unescape_path
from analyzers.repo.outputs import write_scan
from analyzers.repo.scanner import AnalysisWorkers, ScanSettings, scan
from analyzers.repo.signals import signal_rows
from analyzers.tables import restore
from tests.conftest import git, make_git_repo

CALL = b"import mlflow\nmlflow.log_param('a', 1)\n"
# Analysed in about 10 s, most of it in libcst's native parser: a worker busy in native code,
# which no signal it could catch would stop.
SLOW = b"import mlflow\n" + b"".join(b"value_%d = %d * 2\n" % (i, i) for i in range(80_000))
BUDGET = 2.0

HOSTILE_NAMES = [
    # bytes of the name, what every table and the cache hold
    (b"caf\xe9.py", "caf\\xe9.py"),
    (b"\xff.ipynb", "\\xff.ipynb"),
    (b"back\\slash.py", "back\\\\slash.py"),
    (b"cr\rkey.py", "cr\rkey.py"),
    (b"lf\nkey.py", "lf\nkey.py"),
    (b"=cmd|' /C calc'!A0.py", "=cmd|' /C calc'!A0.py"),
    (b"d\xe9p\xf4t/train.py", "d\\xe9p\\xf4t/train.py"),
]


def _write(root: Path, name: bytes, data: bytes) -> None:
    path = os.path.join(os.fsencode(root), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def _notebook() -> bytes:
    return b'{"cells": [{"cell_type": "code", "source": "import mlflow\\nmlflow.autolog()"}]}'


def _rows(path: Path) -> list[list[str]]:
    """The table's rows as the csv module reads them, formula guards undone."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [[restore(cell) for cell in row] for row in csv.reader(handle)]


def test_names_that_no_table_could_hold_are_escaped_in_every_table_and_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    repo = tmp_path / "repo"
    for name, _ in HOSTILE_NAMES:
        _write(repo, name, _notebook() if name.endswith(b".ipynb") else CALL)
    make_git_repo(repo, {})  # commits every file as it is
    settings = ScanSettings(jobs=0, cache_path=tmp_path / "cache.sqlite")
    for run in ("cold", "warm"):  # the warm run answers from the file index
        out = tmp_path / run
        write_scan(scan(repo, settings=settings), out)
        files = _rows(out / "files.csv")
        expected = sorted(escaped for _, escaped in HOSTILE_NAMES)
        assert sorted(row[2] for row in files[1:]) == expected
        assert {(row[4], row[6]) for row in files[1:]} == {("analyzed", "false")}, run
        calls = _rows(out / "calls.csv")
        assert sorted(row[2] for row in calls[1:]) == expected
    indexed = sqlite3.connect(tmp_path / "cache.sqlite").execute("SELECT path FROM files")
    prefix = f"{repo}/"
    assert sorted(row[0].removeprefix(prefix) for row in indexed) == sorted(expected)
    for _, escaped in HOSTILE_NAMES:
        assert os.path.isfile(os.path.join(repo, unescape_path(escaped)))


def test_a_fifo_named_py_is_a_row_and_the_scan_does_not_block(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    os.mkfifo(repo / "pipe.py")
    _write(repo, b"real.py", CALL)
    results: list = []
    thread = threading.Thread(
        target=lambda: results.extend(scan(repo, settings=ScanSettings(jobs=0))), daemon=True
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the scan opened the FIFO and blocked"
    assert [(r.path, r.kind, r.status) for r in results] == [
        ("pipe.py", FileKind.SCRIPT, FileStatus.NOT_REGULAR),
        ("real.py", FileKind.SCRIPT, FileStatus.ANALYZED),
    ]


def test_a_file_over_its_budget_gets_a_timeout_row_and_the_run_goes_on(tmp_path: Path) -> None:
    """The files in flight beside the stuck one (killed with it) are analysed again."""
    repo = tmp_path / "repo"
    for name in ("a", "slow", *(f"z{i}" for i in range(6))):
        _write(repo, f"{name}.py".encode(), SLOW if name == "slow" else CALL)
    settings = ScanSettings(jobs=2, use_cache=False, file_timeout=BUDGET)
    results = {r.path: r for r in scan(repo, settings=settings)}
    assert results["slow.py"].status is FileStatus.TIMEOUT
    assert f"time budget of {BUDGET:g} s" in results["slow.py"].detail
    others = [r for path, r in results.items() if path != "slow.py"]
    assert len(others) == 7
    assert all(r.status is FileStatus.ANALYZED and len(r.calls) == 1 for r in others)


def test_the_budget_holds_for_a_file_analyzed_alone_after_a_crash() -> None:
    workers = AnalysisWorkers(jobs=1, file_timeout=BUDGET)
    try:
        assert workers.run_isolated(SLOW, FileKind.SCRIPT).status is FileStatus.TIMEOUT
        assert workers.run_isolated(CALL, FileKind.SCRIPT).status is FileStatus.ANALYZED
    finally:
        workers.close()


def test_an_uncommitted_file_with_a_name_git_quotes_is_compared(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, b"caf\xe9.py", CALL)
    make_git_repo(repo, {})
    _write(repo, b"caf\xe9.py", CALL + b"mlflow.end_run()\n")
    _write(repo, b"n\xe9w.py", CALL)
    git(repo, "status")  # git itself is fine with both
    results = {r.path: r.dirty for r in scan(repo, settings=ScanSettings(jobs=0))}
    assert results == {"caf\\xe9.py": True, "n\\xe9w.py": True}


@pytest.mark.parametrize("in_git", [True, False], ids=["git-tree", "disk"])
def test_signals_and_blobs_hold_the_same_escaped_paths(tmp_path: Path, in_git: bool) -> None:
    """signals.csv and blobs.csv reach paths through git's tree or the same walk: a name that
    is not UTF-8 is escaped as in files.csv, and the file is still read."""
    repo = tmp_path / "repo"
    _write(repo, b"d\xe9p\xf4t/requirements.txt", b"mlflow==2.9.2\n")
    _write(repo, b"d\xe9p\xf4t/train.py", CALL)
    if in_git:
        make_git_repo(repo, {})
    else:
        os.mkfifo(repo / "pipe.py")  # never opened: it would block
    ref = RepoRef(str(repo), "r", "")
    files = {r.path for r in scan(repo, settings=ScanSettings(jobs=0, use_cache=False))}
    assert "d\\xe9p\\xf4t/train.py" in files
    signals = {(row["path"], row["value"]) for row in signal_rows(ref)}
    assert ("d\\xe9p\\xf4t/requirements.txt", "==2.9.2") in signals
    blobs = {row["path"]: row["blob"] for row in blob_rows(ref)}
    assert blobs["d\\xe9p\\xf4t/train.py"] == blob_sha(CALL)
