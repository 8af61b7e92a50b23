"""`signals.csv`: the walk that gives each file's signals (the detectors' own examples are in
test_detectors.py), and where it agrees with `ecosystem.csv`."""

from __future__ import annotations

from pathlib import Path

from analyzers.records import RepoRef
from analyzers.repo.ecosystem import detect_ecosystem
from analyzers.repo.signals import detect_signals, signal_rows
from tests.conftest import make_git_repo


def test_signals_walk_the_tree_but_not_vendored_or_symlinks(tmp_path: Path) -> None:
    (tmp_path / "svc" / "api").mkdir(parents=True)
    (tmp_path / "svc" / "api" / "requirements.txt").write_text("mlflow==1.0\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "requirements.txt").write_text("mlflow==9\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("mlflow==6.6.6\n")
    (tmp_path / "requirements-link.txt").symlink_to(outside)
    signals = list(detect_signals(RepoRef(str(tmp_path), "r")))
    assert [(s.path, s.value) for s in signals if s.name == "mlflow-requirement"] == [
        ("svc/api/requirements.txt", "==1.0")
    ]


def test_signals_and_ecosystem_agree_on_the_files_they_share(tmp_path: Path) -> None:
    """One registry: a lock file the sparse checkout left out, a large one, DVC's lock and
    config, a named conda environment and a `*.Dockerfile` are evidence in both tables."""
    repo = tmp_path / "r"
    make_git_repo(
        repo,
        {
            "uv.lock": "version = 1\n",
            "poetry.lock": "# big\n" * 200_000,
            "dvc.lock": "schema: '2.0'\n",
            ".dvc/config": "[core]\n",
            "environment-dev.yml": "dependencies:\n  - mlflow=2.3\n",
            "serve.Dockerfile": "FROM python\n",
            "mlproject": "name: x\n",
        },
    )
    (repo / "uv.lock").unlink()  # in the tree, not on disk: as a sparse checkout leaves it
    ref = RepoRef(str(repo), "r")
    signals = [(s.path, s.name, s.value) for s in detect_signals(ref)]
    tools = {(e.path, e.name) for e in detect_ecosystem(ref)}
    assert signals == [
        (".dvc/config", "dvc", ""),
        ("dvc.lock", "dvc", ""),
        ("environment-dev.yml", "env-file", "conda"),
        ("environment-dev.yml", "mlflow-requirement", "==2.3"),
        ("environment-dev.yml", "pinned-env", "conda"),
        ("mlproject", "mlproject", ""),
        ("mlproject", "mlproject-env", "none"),
        ("poetry.lock", "env-file", "poetry-lock"),
        ("poetry.lock", "pinned-env", "poetry-lock"),
        ("serve.Dockerfile", "env-file", "dockerfile"),
        ("uv.lock", "env-file", "uv-lock"),
        ("uv.lock", "pinned-env", "uv-lock"),
    ]
    assert tools == {
        (".dvc/config", "dvc"),
        ("dvc.lock", "dvc"),
        ("environment-dev.yml", "conda"),
        ("poetry.lock", "poetry"),
        ("serve.Dockerfile", "docker"),
        ("uv.lock", "uv"),
    }


def test_rows_are_tidy(tmp_path: Path) -> None:
    sha = make_git_repo(tmp_path / "r", {"requirements.txt": "mlflow==2.3\n"})
    rows = list(signal_rows(RepoRef(str(tmp_path / "r"), "o/r", sha)))
    assert rows == [
        {"repo": "o/r", "commit": sha, "path": "requirements.txt", "signal": s, "value": v}
        for s, v in (
            ("env-file", "requirements"),
            ("mlflow-requirement", "==2.3"),
            ("pinned-env", "requirements"),
        )
    ]
