"""`mlflow-miner study` with its crawl against the fake GitHub (tests/mining/github/fake_github.py)
and its repositories served from real local git repositories over file://."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mining.cli import main
from mining.github.crawl import checkpoint_path
from tests.conftest import make_git_repo
from tests.mining.github.fake_github import FakeGitHub, FakeRepo, Fault


def served(path: Path, files: dict[str, str | bytes]) -> str:
    sha = make_git_repo(path, files)
    for key in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        subprocess.run(["git", "-C", str(path), "config", key, "true"], check=True)
    return sha


@pytest.fixture
def world(tmp_path: Path) -> list[FakeRepo]:
    now = int(time.time())
    repos = []
    for index, name in enumerate(("alpha", "beta")):
        origin = tmp_path / "origins" / name
        body = f"import mlflow\nmlflow.set_tracking_uri('http://localhost:{5000 + index}')\n"
        sha = served(origin, {"train.py": body})
        repos.append(
            FakeRepo(
                f"acme/{name}",
                now - (index + 2) * 86400,
                ("mlflow-project",),
                clone_url=origin.as_uri(),
                head_sha=sha,
            )
        )
    return repos


def study_file(tmp_path: Path, topics: str = '["mlflow-project"]') -> Path:
    path = tmp_path / "study.toml"
    path.write_text(
        f'name = "s"\ntopics = {topics}\nprotocols = ["https", "file"]\njobs = 1\n'
        'dataset = "data/s.csv"\noutput = "out"\n'
    )
    return path


def run_study(server: FakeGitHub, tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main,
        ["study", str(tmp_path / "study.toml"), "--no-static", "--max-retry-seconds", "0", *args],
        env={
            "GITHUB_API_URL": server.url,
            "GITHUB_TOKEN": "t",
            "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        },
    )


def test_a_failed_crawl_inside_a_study_resumes_on_the_next_run(
    tmp_path: Path, world: list[FakeRepo]
) -> None:
    study_file(tmp_path)
    dataset = tmp_path / "data" / "s.csv"
    with FakeGitHub(world) as server:
        server.fail(Fault(500), path="/repos/", times=None)
        failed = run_study(server, tmp_path)
        assert failed.exit_code == 1
        (line,) = failed.stderr.strip().splitlines()[-1:]
        assert line.startswith("Error: crawl failed: ")
        assert "Traceback" not in failed.output
        assert "rerun to resume, or pass --restart to start over" in line
        assert checkpoint_path(dataset).exists()
        assert not dataset.exists()
        server._rules.clear()
        resumed = run_study(server, tmp_path)
    assert resumed.exit_code == 0, resumed.output
    assert "checkpoint: resuming" in resumed.stderr
    assert "repositories: analyzed 2" in resumed.stderr
    assert not checkpoint_path(dataset).exists()
    provenance = json.loads((tmp_path / "out" / "study.json").read_text())
    assert provenance["crawl"]["topics"] == ["mlflow-project"]
    assert provenance["crawl"]["truncated_slices"] == []


def test_a_crawl_checkpoint_of_another_crawl_is_restarted_with_the_flag_the_message_names(
    tmp_path: Path, world: list[FakeRepo]
) -> None:
    study_file(tmp_path)
    with FakeGitHub(world) as server:
        server.fail(Fault(500), path="/repos/", times=None)
        assert run_study(server, tmp_path).exit_code == 1
        server._rules.clear()
        study_file(tmp_path, topics='["mlflow-project", "mlflow-projects"]')  # edited since
        refused = run_study(server, tmp_path)
        assert refused.exit_code == 1
        assert "belongs to a different crawl (topics differ)" in refused.stderr
        assert "--restart" in refused.stderr
        restarted = run_study(server, tmp_path, "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert "resuming" not in restarted.stderr
    assert "repositories: analyzed 2" in restarted.stderr


def test_an_unreachable_api_stops_the_study_before_any_clone(tmp_path: Path) -> None:
    study_file(tmp_path)
    with FakeGitHub([]) as server:
        url = server.url
    result = CliRunner().invoke(
        main,
        ["study", str(tmp_path / "study.toml"), "--max-retry-seconds", "0"],
        env={"GITHUB_API_URL": url, "XDG_CACHE_HOME": str(tmp_path / "xdg")},
    )
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: cannot reach the GitHub API (GITHUB_API_URL=")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "xdg").exists()  # no clone, no cache
