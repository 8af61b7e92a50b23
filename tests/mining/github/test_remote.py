"""`mlflow-miner scan owner/name`: pin through the (fake, real-HTTP) GitHub API, clone, scan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyzers.repo.scanner import ScanSettings, scan_repos
from mining.git.clone import CloneSettings
from mining.github.remote import RemoteError, checkout_github, looks_like_full_name
from tests.conftest import git, make_git_repo
from tests.mining.github.fake_github import T0, FakeGitHub, FakeRepo


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    origin = tmp_path / "origin"
    sha = make_git_repo(origin, {"train.py": "import mlflow\nmlflow.autolog()\n"})
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    repo = FakeRepo("acme/churn", created=T0 - 10**6, clone_url=origin.as_uri(), head_sha=sha)
    with FakeGitHub([repo]) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        yield server, sha


def test_owner_name_is_pinned_cloned_and_scanned(served, tmp_path: Path) -> None:
    server, sha = served
    clone = CloneSettings(cache=tmp_path / "cache", protocols=("https", "file"))
    repo = checkout_github("acme/churn", clone, log=lambda message: None)
    assert (repo.name, repo.commit) == ("acme/churn", sha)
    (result,) = scan_repos([repo], ScanSettings(jobs=0, use_cache=False))
    assert (result.repo, result.commit, [c.api for c in result.calls]) == (
        "acme/churn",
        sha,
        ["mlflow.autolog"],
    )
    assert [r.path for r in server.requests] == [
        "/repos/acme/churn",
        "/repos/acme/churn/branches/main",
    ]


def test_missing_repository_is_a_clear_error(served, tmp_path: Path) -> None:
    with pytest.raises(RemoteError, match=r"acme/nope.*404"):
        checkout_github("acme/nope", CloneSettings(cache=tmp_path / "c"), log=lambda m: None)


def test_cli_reports_missing_repository(served, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mining", "scan", "acme/nope", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "acme/nope" in done.stderr
    assert "404" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mlflow/mlflow", True),
        ("a-b/c.d_e", True),
        ("./x", False),
        ("a/b/c", False),
        ("/abs/path", False),
        ("noslash", False),
        ("-bad/name", False),
    ],
)
def test_full_name_shape(text: str, expected: bool) -> None:
    assert looks_like_full_name(text) is expected
