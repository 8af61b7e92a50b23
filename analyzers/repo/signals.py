"""`signals.csv`: what a repository's files declare (MLproject, environment files, mlflow and
framework requirements, DVC, configured tracking URIs), one tidy row per finding:
`repo, commit, path, signal, value`. The detectors are `analyzers.repo.detectors`.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzers.records import RepoRef
from analyzers.repo.detectors import Finding, detect_repository
from analyzers.repo.detectors.base import SIGNALS
from analyzers.schema import columns

SIGNAL_COLUMNS = columns("signals")


def detect_signals(repo: RepoRef, include_vendored: bool = False) -> Iterator[Finding]:
    """The repository's signals, in path order."""
    return detect_repository(repo, SIGNALS, include_vendored)


def signal_rows(repo: RepoRef, include_vendored: bool = False) -> Iterator[dict[str, str]]:
    """The `signals.csv` rows of a repository (a `mining.study.run.RepoTable` function)."""
    for finding in detect_signals(repo, include_vendored):
        yield {
            "repo": repo.name,
            "commit": repo.commit,
            "path": finding.path,
            "signal": finding.name,
            "value": finding.value,
        }
