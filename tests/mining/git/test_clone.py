"""`mlflow-miner clone` against real git repositories served over file:// (and, for the timeout,
a TCP server on 127.0.0.1 that never answers). No mocks: every test runs git."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzers.repo.gitsafe import scrub
from mining.cli import main
from mining.git.checkouts import cache_key, checkout_path, sweep_partials
from mining.git.clone import (
    REPOS_COLUMNS,
    CloneRequest,
    CloneResult,
    CloneSettings,
    CloneStatus,
    clone_all,
)
from mining.git.fetch import classify_failure, one_line
from tests.paths import ROOT

FIXED_ENV = {
    "GIT_AUTHOR_NAME": "Fixture",
    "GIT_AUTHOR_EMAIL": "fixture@example.org",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "Fixture",
    "GIT_COMMITTER_EMAIL": "fixture@example.org",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}
FILE_ONLY = ("https", "file")


def git(
    *args: str, cwd: Path, env: dict[str, str] | None = None, input: bytes | None = None
) -> str:
    """Run the fixture's own git (not the code under test) with a deterministic identity."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        input=input,
        env={**base, **FIXED_ENV, **(env or {})},
    )
    return done.stdout.decode().strip()


def commit_files(repo: Path, files: dict[str, bytes | str], message: str) -> str:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    git("add", "--", *files, cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


def new_repo(path: Path, serve_filter: bool = True) -> Path:
    path.mkdir(parents=True)
    git("init", "-q", cwd=path)
    if serve_filter:  # what GitHub allows, and what file:// needs to be told
        git("config", "uploadpack.allowFilter", "true", cwd=path)
        git("config", "uploadpack.allowReachableSHA1InWant", "true", cwd=path)
    return path


def url(path: Path) -> str:
    return path.resolve().as_uri()


NOTEBOOK = '{"cells": [{"cell_type": "code", "source": ["import mlflow"]}], "nbformat": 4}'
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 12\n"
WANTED = {
    "train.py": "print('OLD')\n",
    "src/pkg/model.py": "import mlflow\n",
    "notebooks/explore.ipynb": NOTEBOOK,
    "MLproject": "name: demo\n",
    "conda.yaml": "name: demo\n",
    "python_env.yaml": "python: 3.11\n",
    "requirements.txt": "mlflow\n",
    "requirements-dev.txt": "pytest\n",
    "pyproject.toml": "[project]\nname='demo'\n",
    "setup.cfg": "[metadata]\n",
    "Dockerfile": "FROM python:3.11\n",
    "docker-compose.yml": "services: {}\n",
    ".github/workflows/ci.yml": "on: push\n",
    "dvc.yaml": "stages: {}\n",
    "data.dvc": "outs: []\n",
    ".env": "MLFLOW_TRACKING_URI=http://localhost\n",
    "README.md": "# demo\n",  # the root README only: its headings give the purpose
}
UNWANTED = ("data/big.bin", "data/table.csv", "docs/README.md", "images/plot.png")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A served repository whose pinned commit is not its head, with a hostile payload."""
    root = tmp_path_factory.mktemp("world")
    secret = root / "secret.txt"
    secret.write_text("TOP-SECRET\n")
    submodule = new_repo(root / "submodule")
    commit_files(submodule, {"inside_submodule.py": "x = 1\n"}, "sub")

    repo = new_repo(root / "served")
    rng = random.Random(7)
    files: dict[str, bytes | str] = dict(WANTED)
    files.update(
        {
            "data/big.bin": rng.randbytes(2_000_000),
            "data/table.csv": "a,b\n" * 5000,
            "docs/README.md": "# docs\n",
            "images/plot.png": rng.randbytes(50_000),
            ".gitattributes": "notebooks/lfs.ipynb filter=lfs diff=lfs merge=lfs -text\n",
            "notebooks/lfs.ipynb": LFS_POINTER,
            ".gitmodules": f'[submodule "ext"]\n\tpath = extern/lib.py\n\turl = {url(submodule)}\n',
        }
    )
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    os.symlink("../../../../../../../../etc/passwd", repo / "passwd_link.py")
    os.symlink(str(secret), repo / "secret_link.py")
    git("add", "-A", cwd=repo)
    sub_head = git("rev-parse", "HEAD", cwd=submodule)
    git("update-index", "--add", "--cacheinfo", f"160000,{sub_head},extern/lib.py", cwd=repo)
    git("commit", "-q", "-m", "pinned", cwd=repo)
    pinned = git("rev-parse", "HEAD", cwd=repo)
    head = commit_files(repo, {"train.py": "print('NEW')\n"}, "later")
    big_blob = git("rev-parse", f"{pinned}:data/big.bin", cwd=repo)
    return {
        "root": root,
        "repo": repo,
        "pinned": pinned,
        "head": head,
        "secret": secret,
        "big_blob": big_blob,
        "submodule": submodule,
    }


def settings_for(tmp_path: Path, **overrides: object) -> CloneSettings:
    values: dict[str, object] = {
        "cache": tmp_path / "cache",
        "jobs": 2,
        "timeout": 30.0,
        "protocols": FILE_ONLY,
    }
    values.update(overrides)
    return CloneSettings(**values)  # type: ignore[arg-type]


def clone_one(request: CloneRequest, settings: CloneSettings) -> CloneResult:
    (result,) = list(clone_all([request], settings))
    return result


def request_for(world: dict[str, object], name: str = "acme/demo", **kw: object) -> CloneRequest:
    values: dict[str, object] = {
        "full_name": name,
        "clone_url": url(world["repo"]),  # type: ignore[arg-type]
        "commit": world["pinned"],
    }
    values.update(kw)
    return CloneRequest(**values)  # type: ignore[arg-type]


# --- the checkout ---------------------------------------------------------------------------


def test_clones_pinned_commit_not_head(world: dict[str, object], tmp_path: Path) -> None:
    result = clone_one(request_for(world), settings_for(tmp_path))
    assert result.status is CloneStatus.CLONED, result
    assert result.strategy == "pinned-sha+blobless"
    checkout = Path(result.path)
    assert checkout == tmp_path / "cache" / "acme__demo" / str(world["pinned"])
    assert git("rev-parse", "HEAD", cwd=checkout) == world["pinned"] != world["head"]
    assert (checkout / "train.py").read_text() == "print('OLD')\n"
    assert not (checkout / ".git" / "shallow").exists() or (
        checkout / ".git" / "shallow"
    ).read_text().split() == [world["pinned"]]


def test_sparse_checkout_fetches_only_what_analyses_read(
    world: dict[str, object], tmp_path: Path
) -> None:
    result = clone_one(request_for(world), settings_for(tmp_path))
    checkout = Path(result.path)
    for name, content in WANTED.items():
        assert (checkout / name).read_text() == content, name
    for name in UNWANTED:
        assert not (checkout / name).exists(), name
    # The excluded blobs were never transferred: rev-list reports them missing (and, unlike
    # cat-file, does not lazily fetch them).
    listing = git("rev-list", "--objects", "--missing=print", "HEAD", cwd=checkout)
    assert f"?{world['big_blob']}" in listing.split()
    assert result.bytes < 100_000  # data/big.bin alone is 2 MB of random bytes
    assert result.bytes == pytest.approx(
        sum(f.stat().st_size for f in (checkout / ".git" / "objects").rglob("*") if f.is_file())
    )


def test_nothing_from_the_repository_or_environment_runs(
    world: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    hook = f"#!/bin/sh\ntouch {markers}/hook-ran\n"
    template = tmp_path / "evil-template"
    hooks = tmp_path / "evil-hooks"
    for directory in (template / "hooks", hooks):
        directory.mkdir(parents=True)
        for name in ("post-checkout", "reference-transaction", "post-index-change"):
            (directory / name).write_text(hook)
            (directory / name).chmod(0o755)
    smudge = f"touch {markers}/smudge-ran; cat"
    home = tmp_path / "evil-home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        f'[core]\n\thooksPath = {hooks}\n[filter "lfs"]\n\tsmudge = {smudge}\n\trequired = true\n'
        "[submodule]\n\trecurse = true\n[core]\n\tsymlinks = true\n"
    )
    someone_elses_repo = new_repo(tmp_path / "unrelated")
    hostile = {
        "HOME": str(home),
        "GIT_TEMPLATE_DIR": str(template),
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "filter.lfs.smudge",
        "GIT_CONFIG_VALUE_0": smudge,
        "GIT_CONFIG_KEY_1": "core.hooksPath",
        "GIT_CONFIG_VALUE_1": str(hooks),
        "GIT_DIR": str(someone_elses_repo / ".git"),  # as when run from inside a git hook
    }
    # Control: the trap is real. A plain clone in this environment runs both hook and filter.
    control_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    control_env.update({**hostile, "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")})
    del control_env["GIT_DIR"]
    subprocess.run(
        [
            "git",
            "-c",
            "protocol.file.allow=always",
            "clone",
            "-q",
            "--recurse-submodules",
            url(world["repo"]),
            str(tmp_path / "control"),
        ],  # type: ignore[arg-type]
        check=True,
        env=control_env,
        capture_output=True,
    )
    assert {p.name for p in markers.iterdir()} == {"hook-ran", "smudge-ran"}
    assert (tmp_path / "control" / "extern" / "lib.py" / "inside_submodule.py").exists()
    for marker in markers.iterdir():
        marker.unlink()

    for key, value in hostile.items():
        monkeypatch.setenv(key, value)
    result = clone_one(request_for(world), settings_for(tmp_path))
    assert result.status is CloneStatus.CLONED, result
    checkout = Path(result.path)
    assert list(markers.iterdir()) == []
    assert sorted(p.name for p in (checkout / ".git").iterdir() if p.name == "hooks") == []
    # LFS: the pointer stays a pointer.
    assert (checkout / "notebooks" / "lfs.ipynb").read_text() == LFS_POINTER
    # Submodule: not cloned, not checked out.
    assert not (checkout / ".git" / "modules").exists()
    assert not list(checkout.rglob("inside_submodule.py"))
    # Symlinks: plain files holding the link text; nothing is dereferenced.
    for name, target in (
        ("passwd_link.py", "../../../../../../../../etc/passwd"),
        ("secret_link.py", str(world["secret"])),
    ):
        link = checkout / name
        assert not link.is_symlink()
        assert link.is_file()
        assert link.read_text() == target
    assert "TOP-SECRET" not in "".join(
        p.read_text(errors="replace") for p in checkout.rglob("*") if p.is_file()
    )
    assert git("rev-parse", "--git-dir", cwd=someone_elses_repo) == ".git"
    assert git("rev-list", "--all", cwd=someone_elses_repo) == ""


# --- failures -------------------------------------------------------------------------------


def test_missing_repository_is_not_found(world: dict[str, object], tmp_path: Path) -> None:
    result = clone_one(
        request_for(world, clone_url=url(tmp_path / "deleted")), settings_for(tmp_path)
    )
    assert result.status is CloneStatus.NOT_FOUND
    assert "does not appear to be a git repository" in result.detail
    assert result.path == ""
    assert not (tmp_path / "cache" / "acme__demo").exists()


def test_credentials_never_reach_the_detail(world: dict[str, object], tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on: refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    request = request_for(world, clone_url=f"https://user:hunter2@127.0.0.1:{port}/x/y.git")
    result = clone_one(request, settings_for(tmp_path))
    assert result.status is CloneStatus.ERROR
    assert "hunter2" not in result.detail
    assert "\n" not in result.detail


@pytest.mark.parametrize(
    ("row", "status", "detail"),
    [
        ({"commit": ""}, CloneStatus.UNPINNED, "no pinned commit"),
        ({"commit": "", "note": "HTTP 409: empty"}, CloneStatus.UNPINNED, "HTTP 409: empty"),
        ({"commit": "abc123"}, CloneStatus.ERROR, "not a full hex SHA"),
        ({"clone_url": "ext::sh -c touch% /tmp/pwned"}, CloneStatus.ERROR, "not a plain"),
        ({"clone_url": "-uhttps://x"}, CloneStatus.ERROR, "not a plain"),
        ({"clone_url": "ssh://git@github.com/a/b"}, CloneStatus.ERROR, "'ssh' not allowed"),
        ({"full_name": ""}, CloneStatus.ERROR, "no full_name"),
    ],
)
def test_invalid_rows_are_errors_without_network(
    world: dict[str, object], tmp_path: Path, row: dict[str, str], status: CloneStatus, detail: str
) -> None:
    result = clone_one(request_for(world, **row), settings_for(tmp_path))
    assert result.status is status
    assert detail in result.detail
    assert result.strategy == ""


def test_file_protocol_needs_to_be_allowed(world: dict[str, object], tmp_path: Path) -> None:
    result = clone_one(request_for(world), settings_for(tmp_path, protocols=("https",)))
    assert (result.status, result.detail) == (
        CloneStatus.ERROR,
        "protocol 'file' not allowed (allowed: https)",
    )


def test_too_large_by_dataset_size(world: dict[str, object], tmp_path: Path) -> None:
    result = clone_one(request_for(world, size_kb=5 * 1024), settings_for(tmp_path, max_size_mb=1))
    assert result.status is CloneStatus.TOO_LARGE
    assert result.strategy == ""
    assert not (tmp_path / "cache" / "acme__demo").exists()


def test_too_large_by_fetched_bytes(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "fat")
    sha = commit_files(repo, {"weights.py": random.Random(1).randbytes(300_000).hex()}, "fat")
    request = CloneRequest("acme/fat", url(repo), sha, size_kb=1)
    result = clone_one(request, settings_for(tmp_path, max_size_mb=0.1))
    assert result.status is CloneStatus.TOO_LARGE, result
    assert not list((tmp_path / "cache").rglob("weights.py"))


# A run of one byte: megabytes written, a few kilobytes in the pack (a "zip bomb" in a .py).
BOMB = b"x = 0\n" + b"#" * 5_000_000 + b"\n"


def test_a_file_over_the_per_file_cap_is_never_written(tmp_path: Path) -> None:
    """The fetch is small, so only the sizes of the blobs, read before the checkout, can stop
    the write: the big files are left out, named in the detail and recorded with the
    checkout; the rest is checked out; a larger cap brings them back."""
    repo = new_repo(tmp_path / "bomb")
    # Every character a sparse pattern must escape, and a trailing space (Dockerfile.*).
    odd, spaced = "odd [x]*?\\ name.py", "Dockerfile.odd "
    files = {"bomb.py": BOMB, odd: BOMB, spaced: BOMB, "train.py": "import mlflow\n"}
    sha = commit_files(repo, {**files, "big.md": BOMB}, "bomb")
    request = CloneRequest("acme/bomb", url(repo), sha, size_kb=1)
    result = clone_one(request, settings_for(tmp_path, max_file_mb=1, max_size_mb=2))
    assert result.status is CloneStatus.CLONED, result
    assert [(f.path, f.size) for f in result.left_out] == [
        (spaced, len(BOMB)),
        ("bomb.py", len(BOMB)),
        (odd, len(BOMB)),
    ]
    assert result.detail.startswith("left out 3 file(s) over 1 MB, the rest analysed: Dockerfile")
    checkout = Path(result.path)
    written = sorted(p.name for p in checkout.iterdir() if p.name != ".git")
    assert written == ["train.py"]
    assert result.bytes < 200_000  # the blobs travelled compressed
    cached = clone_one(request, settings_for(tmp_path, max_file_mb=1, max_size_mb=2))
    assert (cached.status, cached.left_out, cached.detail) == (
        CloneStatus.CACHED,
        result.left_out,
        result.detail,
    )
    bigger = clone_one(request, settings_for(tmp_path, max_file_mb=10, max_size_mb=20))
    assert (bigger.status, bigger.strategy, bigger.left_out) == (
        CloneStatus.CLONED,
        "resparse",
        (),
    )
    assert {(checkout / name).stat().st_size for name in (spaced, "bomb.py", odd)} == {len(BOMB)}


def test_blobs_the_server_cannot_send_are_left_out_as_unreadable(tmp_path: Path) -> None:
    """A served repository with objects removed: the fetch of the checkout's blobs fails, is
    halved until the missing blobs are found, and only their files are left out."""
    repo = new_repo(tmp_path / "damaged")
    files = {f"m{i}.py": f"x = {i}\n" for i in range(9)}
    files.update({"notebooks/lost.ipynb": NOTEBOOK, "requirements.txt": "mlflow\n"})
    sha = commit_files(repo, files, "damaged")
    for path in ("m4.py", "notebooks/lost.ipynb"):
        blob = git("rev-parse", f"HEAD:{path}", cwd=repo)
        (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    request = CloneRequest("acme/damaged", url(repo), sha, size_kb=1)
    result = clone_one(request, settings_for(tmp_path))
    assert result.status is CloneStatus.CLONED, result
    assert [(f.path, f.unreadable) for f in result.left_out] == [
        ("m4.py", True),
        ("notebooks/lost.ipynb", True),
    ]
    assert result.detail == (
        "left out 2 file(s) the server could not send, the rest analysed: m4.py, "
        "notebooks/lost.ipynb"
    )
    checkout = Path(result.path)
    written = sorted(p.relative_to(checkout).as_posix() for p in checkout.rglob("*") if p.is_file())
    written = [name for name in written if not name.startswith(".git/")]
    assert written == sorted({*files} - {"m4.py", "notebooks/lost.ipynb"})
    cached = clone_one(request, settings_for(tmp_path))
    assert (cached.status, cached.left_out) == (CloneStatus.CACHED, result.left_out)


def test_a_failure_that_is_not_a_missing_object_still_fails_the_clone(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "gone-later")
    sha = commit_files(repo, {"train.py": "import mlflow\n"}, "one")
    request = CloneRequest("acme/gone", url(repo), sha, size_kb=1)
    shutil.rmtree(repo)
    result = clone_one(request, settings_for(tmp_path))
    assert result.status is CloneStatus.NOT_FOUND
    assert result.detail.startswith("fatal:")


@pytest.mark.parametrize(
    ("files", "detail"),
    [
        pytest.param(
            {f"m{i}.py": "#" * 400_000 for i in range(4)},
            "the files to check out hold 1.6 MB, over 1.0 MB",
            id="many-files-over-the-repository-cap",
        ),
        pytest.param(
            {"weird.py/inside.txt": BOMB, "a.py": "import mlflow\n"},
            "weird.py/inside.txt is over the per-file cap and cannot be left out",
            id="inside-a-directory-the-patterns-match",
        ),
    ],
)
def test_what_a_checkout_would_write_is_bounded(
    tmp_path: Path, files: dict[str, str | bytes], detail: str
) -> None:
    repo = new_repo(tmp_path / "many")
    sha = commit_files(repo, files, "many")
    result = clone_one(
        CloneRequest("acme/many", url(repo), sha, size_kb=1),
        settings_for(tmp_path, max_file_mb=1, max_size_mb=1),
    )
    assert (result.status, result.detail) == (CloneStatus.TOO_LARGE, detail)
    assert not (tmp_path / "cache" / "acme__many").exists()  # nothing written, nothing kept


def test_timeout_kills_a_hanging_fetch(
    world: dict[str, object], tmp_path: Path, silent_server: int
) -> None:
    request = request_for(world, clone_url=f"git://127.0.0.1:{silent_server}/acme/demo")
    result = clone_one(request, settings_for(tmp_path, timeout=1.0, protocols=("https", "git")))
    assert (result.status, result.detail) == (CloneStatus.TIMEOUT, "no result within 1s")
    assert not (tmp_path / "cache" / "acme__demo").exists()


@pytest.mark.parametrize(
    ("message", "status"),
    [
        (
            "remote: Repository not found.\nfatal: repository 'https://github.com/a/b/' not found",
            CloneStatus.NOT_FOUND,
        ),
        (
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
            CloneStatus.NOT_FOUND,
        ),
        (
            "remote: Invalid username or password.\nfatal: Authentication failed for 'https://x/'",
            CloneStatus.NOT_FOUND,
        ),
        (
            "remote: Repository unavailable due to DMCA takedown.\nfatal: unable to access "
            "'https://github.com/a/b/': The requested URL returned error: 451",
            CloneStatus.UNAVAILABLE,
        ),
        (
            "remote: Access to this repository has been disabled by GitHub Staff.",
            CloneStatus.UNAVAILABLE,
        ),
        ("fatal: unable to access 'https://x/': Could not resolve host: x", CloneStatus.ERROR),
    ],
)
def test_classify_failure(message: str, status: CloneStatus) -> None:
    assert classify_failure(message) is status


def test_one_line_scrubs_credentials() -> None:
    message = (
        "warning: redirecting\nfatal: unable to access 'https://bob:s3cr3t@host/r.git/': "
        "error ghp_abcdefghijklmnopqrstuvwxyz0123\nfatal: second"
    )
    line = one_line(message)
    assert line == "fatal: unable to access 'https://***@host/r.git/': error ***"
    assert scrub("http://tok@h/x and git://a:b@c/d") == "http://***@h/x and git://***@c/d"


# --- fallback when the server refuses the SHA -----------------------------------------------


def fast_history(repo: Path, commits: int) -> list[str]:
    """`commits` commits on main, one file changing, written in one go with git fast-import."""
    stream = []
    for i in range(commits):
        body = f"v = {i}\n".encode()
        stream.append(
            b"commit refs/heads/main\nmark :%d\ncommitter F <f@x> %d +0000\n"
            b"data 2\nc\n" % (i + 1, 1_700_000_000 + i)
        )
        if i:
            stream.append(b"from :%d\n" % i)
        stream.append(b"M 100644 inline train.py\ndata %d\n%s\n" % (len(body), body))
    git("fast-import", "--quiet", cwd=repo, input=b"".join(stream))
    return git("rev-list", "--reverse", "main", cwd=repo).split()


@pytest.mark.parametrize(
    ("depth_from_head", "strategy"),
    [
        (3, "branch-deepen+full-blobs"),
        (150, "branch-deepen+full-blobs"),
    ],
)
def test_fallback_when_server_refuses_unadvertised_sha(
    tmp_path: Path, depth_from_head: int, strategy: str
) -> None:
    repo = new_repo(tmp_path / "old-server", serve_filter=False)
    history = fast_history(repo, 200)
    pinned = history[-1 - depth_from_head]
    request = CloneRequest("acme/old", url(repo), pinned, default_branch="main")
    result = clone_one(request, settings_for(tmp_path, protocol_version=0))
    assert (result.status, result.strategy) == (CloneStatus.CLONED, strategy), result
    assert git("rev-parse", "HEAD", cwd=Path(result.path)) == pinned
    assert (Path(result.path) / "train.py").read_text() == f"v = {200 - 1 - depth_from_head}\n"


def test_commit_gone_from_server_is_an_error(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "rewritten", serve_filter=False)
    fast_history(repo, 5)
    missing = "1234567890abcdef1234567890abcdef12345678"
    result = clone_one(
        CloneRequest("acme/rewritten", url(repo), missing, default_branch="main"),
        settings_for(tmp_path, protocol_version=0),
    )
    assert (result.status, result.strategy) == (CloneStatus.ERROR, "all-refs")
    assert "not on the server" in result.detail


# --- the cache ------------------------------------------------------------------------------


def test_rerun_is_served_from_the_cache_without_git(
    world: dict[str, object], tmp_path: Path
) -> None:
    source = tmp_path / "copy"
    shutil.copytree(world["repo"], source, symlinks=True)  # type: ignore[arg-type]
    request = request_for(world, clone_url=url(source))
    first = clone_one(request, settings_for(tmp_path))
    shutil.rmtree(source)  # any fetch now would fail
    second = clone_one(request, settings_for(tmp_path))
    assert first.status is CloneStatus.CLONED
    assert (second.status, second.path, second.bytes, second.strategy) == (
        CloneStatus.CACHED,
        first.path,
        0,
        "cache",
    )


def test_changed_patterns_resparse_the_cached_checkout(
    world: dict[str, object], tmp_path: Path
) -> None:
    first = clone_one(request_for(world), settings_for(tmp_path, patterns=("*.py",)))
    assert not (Path(first.path) / "MLproject").exists()
    second = clone_one(request_for(world), settings_for(tmp_path))
    assert (second.status, second.strategy, second.path) == (
        CloneStatus.CLONED,
        "resparse",
        first.path,
    )
    assert (Path(second.path) / "MLproject").read_text() == "name: demo\n"
    assert 0 < second.bytes < 20_000


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_are_not_trusted_and_are_swept(world: dict[str, object], tmp_path: Path) -> None:
    target = checkout_path(tmp_path / "cache", "acme/demo", str(world["pinned"]))
    leftover = target.with_name(f"{target.name}.partial-{dead_pid()}-0")
    (leftover / ".git").mkdir(parents=True)
    (leftover / ".git" / "HEAD").write_text(f"{world['pinned']}\n")
    # A directory at the final place that is not what we would have published.
    (target / ".git").mkdir(parents=True)
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    live = target.with_name(f"{target.name}.partial-{os.getppid()}-0")
    live.mkdir()

    result = clone_one(request_for(world), settings_for(tmp_path))
    assert result.status is CloneStatus.CLONED
    assert not leftover.exists()
    assert live.exists()  # another live process may still be working there
    assert git("rev-parse", "HEAD", cwd=target) == world["pinned"]
    assert sweep_partials(tmp_path / "cache") == 0


def fetching_in(folder: Path) -> list[int]:
    """Live `git fetch` processes working inside `folder` (found through /proc)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_bytes().rpartition(b")")[2].split()[0]
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if cwd.startswith(str(folder.resolve())) and state != b"Z" and b"fetch" in command:
            pids.append(int(entry.name))
    return pids


def test_killed_run_leaves_nothing_a_rerun_trusts(
    world: dict[str, object], tmp_path: Path, silent_server: int
) -> None:
    dataset = tmp_path / "hang.csv"
    dataset.write_text(
        "full_name,clone_url,commit\n"
        f"acme/demo,git://127.0.0.1:{silent_server}/demo,{world['pinned']}\n"
    )
    cache = tmp_path / "cache"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from mining.cli import main; main()",
            "clone",
            str(dataset),
            "--cache",
            str(cache),
            "--allow-protocol",
            "git",
            "--repos-csv",
            str(tmp_path / "repos.csv"),
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not fetching_in(cache) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fetching_in(cache), "the clone never started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Its git fetch dies with it, instead of writing on into the partial checkout.
    deadline = time.monotonic() + 10
    while fetching_in(cache) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = fetching_in(cache)
    for pid in survivors:  # leave nothing running, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert not survivors
    target = checkout_path(cache, "acme/demo", str(world["pinned"]))
    assert not target.exists()
    assert not (tmp_path / "repos.csv").exists()

    result = clone_one(request_for(world), settings_for(tmp_path))
    assert result.status is CloneStatus.CLONED
    assert [p.name for p in target.parent.iterdir()] == [target.name]


@pytest.mark.parametrize(
    "name",
    [
        "../../evil",
        "a/b/../../c",
        "..",
        "/etc/passwd",
        "owner/..",
        "x" * 300,
        "ünï/cødé",
        "a/b/c",
        "CON/nul",
        "owner/name\x00",
        ".hidden/-rf",
    ],
)
def test_hostile_names_stay_inside_the_cache(
    world: dict[str, object], tmp_path: Path, name: str
) -> None:
    cache = tmp_path / "cache"
    result = clone_one(request_for(world, name=name), settings_for(tmp_path))
    assert result.status is CloneStatus.CLONED, result
    path = Path(result.path).resolve()
    assert path.parent.parent == cache.resolve()
    assert len(path.parent.name) <= 100
    assert path.parent.name not in (".", "..")
    assert not path.parent.name.startswith(("-", "."))


def test_planted_symlink_in_the_cache_is_not_followed(
    world: dict[str, object], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / str(world["pinned"])).mkdir(parents=True)
    (outside / str(world["pinned"]) / "keep.txt").write_text("mine")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "acme__demo").symlink_to(outside, target_is_directory=True)
    result = clone_one(request_for(world), settings_for(tmp_path))
    assert (result.status, result.detail) == (
        CloneStatus.ERROR,
        "repository name escapes the cache: 'acme/demo'",
    )
    assert [p.name for p in outside.rglob("*")] == [str(world["pinned"]), "keep.txt"]


def test_cache_keys_are_plain_for_github_names_and_distinct_otherwise() -> None:
    assert cache_key("mlflow/mlflow") == "mlflow__mlflow"
    assert cache_key("octo-org/.github") == "octo-org__.github"
    names = ["a/b", "a_/b", "a/_b", "../a/b", "a/b/..", "A/B", "ünï/cødé", "uni/code"]
    assert len({cache_key(n) for n in names}) == len(names)


# --- git processes per clone ----------------------------------------------------------------


def git_commands(log: Path) -> list[str]:
    """The git subcommands a wrapper on PATH logged, one per process the code under test
    started (the `-c key=value` overrides before them dropped)."""
    commands = []
    for line in log.read_text().splitlines():
        words = line.split("\0")
        while words and words[0] == "-c":
            words = words[2:]
        commands.append(words[0] if words else "")
    return commands


@pytest.fixture
def git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every git the code under test starts goes through a wrapper that logs its arguments
    (git's own children run from its exec path, not from PATH, and are not counted)."""
    real = shutil.which("git")
    assert real is not None
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    log = tmp_path / "git.log"
    wrapper.write_text(
        f"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> '{log}'\n"
        f"echo >> '{log}'\nexec '{real}' \"$@\"\n"
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def test_a_clone_configures_itself_with_one_git_process(
    world: dict[str, object], tmp_path: Path, git_log: Path
) -> None:
    rewrites = (("https://example.invalid/", url(world["root"]) + "/"),)  # type: ignore[arg-type]
    request = request_for(world, clone_url="https://example.invalid/served")
    result = clone_one(request, settings_for(tmp_path, url_rewrites=rewrites))
    assert result.status is CloneStatus.CLONED, result
    commands = git_commands(git_log)
    configuring = [c for c in commands if c in ("init", "config")]
    assert configuring == ["init"], commands
    # init, fetch the commit, list its tree, match the patterns, fetch the blobs, read their
    # sizes, check out: nothing else.
    assert len(commands) == 7, commands
    checkout = Path(result.path)
    settings = git("config", "--list", "--local", cwd=checkout).splitlines()
    for setting in (
        "core.sparsecheckout=true",
        "core.sparsecheckoutcone=false",
        "core.symlinks=false",
        f"core.hookspath={os.devnull}",
        "submodule.recurse=false",
        "remote.origin.url=https://example.invalid/served",
        f"url.{url(world['root'])}/.insteadof=https://example.invalid/",  # type: ignore[arg-type]
    ):
        assert setting in settings, settings

    git_log.write_text("")
    assert clone_one(request, settings_for(tmp_path, url_rewrites=rewrites)).status is (
        CloneStatus.CACHED
    )
    assert git_commands(git_log) == []


def test_a_url_spanning_lines_never_reaches_the_config(
    world: dict[str, object], tmp_path: Path
) -> None:
    rewrites = (("https://example.invalid/", "file:///x\n[core]\n\thooksPath=/tmp/evil"),)
    result = clone_one(request_for(world), settings_for(tmp_path, url_rewrites=rewrites))
    assert (result.status, result.detail) == (
        CloneStatus.ERROR,
        "a URL in the clone settings spans lines",
    )


# --- the run --------------------------------------------------------------------------------


def test_results_in_dataset_order_and_duplicates_cloned_once(
    world: dict[str, object], tmp_path: Path
) -> None:
    requests = [request_for(world, name=f"acme/r{i}") for i in range(5)]
    requests.insert(2, request_for(world, name="acme/r0"))
    seen: list[int] = []
    results = list(
        clone_all(
            requests,
            settings_for(tmp_path, jobs=4),
            progress=lambda done, total, _r: seen.append(done),
        )
    )
    assert [r.full_name for r in results] == [r.full_name for r in requests]
    assert sorted(seen) == list(range(1, 7))
    statuses = [r.status for r in results if r.full_name == "acme/r0"]
    assert sorted(statuses) == [CloneStatus.CACHED, CloneStatus.CLONED]


def test_cli_writes_repos_csv(world: dict[str, object], tmp_path: Path) -> None:
    dataset = tmp_path / "datasets" / "topic.csv"
    dataset.parent.mkdir()
    rows = [
        ("acme/demo", url(world["repo"]), world["pinned"], "100"),  # type: ignore[arg-type]
        ("acme/gone", url(tmp_path / "nope"), world["pinned"], "1"),
        ("acme/unpinned", url(world["repo"]), "", "1"),  # type: ignore[arg-type]
        ("=cmd|' /C calc'!A0", url(world["repo"]), world["pinned"], "9999999"),  # type: ignore[arg-type]
    ]
    with open(dataset, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["full_name", "clone_url", "commit", "size_kb", "stars"])
        writer.writerows([(*row, "3") for row in rows])
    out = tmp_path / "out" / "repos.csv"
    args = [
        "clone",
        str(dataset),
        "--cache",
        str(tmp_path / "cache"),
        "--jobs",
        "3",
        "--repos-csv",
        str(out),
        "--allow-protocol",
        "file",
        "--max-size-mb",
        "100",
    ]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    assert "[4/4]" in outcome.stderr
    with open(out, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == REPOS_COLUMNS
    assert [(r["full_name"], r["status"]) for r in table] == [
        ("acme/demo", "cloned"),
        ("acme/gone", "not-found"),
        ("acme/unpinned", "unpinned"),
        ("'=cmd|' /C calc'!A0", "too-large"),
    ]
    assert table[2]["detail"] == "no pinned commit"
    assert os.listdir(out.parent) == ["repos.csv"]  # no temporary file left behind

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0
    with open(out, newline="") as handle:
        assert next(csv.DictReader(handle))["status"] == "cached"


def test_cli_fails_when_the_run_cannot_start(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["clone", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,url\nx,y\n")
    outcome = CliRunner().invoke(
        main,
        ["clone", str(bad), "--cache", str(tmp_path / "c"), "--repos-csv", str(tmp_path / "r.csv")],
    )
    assert outcome.exit_code == 2
    assert "missing column(s) full_name, clone_url, commit" in outcome.output
    assert not (tmp_path / "r.csv").exists()


def test_cli_help() -> None:
    outcome = CliRunner().invoke(main, ["clone", "--help"])
    assert outcome.exit_code == 0
    for option in (
        "--cache",
        "--jobs",
        "--repos-csv",
        "--timeout",
        "--max-size-mb",
        "--allow-protocol",
    ):
        assert option in outcome.output
