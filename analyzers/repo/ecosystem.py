"""`ecosystem.csv`: the MLOps tools that travel with MLflow, read from files, imports and
workflow steps, never by running them; one tidy row per piece of evidence:
`repo, commit, path, tool, evidence`, e.g.

    demo/churn-sklearn, 1a2b..., dvc.yaml,                      dvc,            dvc.yaml
    demo/churn-sklearn, 1a2b..., src/train.py,                  wandb,          import wandb
    demo/churn-sklearn, 1a2b..., .github/workflows/train.yml,   cml,            workflow: cml comment

File names come from the checkout's git tree, so files the sparse checkout did not fetch (a
2 MB `uv.lock`) still count; contents from the files on disk. The detectors are
`analyzers.repo.detectors`.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzers.records import RepoRef
from analyzers.repo.detectors import Finding, detect_repository
from analyzers.repo.detectors.base import ECOSYSTEM
from analyzers.schema import ECOSYSTEM_TOOLS, columns

ECOSYSTEM_COLUMNS = columns("ecosystem")
TOOLS = ECOSYSTEM_TOOLS


def detect_ecosystem(repo: RepoRef) -> Iterator[Finding]:
    """Evidence of every file in the repository that a detector reads, in path order, each
    (path, tool, evidence) once. Vendored trees (venv/, site-packages/, ...) are skipped."""
    return detect_repository(repo, ECOSYSTEM)


def ecosystem_rows(repo: RepoRef) -> Iterator[dict[str, str]]:
    """The `ecosystem.csv` rows of a repository (a `mining.study.run.RepoTable` function)."""
    for finding in detect_ecosystem(repo):
        yield {
            "repo": repo.name,
            "commit": repo.commit,
            "path": finding.path,
            "tool": finding.name,
            "evidence": finding.value,
        }
