"""Blob SHAs and layout evidence read from a real git checkout's tree."""

from __future__ import annotations

import json
import os
from pathlib import Path

from analyzers.records import RepoRef
from analyzers.repo.content import BLOB_COLUMNS, LAYOUT_COLUMNS, blob_rows, layout_rows, tree_files
from tests.conftest import git, make_git_repo

FILES: dict[str, str | bytes] = {
    "README.md": "# MLflow example\n## Usage\n",
    "train.py": "import mlflow\n",
    "nb/explore.ipynb": '{"cells": []}',
    "pkg/__init__.py": "",
    ".venv/lib/site.py": "x = 1\n",
    "data/table.csv": "a,b\n",
}


def test_blobs_are_gits_and_vendored_trees_are_left_out(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    head = make_git_repo(root, FILES)
    os.symlink("train.py", root / "link.py")
    git(root, "add", "link.py")
    git(root, "commit", "-q", "-m", "link")
    rows = list(blob_rows(RepoRef(root=str(root), name="o/r", commit=head)))
    assert [row["path"] for row in rows] == ["nb/explore.ipynb", "pkg/__init__.py", "train.py"]
    for row in rows:
        assert tuple(row) == BLOB_COLUMNS
        assert row["blob"] == git(root, "hash-object", row["path"])
        assert (row["repo"], row["commit"]) == ("o/r", head)
    assert ("data/table.csv", git(root, "hash-object", "data/table.csv")) in (
        tree_files(str(root)) or []
    )


def test_outside_git_the_disk_is_hashed_as_git_would(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_git_repo(root, FILES)
    expected = {row["path"]: row["blob"] for row in blob_rows(RepoRef(str(root), "o/r", "x"))}
    plain = tmp_path / "plain"
    plain.mkdir()
    for name, content in FILES.items():
        (plain / name).parent.mkdir(parents=True, exist_ok=True)
        (plain / name).write_text(str(content))
    assert tree_files(str(plain)) is None
    got = {row["path"]: row["blob"] for row in blob_rows(RepoRef(str(plain), "o/r", ""))}
    assert got == expected


def test_layout_row_reads_the_readme_and_the_tree(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    head = make_git_repo(root, FILES)
    (row,) = layout_rows(RepoRef(str(root), "o/r", head))
    assert tuple(row) == LAYOUT_COLUMNS
    assert json.loads(row["headings"]) == ["MLflow example", "Usage"]
    assert (row["readme"], row["scripts"], row["notebooks"], row["package"]) == (
        "README.md",
        2,  # train.py and pkg/__init__.py; .venv is vendored
        1,
        False,  # no packaging file
    )
