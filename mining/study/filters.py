"""Who is left out of a study, and why: filters that are recorded, never silent.

A study file may set `exclude_forks` (default true), `exclude_archived` (default false),
`min_stars` (default 0) and `min_commits` (default 0). A repository failing any of them stays in
repos.csv with status `excluded` and a detail naming every filter it fails, e.g.
`exclude_forks: a fork; min_stars: 3 stars < 10`; the report counts what each filter removed.
Forks, archived flags and stars come from the dataset; commits are counted in the clone (the
pinned commit's history, so a study with `min_commits` fetches history without blobs).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzers.repo.gitsafe import GitTimeout, SafeGit

EXCLUDED = "excluded"
COUNT_SECONDS = 120


@dataclass(frozen=True, slots=True)
class StudyFilters:
    exclude_forks: bool = True
    exclude_archived: bool = False
    min_stars: int = 0
    min_commits: int = 0

    def __post_init__(self) -> None:
        if self.min_stars < 0 or self.min_commits < 0:
            raise ValueError("min_stars and min_commits cannot be negative")

    @property
    def needs_history(self) -> bool:
        """Whether a clone must hold the pinned commit's history to apply the filters."""
        return self.min_commits > 0

    def metadata_reasons(self, row: Mapping[str, str]) -> list[str]:
        """What the dataset row fails: forks, archived repositories, too few stars."""
        reasons = []
        if self.exclude_forks and _flag(row.get("fork")):
            reasons.append("exclude_forks: a fork")
        if self.exclude_archived and _flag(row.get("archived")):
            reasons.append("exclude_archived: archived")
        if self.min_stars:
            stars = _number(row.get("stars"))
            if stars is None or stars < self.min_stars:
                shown = "unknown" if stars is None else str(stars)
                reasons.append(f"min_stars: {shown} stars < {self.min_stars}")
        return reasons

    def commit_reasons(self, commits: int | None) -> list[str]:
        """What a clone with `commits` commits fails (None: they could not be counted)."""
        if not self.min_commits or (commits is not None and commits >= self.min_commits):
            return []
        shown = "uncountable" if commits is None else str(commits)
        return [f"min_commits: {shown} commits < {self.min_commits}"]


def detail(reasons: list[str]) -> str:
    return "; ".join(reasons)


def count_commits(checkout: str | Path, commit: str) -> int | None:
    """Commits reachable from `commit` in the clone at `checkout`, or None when git cannot
    tell (a shallow clone counts only what it holds)."""
    with tempfile.TemporaryDirectory(prefix="mlflow-miner-git-") as scratch:
        git = SafeGit(Path(scratch), protocols=("file",), extra_config=(("safe.directory", "*"),))
        try:
            done = git.run(
                ["rev-list", "--count", commit],
                repo=Path(checkout),
                deadline=time.monotonic() + COUNT_SECONDS,
            )
        except (OSError, GitTimeout):
            return None
    text = done.stdout.strip()
    return int(text) if done.ok and text.isdigit() else None


def _flag(value: str | None) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "yes")


def _number(value: str | None) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None
