"""study.json: the tool's version and commit, the libraries', the settings, the dataset and the
counts; every key documented in README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mining.study.provenance import STUDY_JSON, library_versions, study_settings, tool_commit
from mining.study.run import Study
from mining.study.settings import StudySettings
from tests.conftest import make_git_repo
from tests.paths import ROOT

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def plain(root: Path) -> None:
    (root / ".git" / "refs" / "heads").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".git" / "refs" / "heads" / "main").write_text(SHA + "\n")


def packed(root: Path) -> None:
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".git" / "packed-refs").write_text(
        f"# pack-refs\n{OTHER} refs/heads/x\n{SHA} refs/heads/main\n"
    )


def worktree(root: Path) -> None:
    common = root.parent / "main-checkout" / ".git"
    private = common / "worktrees" / "feature"
    private.mkdir(parents=True)
    (common / "refs" / "heads").mkdir(parents=True)
    (common / "refs" / "heads" / "feature").write_text(SHA + "\n")
    (private / "HEAD").write_text("ref: refs/heads/feature\n")
    (private / "commondir").write_text("../..\n")
    (root / ".git").write_text(f"gitdir: {private}\n")


def detached(root: Path) -> None:
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text(SHA + "\n")


def installed(root: Path) -> None:
    root.mkdir(exist_ok=True)  # a wheel: no .git at all


@pytest.mark.parametrize(
    ("layout", "expected"),
    [(plain, SHA), (packed, SHA), (worktree, SHA), (detached, SHA), (installed, "")],
    ids=["loose-ref", "packed-ref", "worktree", "detached-head", "no-git"],
)
def test_the_tool_commit_is_read_from_git_files(tmp_path: Path, layout, expected: str) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "source"
    root.mkdir()
    layout(root)
    assert tool_commit(root) == expected


def test_this_checkout_s_commit_is_found() -> None:
    found = tool_commit()
    assert found == "" or len(found) == 40
    if (ROOT / ".git").exists():
        assert len(found) == 40


def test_library_versions_name_python_and_the_libraries() -> None:
    versions = library_versions()
    assert {"python", "libcst", "pandas", "plotly", "pyarrow"} <= set(versions)
    assert all(versions[name] for name in ("python", "libcst", "pandas", "plotly"))


def test_settings_describe_the_study_not_the_machine(tmp_path: Path) -> None:
    settings = StudySettings(
        "s",
        tmp_path / "d.csv",
        tmp_path / "out",
        topics=("mlflow-project",),
        qualifiers=("language:python",),
        history=True,
        max_commits=50,
        jobs=7,
        clone_cache=tmp_path / "clones",
    )
    found = study_settings(settings)
    assert found["topics"] == ["mlflow-project"]
    assert found["qualifiers"] == ["language:python"]
    assert (found["history"], found["max_commits"], found["first_parent"]) == (True, 50, True)
    assert not {"jobs", "clone_cache", "output", "dataset"} & set(found)
    assert str(tmp_path) not in json.dumps(found)


def test_study_json_holds_every_documented_key(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    sha = make_git_repo(origin, {"train.py": "import mlflow\nmlflow.log_param('a', 1)\n"})
    dataset = tmp_path / "dataset.csv"
    dataset.write_text(
        "full_name,clone_url,commit,crawled_at\n"
        f"acme/x,{origin.as_uri()},{sha},2026-01-01T00:00:00Z\n"
    )
    settings = StudySettings(
        "s", dataset, tmp_path / "out", crawl=False, protocols=("file",), jobs=1
    )
    study = Study(settings)
    list(study.traverse_repos())
    study.merge()
    meta = json.loads((tmp_path / "out" / "study.json").read_text(encoding="utf-8"))
    assert set(STUDY_JSON) - {"crawl"} <= set(meta) <= set(STUDY_JSON)
    assert meta["counts"] == {"repositories": 1, "analyzed": 1}
    assert meta["totals"] == {"files": 1, "calls": 1}
    assert meta["analyzer"].endswith(":" + meta["catalog_version"])
    assert meta["crawled_at"] == "2026-01-01T00:00:00Z"
    assert meta["dataset"] == "dataset.csv"
    assert meta["settings"]["protocols"] == ["file"]


def test_the_readme_documents_every_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Provenance: study.json", 1)[1].split("\n## ", 1)[0]
    assert [key for key in STUDY_JSON if f"| `{key}` |" not in section] == []
