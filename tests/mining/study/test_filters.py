"""Study filters: each reason recorded, commits counted in a real clone."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining.study.filters import StudyFilters, count_commits, detail
from tests.conftest import git, make_git_repo

ROW = {"fork": "False", "archived": "False", "stars": "12"}

CASES = {
    "defaults keep a plain repository": (StudyFilters(), ROW, []),
    "forks are excluded by default": (
        StudyFilters(),
        {**ROW, "fork": "True"},
        ["exclude_forks: a fork"],
    ),
    "forks kept when asked": (StudyFilters(exclude_forks=False), {**ROW, "fork": "True"}, []),
    "archived kept by default": (StudyFilters(), {**ROW, "archived": "True"}, []),
    "archived excluded when asked": (
        StudyFilters(exclude_archived=True),
        {**ROW, "archived": "true"},
        ["exclude_archived: archived"],
    ),
    "too few stars": (StudyFilters(min_stars=20), ROW, ["min_stars: 12 stars < 20"]),
    "enough stars": (StudyFilters(min_stars=12), ROW, []),
    "unknown stars fail a minimum": (
        StudyFilters(min_stars=1),
        {**ROW, "stars": ""},
        ["min_stars: unknown stars < 1"],
    ),
    "every failing filter is named": (
        StudyFilters(exclude_archived=True, min_stars=50),
        {"fork": "True", "archived": "True", "stars": "3"},
        ["exclude_forks: a fork", "exclude_archived: archived", "min_stars: 3 stars < 50"],
    ),
}


@pytest.mark.parametrize(("filters", "row", "reasons"), CASES.values(), ids=CASES.keys())
def test_metadata_reasons(filters: StudyFilters, row: dict[str, str], reasons: list[str]) -> None:
    assert filters.metadata_reasons(row) == reasons


def test_commit_reasons_and_detail() -> None:
    filters = StudyFilters(min_commits=5)
    assert filters.needs_history
    assert not StudyFilters().needs_history
    assert filters.commit_reasons(5) == []
    assert filters.commit_reasons(9) == []
    assert filters.commit_reasons(4) == ["min_commits: 4 commits < 5"]
    assert filters.commit_reasons(None) == ["min_commits: uncountable commits < 5"]
    assert StudyFilters().commit_reasons(0) == []
    assert detail(["a: x", "b: y"]) == "a: x; b: y"
    with pytest.raises(ValueError, match="negative"):
        StudyFilters(min_stars=-1)


def test_commits_are_counted_in_the_clone(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    first = make_git_repo(root, {"a.py": "x = 1\n"})
    for n in range(3):
        (root / "a.py").write_text(f"x = {n + 2}\n")
        git(root, "commit", "-q", "-am", f"change {n}")
    head = git(root, "rev-parse", "HEAD")
    assert count_commits(root, head) == 4
    assert count_commits(root, first) == 1
    assert count_commits(root, "0" * 40) is None
    assert count_commits(tmp_path / "nowhere", head) is None
