"""indirect.csv's rows from a repository's configuration and dependency files (the detectors'
`indirect` findings: LightningCLI/Hydra configurations, MLproject parameters, kedro-mlflow),
beside the rows the scan writes for the indirect uses it resolves in code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from analyzers.records import RepoRef
from analyzers.repo.detectors import detect_repository
from analyzers.repo.detectors.base import INDIRECT


def configured_indirect_rows(
    repo: RepoRef, include_vendored: bool = False
) -> Iterator[dict[str, Any]]:
    """The repository's indirect uses declared by files, one row per file and integration."""
    for finding in detect_repository(repo, INDIRECT, include_vendored):
        yield {
            "repo": repo.name,
            "commit": repo.commit,
            "path": finding.path,
            "cell": None,
            "line": None,
            "column": None,
            "integration": finding.name,
            "records": finding.value,
        }
