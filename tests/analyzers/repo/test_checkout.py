"""A folder or a file of a git checkout: paths from the repository root, uncommitted changes
flagged, and git run only through the hardened runner."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from analyzers.records import FileStatus, RepoRef
from analyzers.repo import cache as cache_module
from analyzers.repo.checkout import describe_repo, layout_of
from analyzers.repo.outputs import write_scan
from analyzers.repo.scanner import ScanSettings, scan, scan_repos
from analyzers.tables import read_csv_rows
from tests.conftest import git, make_git_repo

INLINE = ScanSettings(jobs=0, use_cache=False)
CALL = "import mlflow\nmlflow.log_param('a', 1)\n"


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "checkout"
    sha = make_git_repo(
        repo,
        {"top.py": CALL, "src/train.py": CALL, "src/pkg/util.py": CALL, "src/same.py": CALL},
    )
    (repo / "src" / "train.py").write_text(CALL + "mlflow.log_metric('m', 1)\n")  # changed
    (repo / "src" / "new.py").write_text(CALL)  # untracked
    (repo / ".gitignore").write_text("ignored.py\n")
    (repo / "src" / "ignored.py").write_text(CALL)  # ignored: not in the commit either
    return repo, sha


@pytest.mark.parametrize(
    ("scanned", "expected"),
    [
        (
            ".",
            {
                "src/ignored.py": True,
                "src/new.py": True,
                "src/pkg/util.py": False,
                "src/same.py": False,
                "src/train.py": True,
                "top.py": False,
            },
        ),
        (
            "src",
            {
                "src/ignored.py": True,
                "src/new.py": True,
                "src/pkg/util.py": False,
                "src/same.py": False,
                "src/train.py": True,
            },
        ),
        ("src/pkg", {"src/pkg/util.py": False}),
        ("src/train.py", {"src/train.py": True}),
        ("src/pkg/util.py", {"src/pkg/util.py": False}),
    ],
    ids=["root", "folder", "nested-folder", "changed-file", "clean-file"],
)
def test_paths_are_from_the_repository_root_and_changes_are_flagged(
    checkout: tuple[Path, str], scanned: str, expected: dict[str, bool]
) -> None:
    repo, sha = checkout
    results = list(scan(repo / scanned, settings=INLINE))
    assert {r.path: r.dirty for r in results} == expected
    assert {(r.repo, r.commit) for r in results} == {("checkout", sha)}


def test_dirty_is_a_column_of_files_csv(checkout: tuple[Path, str], tmp_path: Path) -> None:
    repo, _ = checkout
    write_scan(scan(repo / "src" / "pkg", repo / "src" / "new.py", settings=INLINE), tmp_path)
    rows = list(read_csv_rows(tmp_path / "files.csv"))
    assert [(row["path"], row["dirty"]) for row in rows] == [
        ("src/pkg/util.py", "false"),
        ("src/new.py", "true"),
    ]


def test_outside_git_dirty_is_empty_and_paths_are_from_the_scanned_folder(tmp_path: Path) -> None:
    (tmp_path / "plain" / "sub").mkdir(parents=True)
    (tmp_path / "plain" / "sub" / "a.py").write_text(CALL)
    results = list(scan(tmp_path / "plain", settings=INLINE))
    assert [(r.path, r.commit, r.dirty) for r in results] == [("sub/a.py", "", None)]


def test_an_empty_folder_of_a_checkout_is_named_by_its_path(checkout: tuple[Path, str]) -> None:
    repo, _ = checkout
    (repo / "docs").mkdir()
    (result,) = scan(repo / "docs", settings=INLINE)
    assert (result.path, result.status, result.dirty) == ("docs", FileStatus.EMPTY, None)


def test_a_repository_before_its_first_commit_credits_nothing(tmp_path: Path) -> None:
    (tmp_path / "fresh").mkdir()
    git(tmp_path / "fresh", "init", "-q")
    (tmp_path / "fresh" / "a.py").write_text(CALL)
    (result,) = scan(tmp_path / "fresh", settings=INLINE)
    assert (result.repo, result.commit, result.dirty) == ("fresh", "", None)


def test_a_symlink_and_a_file_too_large_to_read_are_compared_too(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    make_git_repo(repo, {"big.py": CALL * 100, "other.py": CALL})
    (repo / "link.py").symlink_to("other.py")
    git(repo, "add", "link.py")
    git(repo, "commit", "-q", "-m", "link")
    settings = ScanSettings(jobs=0, use_cache=False, max_script_bytes=100)
    results = {r.path: (r.status, r.dirty) for r in scan(repo, settings=settings)}
    assert results == {
        "big.py": (FileStatus.TOO_LARGE, False),
        "link.py": (FileStatus.SYMLINK, False),
        "other.py": (FileStatus.ANALYZED, False),
    }
    (repo / "big.py").write_text(CALL * 99 + "import os\nos.getcwd()\n")  # same size, changed
    (repo / "link.py").unlink()
    (repo / "link.py").symlink_to("big.py")
    results = {r.path: (r.status, r.dirty) for r in scan(repo, settings=settings)}
    assert results["big.py"] == (FileStatus.TOO_LARGE, True)
    assert results["link.py"] == (FileStatus.SYMLINK, True)


def test_dirty_survives_the_stat_index(
    checkout: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun that reads no file (the index remembers each blob) says the same."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    repo, _ = checkout
    (repo / "src" / "plain.py").write_text("print('no tracking')\n")
    settings = ScanSettings(jobs=0, cache_path=tmp_path / "cache.sqlite")
    first = [(r.path, r.status, r.dirty) for r in scan(repo, settings=settings)]
    second = [(r.path, r.status, r.dirty) for r in scan(repo, settings=settings)]
    assert first == second
    assert ("src/plain.py", FileStatus.NO_MLFLOW, True) in second
    assert ("src/same.py", FileStatus.ANALYZED, False) in second
    indexed = sqlite3.connect(tmp_path / "cache.sqlite").execute("SELECT count(*) FROM files")
    assert indexed.fetchone()[0] == len(second)


def test_a_linked_worktree_gets_its_commit(tmp_path: Path) -> None:
    main = tmp_path / "main"
    make_git_repo(main, {"a.py": CALL})
    git(main, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "feature"))
    (tmp_path / "feature" / "b.py").write_text(CALL)
    git(tmp_path / "feature", "add", "b.py")
    git(tmp_path / "feature", "commit", "-q", "-m", "b")
    sha = git(tmp_path / "feature", "rev-parse", "HEAD")
    results = {r.path: (r.commit, r.dirty) for r in scan(tmp_path / "feature", settings=INLINE)}
    assert results == {"a.py": (sha, False), "b.py": (sha, False)}


def test_git_ignores_the_environment_and_the_users_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Git runs through the hardened runner: neither an inherited GIT_DIR nor the user's
    config (a global remote.origin.url here) can change what a checkout is said to be."""
    make_git_repo(tmp_path / "other", {"x.py": CALL})
    sha = make_git_repo(tmp_path / "checkout", {"a.py": CALL})
    config = tmp_path / "gitconfig"
    config.write_text('[remote "origin"]\n\turl = https://github.com/evil/planted.git\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "other" / ".git"))
    ref = describe_repo(tmp_path / "checkout")
    assert (ref.name, ref.commit) == ("checkout", sha)


def test_a_fifo_named_dot_git_is_never_opened(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    os.mkfifo(tmp_path / "r" / ".git")
    (tmp_path / "r" / "a.py").write_text(CALL)
    ref = describe_repo(tmp_path / "r")
    assert (ref.name, ref.commit) == ("r", "")
    assert layout_of(ref).committed is None


@pytest.mark.parametrize("commit", ["--output=/tmp/x", "unpinned", "HEAD", ""])
def test_a_commit_that_is_not_a_sha_is_never_given_to_git(
    checkout: tuple[Path, str], commit: str
) -> None:
    repo, _ = checkout
    assert layout_of(RepoRef(str(repo), "r", commit)).committed is None


def test_the_commit_compared_with_is_the_one_credited(checkout: tuple[Path, str]) -> None:
    """Files that HEAD holds unchanged differ from an older commit: they are dirty for it."""
    repo, first = checkout
    (repo / "top.py").write_text(CALL + "mlflow.end_run()\n")
    git(repo, "commit", "-q", "-am", "second")
    layout = layout_of(RepoRef(str(repo), "r", first))
    assert layout.committed is not None
    results = {r.path: r.dirty for r in scan_repos([RepoRef(str(repo), "r", first)], INLINE)}
    assert results["top.py"] is True
    assert results["src/same.py"] is False
