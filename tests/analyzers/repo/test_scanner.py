"""The scanner end to end: walking, statuses, repository identity, cache, crash isolation."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from analyzers.code.catalog import load_catalog
from analyzers.records import CallSite, FileAnalysis, FileKind, FileStatus
from analyzers.repo import cache as cache_module
from analyzers.repo.cache import AnalysisCache, blob_sha, encode
from analyzers.repo.files import Entry
from analyzers.repo.outputs import write_scan
from analyzers.repo.scanner import (
    AnalysisWorkers,
    ScanSettings,
    _finish,
    _Pending,
    describe_repo,
    scan,
)
from tests.conftest import Golden, make_git_repo
from tests.paths import CORPUS

GOLDEN = Path(__file__).parent / "golden"
INLINE = ScanSettings(jobs=0, use_cache=False)


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    """A copy of the shipped corpus outside any git checkout (so `commit` is empty)."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target, symlinks=True)
    return sorted(path for path in target.iterdir() if path.is_dir())


@pytest.mark.parametrize("table", ["calls.csv", "files.csv", "facts.csv"])
def test_corpus_scan_matches_golden_file(
    corpus: list[Path], tmp_path: Path, table: str, golden: Golden
) -> None:
    write_scan(scan(*corpus, settings=ScanSettings(jobs=2, use_cache=False)), tmp_path / "out")
    produced = (tmp_path / "out" / table).read_text(encoding="utf-8")
    golden(GOLDEN / f"corpus_{table}", produced)


def test_git_checkout_gets_github_name_and_commit(tmp_path: Path) -> None:
    sha = make_git_repo(
        tmp_path / "checkout",
        {"train.py": "import mlflow\nmlflow.autolog()\n"},
        origin="git@github.com:acme/churn-model.git",
    )
    (result,) = scan(tmp_path / "checkout", settings=INLINE)
    assert (result.repo, result.commit, result.path) == ("acme/churn-model", sha, "train.py")
    assert [c.api for c in result.calls] == ["mlflow.autolog"]


@pytest.mark.parametrize(
    ("origin", "name"),
    [
        ("https://github.com/acme/churn.git", "acme/churn"),
        ("https://github.com/acme/churn", "acme/churn"),
        ("git@github.com:acme/churn.model.git", "acme/churn.model"),
        ("https://gitlab.com/acme/churn.git", "checkout"),
        (None, "checkout"),
    ],
)
def test_repository_name_from_origin(tmp_path: Path, origin: str | None, name: str) -> None:
    make_git_repo(tmp_path / "checkout", {"a.py": ""}, origin=origin)
    assert describe_repo(tmp_path / "checkout").name == name


def test_plain_directory_has_empty_commit_and_starts_no_git(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    refs = []
    spawned = _audited_during(
        lambda: refs.append(describe_repo(tmp_path / "plain")), "subprocess.Popen"
    )
    assert refs[0].commit == ""
    assert refs[0].name == "plain"
    assert spawned == [], "no repository above: git is not asked"


def test_directory_inside_a_checkout_gets_its_commit(tmp_path: Path) -> None:
    sha = make_git_repo(tmp_path / "checkout", {"src/train.py": "import mlflow\n"})
    assert describe_repo(tmp_path / "checkout" / "src").commit == sha


def test_empty_directory_is_a_row(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (result,) = scan(tmp_path / "empty", settings=INLINE)
    assert (result.status, result.kind, result.path) == (FileStatus.EMPTY, FileKind.DIRECTORY, "")


def test_size_caps_are_configurable(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "big.py").write_text("import mlflow\n" + "x = 1\n" * 1000)
    settings = ScanSettings(jobs=0, use_cache=False, max_script_bytes=1000)
    (result,) = scan(tmp_path / "r", settings=settings)
    assert result.status is FileStatus.TOO_LARGE
    assert "1000-byte cap" in result.detail


def test_vendored_trees_are_skipped_and_said_so(tmp_path: Path) -> None:
    for directory in ("venv", "node_modules", "build", "env-with-cfg"):
        (tmp_path / "r" / directory).mkdir(parents=True)
        (tmp_path / "r" / directory / "m.py").write_text("import mlflow\nmlflow.autolog()\n")
    (tmp_path / "r" / "env-with-cfg" / "pyvenv.cfg").write_text("home = /usr\n")
    results = {r.path: r.status for r in scan(tmp_path / "r", settings=INLINE)}
    assert results == {
        name: FileStatus.VENDORED for name in ("build", "env-with-cfg", "node_modules", "venv")
    }
    included = ScanSettings(jobs=0, use_cache=False, include_vendored=True)
    assert len([r for r in scan(tmp_path / "r", settings=included) if r.calls]) == 4


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import mlflow\nmlflow.log_param('secret', 1)\n")
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "real.py").write_text("import mlflow\nmlflow.log_param('real', 1)\n")
    (repo / "inside.py").symlink_to(repo / "real.py")
    (repo / "leak.py").symlink_to(outside / "secret.py")
    (repo / "linked_dir").symlink_to(outside)
    results = {r.path: r for r in scan(repo, settings=INLINE)}
    assert {p: r.status for p, r in results.items()} == {
        "inside.py": FileStatus.SYMLINK,
        "leak.py": FileStatus.SYMLINK,
        "linked_dir": FileStatus.SYMLINK,
        "real.py": FileStatus.ANALYZED,
    }
    assert "outside the scanned root" in results["leak.py"].detail
    assert "points to real.py" in results["inside.py"].detail
    assert all("secret" not in key for r in results.values() for c in r.calls for key in c.keys)


def test_single_file_path(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text("import mlflow\nmlflow.end_run()\n")
    (result,) = scan(tmp_path / "one.py", settings=INLINE)
    assert (result.path, [c.api for c in result.calls]) == ("one.py", ["mlflow.end_run"])


def test_parallel_and_inline_scans_agree(corpus: list[Path]) -> None:
    inline = list(scan(*corpus, settings=INLINE))
    parallel = list(scan(*corpus, settings=ScanSettings(jobs=2, use_cache=False)))
    assert inline == parallel


def test_cache_is_written_and_read(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    source = b"import mlflow\nmlflow.log_param('a', 1)\n"
    (repo / "a.py").write_bytes(source)
    cache_path = tmp_path / "cache.sqlite"
    settings = ScanSettings(jobs=0, cache_path=cache_path)
    first = list(scan(repo, settings=settings))
    rows = sqlite3.connect(cache_path).execute("SELECT key FROM analysis").fetchall()
    assert [row[0].split(":")[0] for row in rows] == [blob_sha(source)]
    # Replace the cached analysis: a second scan must return it without re-analyzing.
    planted = FileAnalysis(FileStatus.ANALYZED, "planted", (CallSite(9, 9, "mlflow.x", "other"),))
    with sqlite3.connect(cache_path) as db:
        db.execute("UPDATE analysis SET value = ?", (encode(planted),))
    (second,) = scan(repo, settings=settings)
    assert first[0].detail == ""
    assert second.detail == "planted"


_AUDITED: list[tuple[str, object]] | None = None


def _record_events(event: str, args: tuple) -> None:
    if _AUDITED is not None and event in ("open", "subprocess.Popen"):
        _AUDITED.append((event, args[0]))


sys.addaudithook(_record_events)


def _audited_during(run, event: str) -> list:
    """The first argument of every `event` ("open", "subprocess.Popen") this process raised
    while `run()` ran (an audit hook, not a mock)."""
    global _AUDITED
    _AUDITED = []
    try:
        run()
        return [arg for name, arg in _AUDITED if name == event]
    finally:
        _AUDITED = None


def _opened_during(run) -> list[str]:
    return [path for path in _audited_during(run, "open") if isinstance(path, str)]


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by a test are younger than the index's 2 s safety margin."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)


def test_a_rerun_over_unchanged_files_reads_none_of_them(tmp_path: Path, settled: None) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "a.py").write_text("import mlflow\nmlflow.log_param('a', 1)\n")
    (repo / "b.py").write_text("print('no tracking here')\n")
    settings = ScanSettings(jobs=0, cache_path=tmp_path / "cache.sqlite")
    first = list(scan(repo, settings=settings))
    second: list = []
    opened = _opened_during(lambda: second.extend(scan(repo, settings=settings)))
    assert second == first
    assert [r.status for r in second] == [FileStatus.ANALYZED, FileStatus.NO_MLFLOW]
    assert not [path for path in opened if path.startswith(str(repo))]


def test_a_file_changed_in_place_is_read_again(tmp_path: Path, settled: None) -> None:
    """Same size, same inode, mtime put back: the ctime still tells the change."""
    repo = tmp_path / "r"
    repo.mkdir()
    path = repo / "a.py"
    path.write_text("import mlflow\nmlflow.log_param('a', 1)\n")
    settings = ScanSettings(jobs=0, cache_path=tmp_path / "cache.sqlite")
    (first,) = scan(repo, settings=settings)
    before = path.stat()
    with open(path, "r+") as handle:  # rewrite in place: the inode stays
        handle.write("import mlflow\nmlflow.log_param('b', 1)\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_ino) == (before.st_size, before.st_ino)
    (second,) = scan(repo, settings=settings)
    assert [c.keys for c in first.calls] == [("a",)]
    assert [c.keys for c in second.calls] == [("b",)]


def test_files_changed_within_the_safety_margin_are_not_remembered(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "a.py").write_text("import mlflow\nmlflow.end_run()\n")
    cache_path = tmp_path / "cache.sqlite"
    list(scan(repo, settings=ScanSettings(jobs=0, cache_path=cache_path)))
    db = sqlite3.connect(cache_path)
    assert db.execute("SELECT count(*) FROM analysis").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM files").fetchone() == (0,)


def test_cache_key_changes_with_catalog_version(tmp_path: Path) -> None:
    one = AnalysisCache(tmp_path / "c.sqlite", load_catalog().version)
    two = AnalysisCache(tmp_path / "c.sqlite", "another-catalog")
    assert one.key("abc", "script") != two.key("abc", "script")


def test_blob_sha_matches_git(tmp_path: Path) -> None:
    make_git_repo(tmp_path / "g", {"f.py": "print('hi')\n"})
    from tests.conftest import git

    assert git(tmp_path / "g", "rev-parse", "HEAD:f.py") == blob_sha(b"print('hi')\n")


def test_a_dying_worker_costs_no_file() -> None:
    """Kill the worker processes mid-flight: the files in flight are retried, not lost."""
    workers = AnalysisWorkers(jobs=2)
    try:
        data = b"import mlflow\n" + b"mlflow.log_param('a', 1)\n" * 3000
        entry = Entry("a.py", FileKind.SCRIPT)
        pending = [
            _Pending(entry, data=data, future=workers.submit(data, FileKind.SCRIPT))
            for _ in range(4)
        ]
        futures = [item.future for item in pending]
        for pid in list(workers._executor()._processes):
            os.kill(pid, signal.SIGKILL)
        analyses = [_finish(item, None, workers)[1] for item in pending]
    finally:
        workers.close()
    assert any(isinstance(f.exception(), BrokenProcessPool) for f in futures)
    assert all(a.status is FileStatus.ANALYZED and len(a.calls) == 3000 for a in analyses)


def test_the_window_holds_at_most_its_bytes_beyond_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are sent to the workers only while the bytes not yet answered stay within
    WINDOW_BYTES (one file alone may exceed it), whatever the count limit allows."""
    from analyzers.repo import scanner

    root = tmp_path / "repo"
    root.mkdir()
    for number in range(12):
        body = f"import mlflow\nmlflow.log_param('p{number}', 1)\n" + "#" * 100 * number
        (root / f"m{number:02}.py").write_text(body, encoding="utf-8")
    monkeypatch.setattr(scanner, "WINDOW_BYTES", 400)
    outstanding: list[int] = []
    held: list[int] = []
    submit, finish = AnalysisWorkers.submit, scanner._finish

    def counting_submit(self: AnalysisWorkers, data: bytes, kind: FileKind) -> Future[FileAnalysis]:
        held.append(len(data))
        outstanding.append(sum(held))
        return submit(self, data, kind)

    def counting_finish(
        pending: _Pending, cache: AnalysisCache | None, workers: AnalysisWorkers
    ) -> tuple[Entry, FileAnalysis, str | None]:
        if pending.future is not None:
            held.remove(len(pending.data))
        return finish(pending, cache, workers)

    monkeypatch.setattr(AnalysisWorkers, "submit", counting_submit)
    monkeypatch.setattr(scanner, "_finish", counting_finish)
    settings = ScanSettings(jobs=1, use_cache=False, repository_pass=False)
    results = list(scan(root, settings=settings))
    assert [r.calls[0].keys for r in results] == [(f"p{n}",) for n in range(12)]
    largest = max(len(path.read_bytes()) for path in root.iterdir())
    assert len(outstanding) == 12
    assert max(outstanding) <= 400 + largest
